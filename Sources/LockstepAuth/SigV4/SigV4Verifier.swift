import Crypto
public import Foundation
public import LockstepCore

/// A parsed `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` header.
public struct SigV4Authorization: Sendable, Hashable {
    public var accessKeyId: String
    public var scope: CredentialScope
    /// Lower-case, sorted as sent.
    public var signedHeaders: [String]
    public var signature: Data
    /// `X-Amz-Date` as sent, `yyyyMMdd'T'HHmmss'Z'`.
    public var amzDate: String
    public var date: Date
    /// `X-Amz-Security-Token`, if the request carried one.
    public var securityToken: String?
}

/// Verifies AWS Signature Version 4 on incoming requests, with AWS's error codes and messages.
///
/// Verification is two steps so that the caller can look the access key up (I/O) in between:
/// ``parse(_:now:)`` checks the header's form, the scope and the clock; ``verify(_:of:secret:generation:)``
/// recomputes the signature and compares it in constant time.
///
/// Strict where AWS is: exactly one `Authorization`, `X-Amz-Date`, `X-Amz-Target` and `X-Amz-Security-Token`;
/// every `x-amz-*` header the request carries, and `host`, must be signed; the scope's region must have the form of a
/// region name (and be one of ``allowedRegions`` when that is set).
public struct SigV4Verifier: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"
    /// How far `X-Amz-Date` may be from the server's clock.
    public static let allowedSkew: TimeInterval = 300

    /// Headers a request may carry once at most: a second copy could be read differently by the signature and by
    /// whatever acts on the request.
    public static let singleHeaders = ["authorization", "x-amz-date", "x-amz-target", "x-amz-security-token"]

    public let service: String
    /// When set, the only regions a credential scope may name; otherwise any name of a region's form.
    public let allowedRegions: Set<String>?
    let cache = SigningKeyCache()

    /// - Parameters:
    ///   - service: the service name the credential scope must name.
    ///   - allowedRegions: when set, the only regions accepted in the credential scope.
    public init(service: String = "secretsmanager", allowedRegions: Set<String>? = nil) {
        self.service = service
        self.allowedRegions = allowedRegions
    }

    /// Checks the form of the `Authorization` header, the credential scope and the request date.
    public func parse(_ request: SignableRequest, now: Date) throws(SecretsManagerError) -> SigV4Authorization {
        guard let header = request.header("authorization"), !header.isEmpty else {
            throw SecretsManagerError(.missingAuthenticationToken, "Missing Authentication Token")
        }
        try Self.checkSingleHeaders(request)
        guard header.hasPrefix(Self.algorithm + " ") else {
            throw SecretsManagerError(.incompleteSignature, "Authorization header requires the \(Self.algorithm) algorithm.")
        }
        guard let fields = AuthorizationFields(header.utf8.dropFirst(Self.algorithm.utf8.count + 1)) else {
            throw SecretsManagerError(.incompleteSignature, "Authorization header parameters must not repeat.")
        }
        guard let credentialField = fields.credential, let signedHeadersField = fields.signedHeaders, let signatureField = fields.signature
        else {
            let missing = [("Credential", fields.credential), ("SignedHeaders", fields.signedHeaders), ("Signature", fields.signature)]
            let text = missing.filter { $0.1 == nil }.map { "Authorization header requires '\($0.0)' parameter." }.joined(separator: " ")
            throw SecretsManagerError(.incompleteSignature, "\(text) Authorization=\(header.prefix(64))")
        }
        let credential = credentialField.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        guard credential.count == 5, !credential[0].isEmpty, credential[4] == "aws4_request" else {
            throw SecretsManagerError(
                .incompleteSignature,
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term."
            )
        }
        let scope = CredentialScope(date: credential[1], region: credential[2], service: credential[3])
        guard scope.service == self.service else {
            throw SecretsManagerError(.invalidSignature, "Credential should be scoped to correct service: '\(self.service)'.")
        }
        guard RegionName.isValid(scope.region), self.allowedRegions?.contains(scope.region) ?? true else {
            throw SecretsManagerError(
                .incompleteSignature,
                "Credential should be scoped to a valid region, not '\(Self.printable(scope.region))'."
            )
        }
        guard let signature = Hex.decode(signatureField), signature.count == 32 else {
            throw SecretsManagerError(.incompleteSignature, "The Signature parameter must be 64 hexadecimal characters.")
        }
        let signedHeaders = signedHeadersField.utf8.split(separator: UInt8(ascii: ";")).map { name in
            // SDKs send them lower-case already: lower-case only a name that needs it.
            guard name.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { return String(Substring(name)) }
            return String(decoding: name.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }, as: UTF8.self)
        }
        guard signedHeaders.contains("host") else {
            throw SecretsManagerError(.incompleteSignature, "'Host' must be a 'SignedHeader' in the AWS Authorization.")
        }
        try Self.checkAmzHeadersSigned(request, signedHeaders: signedHeaders)
        guard let amzDate = request.header("x-amz-date") else {
            throw SecretsManagerError(.incompleteSignature, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        }
        guard let date = Self.parseDate(amzDate), amzDate.hasPrefix(scope.date) else {
            throw SecretsManagerError(
                .incompleteSignature,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '\(scope.date)' != '\(amzDate.prefix(8))'."
            )
        }
        if date < now.addingTimeInterval(-Self.allowedSkew) {
            throw SecretsManagerError(
                .invalidSignature,
                "Signature expired: \(amzDate) is now earlier than \(Self.format(now.addingTimeInterval(-Self.allowedSkew))) (\(Self.format(now)) - 5 min.)"
            )
        }
        if date > now.addingTimeInterval(Self.allowedSkew) {
            throw SecretsManagerError(
                .invalidSignature,
                "Signature not yet current: \(amzDate) is still later than \(Self.format(now.addingTimeInterval(Self.allowedSkew))) (\(Self.format(now)) + 5 min.)"
            )
        }
        return SigV4Authorization(
            accessKeyId: credential[0],
            scope: scope,
            signedHeaders: signedHeaders,
            signature: signature,
            amzDate: amzDate,
            date: date,
            securityToken: request.header("x-amz-security-token")
        )
    }

    /// At most one of each of ``singleHeaders``.
    static func checkSingleHeaders(_ request: SignableRequest) throws(SecretsManagerError) {
        var counts = SIMD4<Int32>()  // no allocation: this runs on every request
        for header in request.headers {
            for (index, name) in Self.singleHeaders.enumerated() where SignableRequest.sameName(header.name, name) {
                counts[index] += 1
                if counts[index] > 1 {
                    throw SecretsManagerError(
                        .incompleteSignature,
                        "The request must not carry more than one '\(Self.displayNames[index])' header."
                    )
                }
            }
        }
    }

    static let displayNames = ["Authorization", "X-Amz-Date", "X-Amz-Target", "X-Amz-Security-Token"]

    /// Every `x-amz-*` header sent must be signed (AWS's rule): otherwise it could be changed or added in transit,
    /// re-targeting a captured request (`X-Amz-Target`) or replaying it with another date.
    static func checkAmzHeadersSigned(_ request: SignableRequest, signedHeaders: [String]) throws(SecretsManagerError) {
        for header in request.headers where Self.isAmzHeader(header.name) {
            guard !signedHeaders.contains(where: { SignableRequest.sameName($0, header.name) }) else { continue }
            let known = Self.singleHeaders.firstIndex { SignableRequest.sameName($0, header.name) }.map { Self.displayNames[$0] }
            throw SecretsManagerError(
                .incompleteSignature,
                "'\(known ?? Self.printable(header.name.lowercased()))' must be a 'SignedHeader' in the AWS Authorization."
            )
        }
    }

    /// `x-amz-` in any case (not `x-amzn-`, which AWS's SDKs leave unsigned).
    static func isAmzHeader(_ name: String) -> Bool {
        var prefix = "x-amz-".utf8.makeIterator()
        for byte in name.utf8 {
            guard let expected = prefix.next() else { return true }
            let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
            guard lower == expected else { return false }
        }
        return false
    }

    /// Request text for an error message: printable ASCII, `'` and `\` escaped, the rest as `\xNN`, cut to 64 bytes.
    public static func printableText(_ text: String) -> String { Self.printable(text) }

    static func printable(_ text: String) -> String {
        var result = ""
        for (index, byte) in text.utf8.enumerated() {
            guard index < 64 else {
                result += "..."
                break
            }
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\\"): result += "\\" + String(Unicode.Scalar(byte))
            case 0x20...0x7E: result.unicodeScalars.append(Unicode.Scalar(byte))
            default: result += String(format: "\\x%02x", byte)
            }
        }
        return result
    }

    /// Recomputes the signature with the access key's secret and compares it in constant time.
    ///
    /// - Parameters:
    ///   - authorization: what ``parse(_:now:)`` returned.
    ///   - request: the request, with the body exactly as received.
    ///   - secret: the secret access key (asked for only when the derived key isn't cached).
    ///   - generation: changes when the key's secret could have changed (its creation time), so a re-created key
    ///     never meets a stale cached signing key.
    public func verify(
        _ authorization: SigV4Authorization,
        of request: SignableRequest,
        secret: () throws -> String,
        generation: String
    ) throws {
        let entry = SigningKeyCache.Entry(accessKeyId: authorization.accessKeyId, generation: generation, scope: authorization.scope)
        let cached = self.cache.key(for: entry)
        let key = try cached ?? HMAC<SHA256>(key: SigningKey.derive(secret: secret(), scope: authorization.scope))
        var mac = key
        Self.withStringToSign(request, authorization: authorization) { mac.update(data: $0) }
        let expected = Data(mac.finalize())
        let matches = Self.constantTimeEqual(expected, authorization.signature)
        if matches, cached == nil { self.cache.insert(key, for: entry) }
        guard matches else {
            throw SecretsManagerError(
                .invalidSignature,
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
            )
        }
    }

    /// The string to sign as bytes, built in one buffer (the same text as ``stringToSign(_:authorization:)``; this
    /// runs on every request).
    static func withStringToSign<T>(
        _ request: SignableRequest,
        authorization: SigV4Authorization,
        _ body: (UnsafeRawBufferPointer) -> T
    ) -> T {
        let digest = Canonical.hash(request, signedHeaders: authorization.signedHeaders, payloadHash: Hex.sha256(request.body))
        let newline = UInt8(ascii: "\n")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160)
        bytes.append(contentsOf: Self.algorithm.utf8)
        bytes.append(newline)
        bytes.append(contentsOf: authorization.amzDate.utf8)
        bytes.append(newline)
        bytes.append(contentsOf: authorization.scope.date.utf8)
        bytes.append(UInt8(ascii: "/"))
        bytes.append(contentsOf: authorization.scope.region.utf8)
        bytes.append(UInt8(ascii: "/"))
        bytes.append(contentsOf: authorization.scope.service.utf8)
        bytes.append(contentsOf: "/aws4_request".utf8)
        bytes.append(newline)
        bytes.append(contentsOf: Hex.encode(digest).utf8)
        return bytes.withUnsafeBytes(body)
    }

    static func stringToSign(_ request: SignableRequest, authorization: SigV4Authorization) -> String {
        let digest = Canonical.hash(request, signedHeaders: authorization.signedHeaders, payloadHash: Hex.sha256(request.body))
        return Self.algorithm + "\n" + authorization.amzDate + "\n" + authorization.scope.description + "\n" + Hex.encode(digest)
    }

    /// Compares all bytes whatever the first difference.
    static func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { (a: UnsafeRawBufferPointer) in
            b.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
                var difference: UInt8 = 0
                for index in 0..<a.count { difference |= a[index] ^ b[index] }
                return difference == 0
            }
        }
    }

    /// Parses `yyyyMMdd'T'HHmmss'Z'` (UTC) with integer arithmetic: this runs on every request.
    static func parseDate(_ string: String) -> Date? {
        let digits = Array(string.utf8)
        guard digits.count == 16, digits[8] == UInt8(ascii: "T"), digits[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digits[index]) else { return nil }
                value = value * 10 + Int(digits[index] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8), let hour = number(9..<11),
            let minute = number(11..<13), let second = number(13..<15),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        let days = UTCDate.daysSinceEpoch(year: year, month: month, day: day)
        guard UTCDate.civil(fromDays: days) == (year, month, day) else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + hour * 3_600 + minute * 60 + second))
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    public static func format(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let (year, month, day) = UTCDate.civil(fromDays: days)
        let time = seconds - days * 86_400
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(year, 4) + pad(month, 2) + pad(day, 2) + "T" + pad(time / 3_600, 2) + pad(time % 3_600 / 60, 2) + pad(time % 60, 2) + "Z"
    }
}

