import Synchronization

/// The URL of the API server process rotators call back (`SECRETS_MANAGER_ENDPOINT`), known once it listens.
///
/// `serve` sets it when its listener is bound (port 0 picks the port only then); `lockstep rotate` sets it when
/// its in-process server is up. Until then a process rotator's step fails as a retryable network error.
public final class RotatorEndpoint: Sendable {
    private let state: Mutex<String?>

    public init(_ url: String? = nil) { self.state = Mutex(url) }

    public var url: String? { self.state.withLock { $0 } }

    public func set(_ url: String) { self.state.withLock { $0 = url } }

    /// The URL a local child uses to reach a server listening on `host`: a wildcard address becomes loopback.
    public static func url(scheme: String, host: String, port: Int) -> String {
        let reachable: String
        switch host {
        case "0.0.0.0", "": reachable = "127.0.0.1"
        case "::", "[::]": reachable = "[::1]"
        default: reachable = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        }
        return "\(scheme)://\(reachable):\(port)"
    }
}
