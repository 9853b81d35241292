import Foundation
import HTTPTypes
public import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import LockstepAuth
import LockstepCore
public import LockstepService
public import LockstepStore
public import Logging
import NIOCore
import NIOSSL
public import ServiceLifecycle
import Synchronization

/// `lockstep serve`: the AWS Secrets Manager API over HTTP on Hummingbird.
///
/// Routes: `POST /` (AWS JSON 1.1, SigV4), `GET /v1/changes` (the change feed, SigV4), `GET /health` (store
/// reachable), `GET /metrics` (Prometheus).
public enum LockstepServer {
    /// Builds the application for an opened data directory.
    ///
    /// - Parameters:
    ///   - environment: the opened data directory.
    ///   - configuration: address, TLS, limits.
    ///   - authentication: SigV4 against stored keys, or development mode.
    ///   - logger: the server's logger (a request id is added per request).
    ///   - onListening: called with the bound port once the server listens (port 0 picks a free one).
    public static func buildApplication(
        environment: LockstepEnvironment,
        configuration: ServerConfiguration,
        authentication: APIHandler.Authentication,
        logger: Logger,
        services: [any Service] = [],
        onStoreChange: @escaping @Sendable (StoreChange) -> Void = { _ in },
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        ServerMetrics.shared.bootstrap()
        let handler = APIHandler(
            dispatcher: environment.dispatcher,
            accessKeys: AccessKeys(manager: environment.manager),
            authentication: authentication,
            allowedRegions: configuration.allowedRegions,
            secureTransport: configuration.tls != nil
        )
        var services = services
        services.append(
            ChangeFeedRetention(
                manager: environment.manager,
                age: configuration.changeRetention,
                maximum: configuration.changeRetentionMaximum,
                logger: logger
            )
        )
        if let store = environment.store as? any StoreChangeNotifications {
            // Another node's (or the CLI's) IAM change reaches this node's credential cache at once.
            let keys = handler.accessKeys
            let feed = environment.manager.changes
            services.append(
                StoreChangeListener(store: store, logger: logger) { change in
                    if change == .access || change == .unknown { keys.forgetCached() }
                    if change == .feed || change == .unknown { feed.wake() }
                    onStoreChange(change)
                }
            )
        }
        let router = Router(context: PeerRequestContext.self)
        let maximumBodySize = configuration.maximumBodySize
        router.post("/") { request, context -> Response in
            try await Self.respond(to: request, context: context, handler: handler, maximumBodySize: maximumBodySize, logger: logger)
        }
        let store = environment.store
        router.get("/v1/changes") { request, context -> Response in
            await Self.respondWithChanges(to: request, context: context, handler: handler, logger: logger)
        }
        router.get("/health") { _, _ -> Response in
            let healthy = await store.isReachable()
            return Self.json(status: healthy ? .ok : .serviceUnavailable, Data(#"{"status":"\#(healthy ? "ok" : "unavailable")"}"#.utf8))
        }
        let manager = environment.manager
        let perSecretMetrics = configuration.rotationSecretMetrics
        router.get("/metrics") { _, _ -> Response in
            var text = ServerMetrics.shared.render()
            // A store that is away must not make the scrape fail: the process metrics still answer.
            if perSecretMetrics, let gauges = try? await manager.rotationGauges(limit: RotationGaugeText.limit) {
                text += RotationGaugeText.render(gauges)
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: text))
            )
        }
        // A silent connection (a partial header, a stalled body, an idle keep-alive) is closed after the idle timeout;
        // beyond the connection limit new connections wait in the backlog instead of taking descriptors the store needs.
        // `Expect: 100-continue` is answered at once (ExpectContinueHandler).
        let http1: HTTPServerBuilder = .http1(
            configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()], idleTimeout: TimeAmount(configuration.idleTimeout))
        )
        var server = http1
        if let tls = configuration.tls {
            let certificates = try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem)
            server = try .tls(http1, tlsConfiguration: .makeServerConfiguration(certificateChain: certificates, privateKey: .privateKey(key)))
        }
        let connectionLimit = ServerConfiguration.connectionLimit(requested: configuration.maximumConnections)
        if connectionLimit < configuration.maximumConnections {
            logger.notice(
                "connection limit lowered to fit the open-file limit",
                metadata: ["requested": .stringConvertible(configuration.maximumConnections), "limit": .stringConvertible(connectionLimit)]
            )
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "lockstep",
                availableConnectionsDelegate: MaximumAvailableConnections(connectionLimit)
            ),
            // Started in this order, stopped in reverse: the HTTP server first, then the scheduler (and anything else),
            // then the audit log writes what is queued, then the store checkpoints.
            services: [StoreShutdown(store: environment.store, auditStore: environment.auditStore, logger: logger), environment.auditLog] + services,
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
    }

    static let requestIdField = HTTPField.Name("x-amzn-RequestId")!

    static func respond(
        to request: Request,
        context: PeerRequestContext,
        handler: APIHandler,
        maximumBodySize: Int,
        logger: Logger
    ) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        let requestId = RequestID.next()
        let answer: APIHandler.Answer
        do {
            let buffer = try await request.body.collect(upTo: maximumBodySize)
            answer = await handler.handle(
                Self.signable(request, body: buffer.withUnsafeReadableBytes { Data($0) }),  // one copy, no generic walk
                requestID: requestId,
                sourceIP: context.remoteAddress?.ipAddress ?? "-"
            )
        } catch {
            answer = APIHandler.failure(
                LockstepCore.SecretsManagerError(.serialization, "The request body is larger than \(maximumBodySize) bytes."),
                operation: "-",
                principal: nil
            )
        }
        return Self.response(answer, requestId: requestId, started: started, logger: logger)
    }

    /// `GET /v1/changes`: the change feed, signed like every call (an empty body).
    static func respondWithChanges(to request: Request, context: PeerRequestContext, handler: APIHandler, logger: Logger) async -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        let requestId = RequestID.next()
        let signable = Self.signable(request, body: Data())
        let sourceIP = context.remoteAddress?.ipAddress ?? "-"
        // A long poll ends (answering what it has) when the server begins to stop, instead of holding the shutdown
        // for its whole wait.
        let answer = await cancelWhenGracefulShutdown {
            await handler.handleChanges(signable, requestID: requestId, sourceIP: sourceIP)
        }
        return Self.response(answer, requestId: requestId, started: started, logger: logger)
    }

    /// The answer as an HTTP response, measured and logged.
    static func response(_ answer: APIHandler.Answer, requestId: String, started: UInt64, logger: Logger) -> Response {
        let elapsed = DispatchTime.now().uptimeNanoseconds - started
        ServerMetrics.shared.record(operation: answer.operation, errorCode: answer.errorCode, nanoseconds: elapsed)
        // Request-derived values (the operation is the target as sent) go through LogValue: quoted and escaped when
        // they hold anything but plain characters, so they can't forge fields or lines.
        logger.info(
            "request",
            metadata: [
                "request-id": .string(requestId),
                "operation": .string(LogValue.quoted(answer.operation)),
                "status": .stringConvertible(answer.status),
                "error": .string(LogValue.quoted(answer.errorCode ?? "-")),
                "principal": .string(LogValue.quoted(answer.principal ?? "-")),
                "micros": .stringConvertible(elapsed / 1_000),
            ]
        )
        var response = Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: [.contentType: answer.contentType],
            body: .init(byteBuffer: ByteBuffer(bytes: answer.body))
        )
        response.headers[Self.requestIdField] = requestId
        return response
    }

    static func json(status: HTTPResponse.Status, _ body: Data) -> Response {
        Response(status: status, headers: [.contentType: APIHandler.contentType], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The request as SigV4 sees it. HTTP/1's `Host` travels as the authority in swift-http-types.
    static func signable(_ request: Request, body: Data) -> SignableRequest {
        var headers: [(name: String, value: String)] = []
        if let authority = request.head.authority { headers.append((name: "host", value: authority)) }
        for field in request.headers { headers.append((name: field.name.canonicalName, value: field.value)) }
        return SignableRequest(
            method: request.method.rawValue,
            path: request.uri.path,
            query: request.uri.query ?? "",
            headers: headers,
            body: body
        )
    }
}

/// Checkpoints the store and the audit store when the server stops (after in-flight requests have finished: services stop in reverse
/// order, the HTTP server first).
struct StoreShutdown: Service {
    let store: any StoreLifecycle
    let auditStore: any StoreLifecycle
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        do {
            try await self.store.checkpoint()
            self.logger.info("store closed cleanly")
        } catch {
            self.logger.error("store checkpoint failed", metadata: ["error": .string(String(describing: error))])
        }
        do {
            try await self.auditStore.checkpoint()
        } catch {
            self.logger.error("audit store checkpoint failed", metadata: ["error": .string(String(describing: error))])
        }
    }
}

/// Follows a shared store's changes for as long as the server runs.
struct StoreChangeListener: Service {
    let store: any StoreChangeNotifications
    let logger: Logger
    let handle: @Sendable (StoreChange) -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await change in self.store.changes() {
                if change == .unknown { self.logger.debug("listening to the store's changes") }
                self.handle(change)
            }
        }
    }
}

/// Request ids in UUID form, minted without a system call.
enum RequestID {
    private static let ids = SequentialUUIDs()

    static func next() -> String { self.ids.next() }
}

/// Hummingbird's basic context plus the peer's address (`aws:SourceIp`, the audit records' `sourceIPAddress`).
struct PeerRequestContext: Hummingbird.RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
