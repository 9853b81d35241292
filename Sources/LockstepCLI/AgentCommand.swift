import ArgumentParser
import Foundation
import Hummingbird
import LockstepAgent
import LockstepClient
import Logging

/// `lockstep agent`: a local caching proxy that speaks AWS's Secrets Manager Agent's API (LockstepAgent).
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Serve secrets to local applications through AWS's Secrets Manager Agent API, cached and kept fresh.",
        discussion: """
            Listens on 127.0.0.1 (port 2773 by default) for GET /secretsmanager/get?secretId=ID and GET /v1/ID, \
            answering as AWS's Secrets Manager Agent does, with the SSRF token required in X-Aws-Parameters-Secrets-Token \
            (read from AWS_TOKEN, AWS_SESSION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN; file://PATH names a file). \
            Upstream calls are signed with the standard AWS credential chain. Against Lockstep the agent follows the \
            change feed and drops a cached secret the moment it changes; against AWS the TTL (ttl_seconds) applies.
            """
    )

    @Option(help: "A TOML file with the AWS agent's keys: ttl_seconds, cache_size, http_port, ssrf_headers, ssrf_env_variables, path_prefix, max_conn, log_level, region.")
    var config: String?

    @Option(name: .customLong("endpoint-url"), help: "The Secrets Manager endpoint (default: AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL, else AWS in the region).")
    var endpointURL: String?

    @Option(help: "The region to sign for (default: the configuration's region, AWS_REGION, AWS_DEFAULT_REGION, the profile's).")
    var region: String?

    @Option(help: "The profile in ~/.aws/credentials.")
    var profile: String?

    @Option(help: "Listen on this port instead of http_port (0 picks a free one, printed at start).")
    var port: Int?

    func validate() throws {
        if let port = self.port, !(0...65535).contains(port) { throw ValidationError("--port must be 0 to 65535") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var configuration = AgentConfiguration()
        if let path = self.config {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw ValidationError("can't read the configuration file \(path)")
            }
            do {
                configuration = try AgentConfiguration(toml: text)
            } catch {
                throw ValidationError("\(path): \(error.description)")
            }
        }
        let level: Logger.Level =
            switch configuration.logLevel {
            case .debug: .debug
            case .info: .info
            case .warn: .warning
            case .error: .error
            case .none: .critical
            }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "lockstep-agent")
        let token: SSRFToken
        let client: RemoteClient
        do {
            token = try SSRFToken(variables: configuration.ssrfEnvVariables, environment: environment)
            client = try Self.client(
                endpoint: self.endpointURL ?? environment["AWS_ENDPOINT_URL_SECRETS_MANAGER"] ?? environment["AWS_ENDPOINT_URL"],
                profile: self.profile,
                region: self.region ?? configuration.region,
                environment: environment
            )
        } catch let error as SSRFToken.Missing {
            throw ValidationError(error.description)
        } catch let error as RemoteClient.ConfigurationError {
            throw ValidationError(error.description)
        }
        let app = LockstepAgent.application(configuration: configuration, client: client, token: token, port: self.port, logger: logger) {
            port in
            writeLine("Lockstep agent listening on http://127.0.0.1:\(port) (upstream \(client.endpoint.absoluteString))")
        }
        try await app.runService()
    }

    /// The upstream client: the endpoint given, else AWS's for the region.
    static func client(endpoint: String?, profile: String?, region: String?, environment: [String: String]) throws -> RemoteClient {
        if let endpoint {
            guard let url = URL(string: endpoint), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw RemoteClient.ConfigurationError(description: "Bad value for --endpoint-url: \(endpoint)")
            }
            var client = try RemoteClient(endpoint: url, profile: profile, region: region, environment: environment)
            client.userAgent = "lockstep-agent"
            return client
        }
        let probe = try RemoteClient(endpoint: URL(string: "https://localhost")!, profile: profile, region: region, environment: environment)
        var client = try RemoteClient(
            endpoint: URL(string: "https://secretsmanager.\(probe.region).amazonaws.com")!,
            profile: profile,
            region: probe.region,
            environment: environment
        )
        client.userAgent = "lockstep-agent"
        return client
    }
}
