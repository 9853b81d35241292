import Foundation

/// How `lockstep serve` listens.
public struct ServerConfiguration: Sendable {
    /// The documented default address: loopback only.
    public static let defaultHost = "127.0.0.1"
    public static let defaultPort = 8088
    /// Largest request body accepted (a 64 KiB SecretBinary is about 88 KiB of base64 JSON).
    public static let defaultMaximumBodySize = 512 * 1024

    /// Certificate and key files (PEM) for TLS.
    public struct TLS: Sendable {
        public var certificatePath: String
        public var privateKeyPath: String

        public init(certificatePath: String, privateKeyPath: String) {
            self.certificatePath = certificatePath
            self.privateKeyPath = privateKeyPath
        }
    }

    public var host: String
    public var port: Int
    public var tls: TLS?
    public var maximumBodySize: Int

    public init(host: String = defaultHost, port: Int = defaultPort, tls: TLS? = nil, maximumBodySize: Int = defaultMaximumBodySize) {
        self.host = host
        self.port = port
        self.tls = tls
        self.maximumBodySize = maximumBodySize
    }

    /// Parses `HOST:PORT`, `:PORT` or `[IPv6]:PORT`.
    public static func parseListen(_ value: String) -> (host: String, port: Int)? {
        guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        var host = String(value[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? defaultHost : host, port)
    }
}
