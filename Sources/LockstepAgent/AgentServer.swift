import Foundation
import HTTPTypes
public import Hummingbird
import HummingbirdCore
public import LockstepClient
public import Logging
import NIOCore
import ServiceLifecycle

/// `lockstep agent`: AWS's Secrets Manager Agent's local API on loopback, so code written for that agent works
/// unchanged, with Lockstep's change feed keeping its cache fresh.
public enum LockstepAgent {
    /// The agent as a runnable application: the HTTP server and the change feed's follower.
    public static func application(
        configuration: AgentConfiguration,
        client: RemoteClient,
        token: SSRFToken,
        port: Int? = nil,
        logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let cache = AgentCache(capacity: configuration.cacheSize, ttl: .seconds(configuration.ttlSeconds))
        let status = FeedStatus()
        let responder = AgentResponder(
            secrets: AgentSecrets(client: client, cache: cache, logger: logger),
            token: token,
            tokenHeaders: configuration.ssrfHeaders.compactMap { HTTPField.Name($0) },
            pathPrefix: configuration.pathPrefix,
            status: status
        )
        let follower = ChangeFollower(client: client, cache: cache, logger: logger, status: status)
        return Application(
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
    let status: FeedStatus

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
