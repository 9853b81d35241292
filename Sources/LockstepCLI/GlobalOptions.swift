import ArgumentParser
import Foundation
import LockstepAudit
import LockstepService
import LockstepStore

/// Options every command shares: which store and data directory, which region and account.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The data directory (default: $LOCKSTEP_DATA_DIR, else ~/.local/share/lockstep).")
    var dataDir: String?

    @Option(
        name: .long,
        help: """
            The store: a PostgreSQL URI every node shares (postgresql://user@host:5432/db?target_session_attrs=read-write; \
            prefer $LOCKSTEP_STORE or ~/.pgpass to a password on the command line), or sqlite:PATH / a path (a data \
            directory). Default: $LOCKSTEP_STORE, else SQLite in the data directory.
            """
    )
    var store: String?

    @Option(name: .long, help: "The root key's file (default: DATA_DIR/root.key; $LOCKSTEP_ROOT_KEY wins). Every node of a store needs the same key.")
    var rootKeyFile: String?

    @Option(name: .long, help: "The region requests act in (default: $AWS_REGION, $AWS_DEFAULT_REGION, else us-east-1).")
    var region: String?

    @Option(name: .long, help: "The account id in ARNs (default: $LOCKSTEP_ACCOUNT_ID, else 000000000000).")
    var accountId: String?

    func configuration(environment: [String: String] = ProcessInfo.processInfo.environment) -> LockstepEnvironment.Configuration {
        Self.configuration(
            dataDir: self.dataDir, store: self.store, rootKeyFile: self.rootKeyFile, region: self.region, accountId: self.accountId,
            environment: environment
        )
    }

    /// Explicit values win, then the environment, then the defaults.
    static func configuration(
        dataDir: String?,
        store: String? = nil,
        rootKeyFile: String? = nil,
        region: String?,
        accountId: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> LockstepEnvironment.Configuration {
        let location = (store ?? environment["LOCKSTEP_STORE"]).flatMap(StoreLocation.init(parsing:))
        var directory = dataDir.map { URL(fileURLWithPath: $0) }
        if case .sqlite(let path) = location { directory = path }
        var configuration = LockstepEnvironment.Configuration(
            dataDirectory: directory ?? LockstepEnvironment.Configuration.defaultDataDirectory(environment: environment),
            region: region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? LockstepEnvironment.Configuration.defaultRegion,
            account: accountId ?? environment["LOCKSTEP_ACCOUNT_ID"] ?? LockstepEnvironment.Configuration.defaultAccount,
            environment: environment
        )
        if case .postgres = location { configuration.store = location }
        configuration.rootKeyFile = rootKeyFile.map { URL(fileURLWithPath: $0) }
        configuration.audit.jsonLinesPath = environment["LOCKSTEP_AUDIT_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.audit.notifyCommand = environment["LOCKSTEP_AUDIT_NOTIFY_COMMAND"].flatMap { $0.isEmpty ? nil : $0 }
        let data = configuration.dataDirectory
        configuration.audit.digestDirectory =
            environment["LOCKSTEP_AUDIT_DIGEST_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? data.appendingPathComponent("audit-digests").path
        configuration.audit.exportDirectory =
            environment["LOCKSTEP_AUDIT_EXPORT_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? data.appendingPathComponent("audit-segments").path
        return configuration
    }
}

/// Options an operation command takes besides the request's own: parsed out of the passthrough arguments so
/// they may appear anywhere, as with the aws CLI.
struct OperationGlobals {
    var dataDir: String?
    var store: String?
    var rootKeyFile: String?
    var region: String?
    var accountId: String?
    var output = OutputFormatter()
    var cliInputJSON: String?
    var endpointURL: String?
    var profile: String?
    var help = false
    /// What is left: the operation's own options.
    var remaining: [String] = []

    var configuration: LockstepEnvironment.Configuration {
        StoreOptions.configuration(
            dataDir: self.dataDir, store: self.store, rootKeyFile: self.rootKeyFile, region: self.region, accountId: self.accountId
        )
    }

    init(_ arguments: [String]) throws {
        var index = 0
        func next(_ option: String) throws -> String {
            index += 1
            guard index < arguments.count else { throw ArgumentTranslator.UsageError(description: "Expected a value for \(option)") }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--data-dir": self.dataDir = try next(argument)
            case "--store": self.store = try next(argument)
            case "--root-key-file": self.rootKeyFile = try next(argument)
            case "--region": self.region = try next(argument)
            case "--account-id": self.accountId = try next(argument)
            case "--query": self.output.query = try Query(try next(argument))
            case "--output":
                let value = try next(argument)
                guard let format = OutputFormatter.Format(rawValue: value) else {
                    throw ArgumentTranslator.UsageError(description: "argument --output: Invalid choice '\(value)', choose from: json, text")
                }
                self.output.format = format
            case "--cli-input-json": self.cliInputJSON = try next(argument)
            case "--endpoint-url": self.endpointURL = try next(argument)
            case "--profile": self.profile = try next(argument)
            case "--help", "-h": self.help = true
            default: self.remaining.append(argument)
            }
            index += 1
        }
    }
}
