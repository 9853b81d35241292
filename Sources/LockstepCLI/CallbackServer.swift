import ArgumentParser
import Hummingbird
import LockstepRotation
import LockstepServer
import Logging

/// The API server `lockstep rotate` runs for a process rotator, which calls the API back like a Lambda function.
enum CallbackServer {
    /// Runs `body` while an API server listens on a free loopback port, its URL given to the process rotators.
    static func run(
        _ setup: RotationSetup,
        _ body: @escaping @Sendable () async -> RotationOutcome
    ) async throws
        -> RotationOutcome
    {
        var logger = Logger(label: "lockstep.rotate.server")
        logger.logLevel = .warning  // The steps are printed; request lines would only interleave with them.
        let (ports, listening) = AsyncStream<Int>.makeStream()
        let app = try LockstepServer.buildApplication(
            environment: setup.environment,
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0, tls: nil),
            authentication: .sigV4,
            logger: logger,
            onListening: { port in listening.yield(port) }
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { listening.finish() }
                try await app.runService()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await group.waitForAll()
                throw ValidationError("The API server for the process rotator did not start.")
            }
            setup.endpoint.set(RotatorEndpoint.url(scheme: "http", host: "127.0.0.1", port: port))
            let outcome = await body()
            group.cancelAll()
            return outcome
        }
    }
}
