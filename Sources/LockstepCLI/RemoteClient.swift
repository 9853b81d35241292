import AsyncHTTPClient
import Foundation
import LockstepAuth
import LockstepCore
import NIOCore
import NIOHTTP1

/// The CLI as a client of a running server: signs requests with SigV4 like the aws CLI does.
struct RemoteClient {
    let endpoint: URL
    let signer: SigV4Signer

    /// Credentials from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, else the profile
    /// (`--profile`, `AWS_PROFILE`, `default`) in `~/.aws/credentials` (or `AWS_SHARED_CREDENTIALS_FILE`); the region
    /// from `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile in `~/.aws/config`, else us-east-1.
    init(endpoint: URL, profile: String?, region: String?, environment: [String: String]) throws {
        self.endpoint = endpoint
        let profileName = profile ?? environment["AWS_PROFILE"] ?? "default"
        let home = environment["HOME"] ?? NSHomeDirectory()
        let credentialsFile = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
        let configFile = environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"
        let fromFile = Self.ini(credentialsFile)[profileName] ?? [:]
        let config = Self.ini(configFile)[profileName == "default" ? "default" : "profile \(profileName)"] ?? [:]
        var accessKeyId = environment["AWS_ACCESS_KEY_ID"]
        var secret = environment["AWS_SECRET_ACCESS_KEY"]
        var token = environment["AWS_SESSION_TOKEN"]
        if accessKeyId == nil || secret == nil || profile != nil {
            accessKeyId = fromFile["aws_access_key_id"]
            secret = fromFile["aws_secret_access_key"]
            token = fromFile["aws_session_token"]
        }
        guard let accessKeyId, let secret else {
            throw ArgumentTranslator.UsageError(
                description: "Unable to locate credentials. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or use a profile."
            )
        }
        let resolvedRegion = region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? config["region"] ?? "us-east-1"
        self.signer = SigV4Signer(accessKeyId: accessKeyId, secretAccessKey: secret, sessionToken: token, region: resolvedRegion)
    }

    /// Sends one operation; returns the status and body.
    func invoke(_ operation: String, body: Data) async throws -> (status: Int, body: Data) {
        var components = URLComponents(url: self.endpoint, resolvingAgainstBaseURL: false)!
        if components.path.isEmpty { components.path = "/" }
        let host = components.port.map { "\(components.host ?? ""):\($0)" } ?? (components.host ?? "")
        var signable = SignableRequest(
            method: "POST",
            path: components.percentEncodedPath,
            headers: [
                (name: "host", value: host),
                (name: "content-type", value: "application/x-amz-json-1.1"),
                (name: "x-amz-target", value: "secretsmanager.\(operation)"),
            ],
            body: body
        )
        self.signer.sign(&signable)
        var request = HTTPClientRequest(url: components.url!.absoluteString)
        request.method = .POST
        for header in signable.headers where header.name != "host" { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), Data(bytes.readableBytesView))
    }

    /// A minimal INI reader for the AWS shared files: `[section]` and `key = value` lines.
    static func ini(_ path: String) -> [String: [String: String]] {
        guard let text = try? String(contentsOfFile: (path as NSString).expandingTildeInPath, encoding: .utf8) else { return [:] }
        var sections: [String: [String: String]] = [:]
        var current = ""
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("["), trimmed.hasSuffix("]") {
                current = String(trimmed.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            let parts = trimmed.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            sections[current, default: [:]][parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        return sections
    }
}
