import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
public import LockstepClient
public import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif
public import ServiceLifecycle
import UnixSignals

/// `lockstep agent`: AWS's Secrets Manager Agent's local API on loopback, so code written for that agent works
/// unchanged, with Lockstep's change feed keeping its cache fresh.
public enum LockstepAgent {
    /// The agent as a runnable application: the HTTP server and the change feed's follower.
    /// What the agent delivers beside its HTTP API: files to keep rendered, and a child to run and tell of changes.
    public struct Delivery: Sendable {
        public var renders: [RenderTarget] = []
        /// `--exec`: the command, and the signal to send on a change (nil: restart it).
        public var command: [String] = []
        public var signal: Int32? = SIGHUP

        public init() {}
    }

    /// The status the agent should exit with: the `--exec` child's, once it ended on its own.
    public final class Outcome: Sendable {
        let child = Mutex<ChildSupervisor?>(nil)

        public init() {}

        public var childStatus: Int32? { self.child.withLock { $0?.exitStatus } }
    }

    /// The agent as a service group: the HTTP server with the change feed's follower, and the renderer when asked,
    /// stopping on SIGTERM or SIGINT (the renderer first, so the child is stopped before the server). The `--exec`
    /// child ending on its own shuts the group down gracefully.
    public static func serviceGroup(
        configuration: AgentConfiguration,
        client: RemoteClient,
        token: SSRFToken,
        port: Int? = nil,
        delivery: Delivery = Delivery(),
        outcome: Outcome = Outcome(),
        environment: [String: String],
        logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> ServiceGroup {
        let cache = AgentCache(capacity: configuration.cacheSize, ttl: .seconds(configuration.ttlSeconds))
        let responder = AgentResponder(
            secrets: AgentSecrets(client: client, cache: cache, logger: logger),
            token: token,
            tokenHeaders: configuration.ssrfHeaders.compactMap { HTTPField.Name($0) },
            pathPrefix: configuration.pathPrefix
        )
        let (changes, changed) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let follower = ChangeFollower(client: client, cache: cache, logger: logger) { changed.yield() }
        let application = Application(
            responder: responder,
            configuration: .init(
                address: .hostname("127.0.0.1", port: port ?? configuration.httpPort),
                serverName: "lockstep-agent",
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConn)
            ),
            services: [follower],
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.httpPort) },
            logger: logger
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: application)]
        if !delivery.renders.isEmpty || !delivery.command.isEmpty {
            var supervisor: ChildSupervisor?
            if !delivery.command.isEmpty {
                supervisor = try ChildSupervisor(
                    command: delivery.command,
                    environment: ChildSupervisor.environment(for: environment, token: token),
                    onChange: delivery.signal.map(ChildSupervisor.OnChange.signal) ?? .restart,
                    logger: logger
                )
                outcome.child.withLock { $0 = supervisor }
            }
            let renderer = Renderer(
                targets: delivery.renders,
                secrets: responder.secrets,
                changes: changes,
                ring: changed,
                refresh: .seconds(configuration.ttlSeconds > 0 ? configuration.ttlSeconds : 60),
                child: supervisor,
                logger: logger
            )
            services.append(.init(service: renderer, successTerminationBehavior: .gracefullyShutdownGroup))
        }
        return ServiceGroup(
            configuration: ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
    }
}

/// Every request: the SSRF checks of AWS's agent (no `X-Forwarded-For`, the token in one of the configured headers),
/// GET only, then the routes `/ping`, `/secretsmanager/get` and the path prefix.
struct AgentResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let secrets: AgentSecrets
    let token: SSRFToken
    let tokenHeaders: [HTTPField.Name]
    let pathPrefix: String

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    func respond(to request: Request, context: Context) async throws -> Response {
        let answer = await self.answer(request)
        var headers: HTTPFields = [.contentType: answer.contentType]
        headers[.cacheControl] = "no-store"
        return Response(status: .init(code: answer.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    func answer(_ request: Request) async -> AgentAnswer {
        let path = request.uri.path
        if path == "/ping" { return .text(200, "healthy") }
        if request.headers[Self.forwardedFor] != nil { return .text(400, "Forwarded") }
        let presented = self.tokenHeaders.flatMap { request.headers[values: $0] }
        guard presented.contains(where: self.token.matches) else { return .text(403, "Bad Token") }
        guard request.method == .get else { return .text(405, "Not allowed") }
        let query = request.uri.query ?? ""
        do {
            if path == AgentQuery.queryPath {
                return await self.secrets.fetch(try AgentQuery.fromQuery(query))
            }
            if path.hasPrefix(self.pathPrefix) {
                return await self.secrets.fetch(try AgentQuery.fromPath(path, prefix: self.pathPrefix, query: query))
            }
        } catch {
            return .text(400, error.message)
        }
        return .text(404, "Not found")
    }
}
