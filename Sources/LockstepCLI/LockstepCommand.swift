public import ArgumentParser
import Foundation
import LockstepService

/// `lockstep`: the root command. The executable target only calls `LockstepCommand.main()`.
public struct LockstepCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lockstep",
        abstract: "A self-hosted secrets manager with AWS Secrets Manager's API and crash-safe rotation.",
        discussion: """
            Every AWS Secrets Manager operation is a command with the aws CLI's names:
              lockstep create-secret --name db/app --secret-string '{"username":"app"}'
              lockstep get-secret-value --secret-id db/app --query SecretString --output text
            The data directory is --data-dir, else $LOCKSTEP_DATA_DIR, else ~/.local/share/lockstep; the store is SQLite
            in it unless --store (or $LOCKSTEP_STORE) names a PostgreSQL database shared by several nodes.
            """,
        subcommands: [
            InitCommand.self, ServeCommand.self, RotateCommand.self, RotationCommand.self, IAMCommand.self, KmsCommand.self, AuditCommand.self,
            StoreCommand.self, AgentCommand.self, EventsCommand.self,
        ] + operationCommands
    )

    public init() {}

    /// Parses the process arguments and runs the command (the async entry point, whatever the caller's context).
    public static func run() async {
        await Self.main()
    }
}

/// `lockstep init`: creates the data directory, its root key file and the default master key.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a data directory: the database, a root key file (0600) and the default master key."
    )

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let configuration = self.store.configuration()
        let environment = try await LockstepEnvironment.opened(configuration, create: true)
        try await environment.ensureDefaultKey()
        let keys = AccessKeys(manager: environment.manager)
        if let key = try await keys.createFirst(userName: "admin", account: configuration.account) {
            print(AdministratorKey.banner(key))
        }
        let rootSource =
            configuration.environment["LOCKSTEP_ROOT_KEY"].map { _ in "$LOCKSTEP_ROOT_KEY" }
            ?? (configuration.rootKeyFile ?? configuration.dataDirectory.appendingPathComponent("root.key")).path
        if let store = configuration.store { print("Lockstep store: \(store)") }
        print("Lockstep data directory: \(configuration.dataDirectory.path)")
        print("Root key: \(rootSource) (keep it safe and out of backups of the database\(configuration.store == nil ? "" : "; every node needs it"))")
        print("Region \(configuration.region), account \(configuration.account)")
    }
}
