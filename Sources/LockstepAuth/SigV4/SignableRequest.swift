import Crypto
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
        self.headers.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    /// The first value of a header.
    public func header(_ name: String) -> String? { self.headers.first { Self.sameName($0.name, name) }?.value }

    /// ASCII case-insensitive comparison without allocating.
    static func sameName(_ a: String, _ b: String) -> Bool {
        func lower(_ c: UInt8) -> UInt8 { c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c + 32 : c }
        return a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { lower($0) == lower($1) }
    }
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
        if path.isEmpty || path == "/" { return "/" }
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
        var result = ""
        for name in signed {
            result += name
            result += ":"
            var first = true
            for header in request.headers where SignableRequest.sameName(header.name, name) {
                if !first { result += "," }
                result += trim(header.value)
                first = false
            }
            result += "\n"
        }
        return result
    }

    /// Trims spaces and tabs and collapses inner runs to one space (works on bytes: it runs for every signed header).
    static func trim(_ value: String) -> String {
        let space = UInt8(ascii: " ")
        let bytes = Array(value.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var pendingSpace = false
        for byte in bytes {
            if byte == space || byte == UInt8(ascii: "\t") {
                pendingSpace = !result.isEmpty
            } else {
                if pendingSpace { result.append(space) }
                pendingSpace = false
                result.append(byte)
            }
        }
        return result == bytes ? value : String(decoding: result, as: UTF8.self)
    }

    /// SHA-256 of the canonical request, streamed into the hasher piece by piece (no intermediate strings: this runs
    /// for every request). Equal to hashing ``request(_:signedHeaders:payloadHash:)``, which a test checks.
    static func hash(_ request: SignableRequest, signedHeaders: [String], payloadHash: String) -> SHA256.Digest {
        var hasher = SHA256()
        func add(_ string: String) {
            var string = string
            string.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        }
        let newline = "\n"
        add(request.method.uppercased())
        add(newline)
        add(uri(request.path))
        add(newline)
        add(query(request.query))
        add(newline)
        add(headers(request, signed: signedHeaders))
        add(newline)
        for (index, name) in signedHeaders.enumerated() {
            if index > 0 { add(";") }
            add(name)
        }
        add(newline)
        add(payloadHash)
        return hasher.finalize()
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