/// The parameters of an `Authorization` header, `Credential=..., SignedHeaders=..., Signature=...`, read on bytes
/// (this runs on every request). Parameters without `=` are skipped; any parameter named twice makes the header
/// invalid (nil), SigV4's three and any other.
struct AuthorizationFields {
    // Slices of the header (no copies: this runs on every request).
    var credential: Substring?
    var signedHeaders: Substring?
    var signature: Substring?

    init?(_ parameters: Substring.UTF8View) {
        var others: [Substring] = []
        for part in parameters.split(separator: UInt8(ascii: ",")) {
            var part = part[...]
            while part.first == UInt8(ascii: " ") { part = part.dropFirst() }
            while part.last == UInt8(ascii: " ") { part = part.dropLast() }
            guard let equals = part.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = Substring(part[..<equals])
            let value = Substring(part[part.index(after: equals)...])
            switch name {
            case "Credential": guard Self.set(&self.credential, value) else { return nil }
            case "SignedHeaders": guard Self.set(&self.signedHeaders, value) else { return nil }
            case "Signature": guard Self.set(&self.signature, value) else { return nil }
            default:
                guard !others.contains(name) else { return nil }
                others.append(name)
            }
        }
    }

    /// Sets a parameter seen for the first time; false when it was already set.
    private static func set(_ field: inout Substring?, _ value: Substring) -> Bool {
        guard field == nil else { return false }
        field = value
        return true
    }
}
