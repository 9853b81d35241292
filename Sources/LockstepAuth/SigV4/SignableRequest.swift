public import Foundation

/// The parts of an HTTP request that SigV4 signs, as they travel on the wire.
public struct SignableRequest: Sendable {
    public var method: String
    /// The path as sent, percent-encoded (`/`).
    public var path: String
    /// The raw query string without `?` (empty when none).
    public var query: String
    /// Header names (any case) and values, in order; repeated names allowed.
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(method: String, path: String, query: String = "", headers: [(name: String, value: String)], body: Data) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The values of a header (case-insensitive), in order.
    public func values(of name: String) -> [String] {
        let lowered = name.lowercased()
        return self.headers.filter { $0.name.lowercased() == lowered }.map(\.value)
    }

    /// The first value of a header.
    public func header(_ name: String) -> String? { self.values(of: name).first }
}

/// SigV4's canonical forms (shared by the signer and the verifier, so they can't disagree).
///
/// The canonical request is
/// `METHOD \n URI \n QUERY \n HEADERS \n SIGNED-HEADERS \n HEX(SHA256(body))`; the string to sign is
/// `AWS4-HMAC-SHA256 \n X-AMZ-DATE \n SCOPE \n HEX(SHA256(canonical request))`.
enum Canonical {
    static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8)

    /// RFC 3986 percent-encoding of everything but the unreserved characters (and `/` when asked).
    static func encode(_ string: String, keepSlash: Bool = false) -> String {
        var result = ""
        result.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            if unreserved.contains(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    /// The canonical URI of a non-S3 service: the path as sent, encoded once more (botocore does the same).
    static func uri(_ path: String) -> String {
        let path = path.isEmpty ? "/" : path
        return encode(path, keepSlash: true)
    }

    /// Query parameters decoded, encoded strictly, sorted by name then value.
    static func query(_ raw: String) -> String {
        guard !raw.isEmpty else { return "" }
        let pairs = raw.split(separator: "&", omittingEmptySubsequences: true).map { item -> (String, String) in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[1])) : ""
            return (encode(name), encode(value))
        }
        return pairs.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// `name:value` lines of the signed headers: values of a repeated header joined by `,`, whitespace trimmed
    /// and runs of spaces collapsed.
    static func headers(_ request: SignableRequest, signed: [String]) -> String {
        signed.map { name in
            let value = request.values(of: name).map(trim).joined(separator: ",")
            return "\(name):\(value)\n"
        }.joined()
    }

    static func trim(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    static func request(_ request: SignableRequest, signedHeaders: [String], payloadHash: String) -> String {
        [
            request.method.uppercased(),
            uri(request.path),
            query(request.query),
            headers(request, signed: signedHeaders),
            signedHeaders.joined(separator: ";"),
            payloadHash,
        ].joined(separator: "\n")
    }
}
