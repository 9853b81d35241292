import ArgumentParser
import Foundation
import ServiceLifecycle
import LockstepAgent
import LockstepClient
import Logging

#if canImport(Glibc)
import Glibc
#endif

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

    @Option(
        help: """
            Keep a file written with a secret's AWSCURRENT value, or one key of its JSON: SECRET_ID[#KEY]:PATH (mode 0600, \
            replaced atomically, rewritten when the secret changes). Repeatable.
            """
    )
    var render: [String] = []

    @Option(
        help: """
            Keep a file written from a template: TEMPLATE_FILE:PATH, where {{ SECRET_ID }} and {{ SECRET_ID#KEY }} are \
            replaced with values. Repeatable.
            """
    )
    var renderTemplate: [String] = []

    @Flag(help: "Run the command after -- once the files are rendered; tell it when one changes; exit with its status.")
    var exec = false

    @Option(help: "The signal --exec sends the command when a rendered file changes: HUP, USR1, USR2, INT, TERM.")
    var execSignal = "HUP"

    @Flag(help: "Restart the --exec command when a rendered file changes, instead of signalling it.")
    var execRestart = false

    @Argument(parsing: .postTerminator, help: "The command --exec runs, after --.")
    var command: [String] = []

    static let signals: [String: Int32] = ["HUP": SIGHUP, "USR1": SIGUSR1, "USR2": SIGUSR2, "INT": SIGINT, "TERM": SIGTERM]

    func validate() throws {
        if let port = self.port, !(0...65535).contains(port) { throw ValidationError("--port must be 0 to 65535") }
        guard self.exec == !self.command.isEmpty else { throw ValidationError("--exec goes with a command after --") }
        guard Self.signals[self.execSignal.uppercased()] != nil else { throw ValidationError("--exec-signal must be HUP, USR1, USR2, INT or TERM") }
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
        CommandLogging.bootstrap(level: level)
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
        var delivery = LockstepAgent.Delivery()
        do {
            delivery.renders =
                try self.render.map { try RenderTarget(render: $0) }
                + self.renderTemplate.map { spec in
                    try RenderTarget(template: spec) { try String(contentsOfFile: $0, encoding: .utf8) }
                }
        } catch let error as RenderTarget.Invalid {
            throw ValidationError(error.description)
        }
        delivery.command = self.command
        delivery.signal = self.execRestart ? nil : Self.signals[self.execSignal.uppercased()]
        let outcome = LockstepAgent.Outcome()
        do {
            let group = try LockstepAgent.serviceGroup(
                configuration: configuration,
                client: client,
                token: token,
                port: self.port,
                delivery: delivery,
                outcome: outcome,
                environment: environment,
                logger: logger
            ) { port in
                writeLine("Lockstep agent listening on http://127.0.0.1:\(port) (upstream \(client.endpoint.absoluteString))")
            }
            try await group.run()
        } catch let error as ChildCommandError {
            throw ValidationError(error.description)
        }
        if let status = outcome.childStatus { throw ExitCode(status) }
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
