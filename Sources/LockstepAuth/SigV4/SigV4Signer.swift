public import Foundation
import LockstepCore

/// Signs outgoing requests with AWS Signature Version 4 (the CLI as a client, tests, benchmarks).
public struct SigV4Signer: Sendable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    public var region: String
    public var service: String

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, region: String, service: String = "secretsmanager") {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.region = region
        self.service = service
    }

    /// Adds `X-Amz-Date`, `X-Amz-Security-Token` (with a session token) and `Authorization`, signing every header
    /// the request has (which must include `host`).
    public func sign(_ request: inout SignableRequest, date: Date = Date()) {
        let amzDate = SigV4Verifier.format(date)
        request.headers.removeAll { ["authorization", "x-amz-date", "x-amz-security-token"].contains($0.name.lowercased()) }
        request.headers.append((name: "X-Amz-Date", value: amzDate))
        if let sessionToken { request.headers.append((name: "X-Amz-Security-Token", value: sessionToken)) }
        let scope = CredentialScope(date: String(amzDate.prefix(8)), region: self.region, service: self.service)
        let signed = Array(Set(request.headers.map { $0.name.lowercased() })).sorted()
        let authorization = SigV4Authorization(
            accessKeyId: self.accessKeyId,
            scope: scope,
            signedHeaders: signed,
            signature: Data(),
            amzDate: amzDate,
            date: date,
            securityToken: self.sessionToken
        )
        let key = SigningKey.derive(secret: self.secretAccessKey, scope: scope)
        let signature = SigningKey.signature(SigV4Verifier.stringToSign(request, authorization: authorization), key: key)
        request.headers.append(
            (
                name: "Authorization",
                value:
                    "\(SigV4Verifier.algorithm) Credential=\(self.accessKeyId)/\(scope), SignedHeaders=\(signed.joined(separator: ";")), Signature=\(Hex.encode(signature))"
            )
        )
    }
}

/// A signer never shows its secret: not in `print`, string interpolation, `dump`, nor an error that describes a
/// value holding one (ServiceLifecycle's errors describe the failed service).
extension SigV4Signer: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SigV4Signer(accessKeyId: \(self.accessKeyId), region: \(self.region), service: \(self.service))" }
    public var debugDescription: String { self.description }
    public var customMirror: Mirror {
        Mirror(self, children: ["accessKeyId": self.accessKeyId, "region": self.region, "service": self.service], displayStyle: .struct)
    }
}
