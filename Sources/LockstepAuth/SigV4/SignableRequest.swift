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
        guard a.utf8.count == b.utf8.count else { return false }
        // Native strings are contiguous: compare the buffers (a zip of two UTF8Views costs several times more, and
        // this runs a few dozen times per request).
        let contiguous = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in
                for index in 0..<x.count where lower(x[index]) != lower(y[index]) { return false }
                return true
            }
        }
        if let contiguous, let same = contiguous { return same }
        return zip(a.utf8, b.utf8).allSatisfy { lower($0) == lower($1) }
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
        var bytes: [UInt8] = []
        self.appendHeaders(request, signed: signed, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// ``headers(_:signed:)`` written into a byte buffer (it runs for every request: no string per header).
    static func appendHeaders(_ request: SignableRequest, signed: [String], to output: inout [UInt8]) {
        for name in signed {
            output.append(contentsOf: name.utf8)
            output.append(UInt8(ascii: ":"))
            var first = true
            for header in request.headers where SignableRequest.sameName(header.name, name) {
                if !first { output.append(UInt8(ascii: ",")) }
                self.appendTrimmed(header.value, to: &output)
                first = false
            }
            output.append(UInt8(ascii: "\n"))
        }
    }

    /// Trims spaces and tabs and collapses inner runs to one space.
    static func trim(_ value: String) -> String {
        var bytes: [UInt8] = []
        self.appendTrimmed(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// ``trim(_:)`` appended to a byte buffer.
    static func appendTrimmed(_ value: String, to output: inout [UInt8]) {
        let space = UInt8(ascii: " ")
        var started = false
        var pendingSpace = false
        for byte in value.utf8 {
            if byte == space || byte == UInt8(ascii: "\t") {
                pendingSpace = started
            } else {
                if pendingSpace { output.append(space) }
                pendingSpace = false
                started = true
                output.append(byte)
            }
        }
    }

    /// SHA-256 of the canonical request, written into one buffer and hashed once (no intermediate strings: this
    /// runs for every request). Equal to hashing ``request(_:signedHeaders:payloadHash:)``, which a test checks.
    static func hash(_ request: SignableRequest, signedHeaders: [String], payloadHash: String) -> SHA256.Digest {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1024)
        let newline = UInt8(ascii: "\n")
        bytes.append(contentsOf: request.method.uppercased().utf8)
        bytes.append(newline)
        bytes.append(contentsOf: uri(request.path).utf8)
        bytes.append(newline)
        bytes.append(contentsOf: query(request.query).utf8)
        bytes.append(newline)
        self.appendHeaders(request, signed: signedHeaders, to: &bytes)
        bytes.append(newline)
        for (index, name) in signedHeaders.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ";")) }
            bytes.append(contentsOf: name.utf8)
        }
        bytes.append(newline)
        bytes.append(contentsOf: payloadHash.utf8)
        return SHA256.hash(data: bytes)
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
