import Foundation
import LockstepCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How `lockstep serve` listens.
public struct ServerConfiguration: Sendable {
    /// The documented default address: loopback only.
    public static let defaultHost = "127.0.0.1"
    public static let defaultPort = 8088
    /// Largest request body accepted (a 64 KiB SecretBinary is about 88 KiB of base64 JSON).
    public static let defaultMaximumBodySize = 512 * 1024
    /// How long a connection may stay silent: before its request head is complete, between parts of a body, and
    /// between requests. A client that sends part of a header and stops is disconnected after this.
    public static let defaultIdleTimeout: Duration = .seconds(30)
    /// Connections open at once (fewer when the open-file limit is lower, see ``connectionLimit(requested:)``).
    public static let defaultMaximumConnections = 1024
    /// File descriptors kept for everything but connections: the store's database and WAL files, the audit file,
    /// rotator pipes, database connections of the built-in rotators.
    public static let reservedFileDescriptors = 64

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
    /// See ``defaultIdleTimeout``.
    public var idleTimeout: Duration
    /// Connections beyond this wait in the listen backlog (they are not accepted) until one closes.
    public var maximumConnections: Int
    /// When set, the only regions a signature's credential scope may name; otherwise any name of a region's form.
    public var allowedRegions: Set<String>?
    /// How long the change feed keeps a change, and how many it keeps at most (the newest).
    public var changeRetention: Duration = ServerConfiguration.defaultChangeRetention
    public var changeRetentionMaximum: Int = ServerConfiguration.defaultChangeRetentionMaximum
    public static let defaultChangeRetention: Duration = .seconds(86_400)
    public static let defaultChangeRetentionMaximum = 100_000
    /// Whether `/metrics` carries a series per rotation-enabled secret (``RotationGaugeText``).
    public var rotationSecretMetrics = true

    /// - Parameters:
    ///   - host: address to bind.
    ///   - port: port to bind (0 picks a free one).
    ///   - tls: certificate and key, or nil for plain HTTP.
    ///   - maximumBodySize: largest request body accepted.
    ///   - idleTimeout: how long a connection may stay silent.
    ///   - maximumConnections: connections open at once (capped by the open-file limit).
    ///   - allowedRegions: the only regions accepted in a credential scope, or nil for any region name.
    public init(
        host: String = defaultHost,
        port: Int = defaultPort,
        tls: TLS? = nil,
        maximumBodySize: Int = defaultMaximumBodySize,
        idleTimeout: Duration = defaultIdleTimeout,
        maximumConnections: Int = defaultMaximumConnections,
        allowedRegions: Set<String>? = nil
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.maximumBodySize = maximumBodySize
        self.idleTimeout = idleTimeout
        self.maximumConnections = maximumConnections
        self.allowedRegions = allowedRegions
    }

    /// `requested`, lowered so that connections can never use the descriptors the rest of the server needs: at most
    /// the open-file limit less the descriptors open now and ``reservedFileDescriptors``, and at least 1.
    public static func connectionLimit(requested: Int) -> Int {
        guard let limit = Self.openFileLimit() else { return max(1, requested) }
        let budget = limit - Self.openFileDescriptors() - Self.reservedFileDescriptors
        return max(1, min(requested, budget))
    }

    /// The soft `RLIMIT_NOFILE`, or nil when unlimited or unknown.
    static func openFileLimit() -> Int? {
        var limit = rlimit()
        #if os(Linux)
        let result = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        #else
        let result = getrlimit(RLIMIT_NOFILE, &limit)
        #endif
        guard result == 0, limit.rlim_cur < rlim_t(Int32.max) else { return nil }  // RLIM_INFINITY is all ones
        return Int(limit.rlim_cur)
    }

    /// Descriptors this process has open (Linux: `/proc/self/fd`; elsewhere a guess).
    static func openFileDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 16
    }

    /// Parses `a,b,c` into region names; nil when one isn't a region name.
    public static func parseRegions(_ value: String) -> Set<String>? {
        let names = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty, names.allSatisfy(RegionName.isValid) else { return nil }
        return Set(names)
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
