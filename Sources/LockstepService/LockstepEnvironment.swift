public import Foundation
public import LockstepAudit
import LockstepCore
public import LockstepCrypto
public import LockstepStore

#if canImport(Glibc)
import Glibc
#endif

/// Everything one process needs to serve a data directory: the store, the keyring and the service.
///
/// The CLI, the server and the benchmarks all open a data directory this way.
public struct LockstepEnvironment: Sendable {
    /// Where a data directory and the default identity come from.
    public struct Configuration: Sendable {
        public var dataDirectory: URL
        /// Where the secrets and the audit log live: nil for SQLite files in ``dataDirectory`` (the default), or a
        /// PostgreSQL database every node shares (the data directory then holds only local files: a generated root
        /// key, digests, exported segments).
        public var store: StoreLocation?
        /// The root key's file, instead of `DATA_DIR/root.key` (`LOCKSTEP_ROOT_KEY` still wins).
        public var rootKeyFile: URL?
        public var region: String
        public var account: String
        /// The process environment (for `LOCKSTEP_ROOT_KEY`).
        public var environment: [String: String]
        /// Audit sinks besides the store (a JSON-lines file, a notification command).
        public var audit = AuditLog.Configuration()
        /// Evaluate policies and record the audit log. Only the benchmark comparison turns this off.
        public var accessControl = true
        /// Each lockstep.db connection's page cache and memory map (audit.db keeps ``SQLiteMemory/audit``; ignored
        /// for PostgreSQL).
        public var sqliteMemory = SQLiteMemory()
        /// Unwrapped data keys kept for repeated reads (0: none).
        public var cachedDataKeys = Envelope.defaultCachedDataKeys

        public static let defaultRegion = "us-east-1"
        public static let defaultAccount = "000000000000"

        public init(
            dataDirectory: URL,
            region: String = defaultRegion,
            account: String = defaultAccount,
            environment: [String: String] = ProcessInfo.processInfo.environment
        ) {
            self.dataDirectory = dataDirectory
            self.region = region
            self.account = account
            self.environment = environment
        }

        /// The store this configuration opens.
        public var storeLocation: StoreLocation { self.store ?? .sqlite(directory: self.dataDirectory) }

        /// `LOCKSTEP_DATA_DIR`, else `$XDG_DATA_HOME/lockstep`, else `~/.local/share/lockstep`.
        public static func defaultDataDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
            if let dir = environment["LOCKSTEP_DATA_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
            if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return URL(fileURLWithPath: xdg).appendingPathComponent("lockstep") }
            let home = environment["HOME"] ?? NSHomeDirectory()
            return URL(fileURLWithPath: home).appendingPathComponent(".local/share/lockstep")
        }
    }

    /// A data directory that can't be opened. Messages name paths, never key material.
    public struct Error: Swift.Error, CustomStringConvertible {
        public let description: String
        /// The store's database could not be reached (down, starting, shutting down, or only a standby where a
        /// read-write server is asked for): worth trying again later, unlike a wrong path or key.
        public var isStoreUnavailable = false

        public init(description: String, isStoreUnavailable: Bool = false) {
            self.description = description
            self.isStoreUnavailable = isStoreUnavailable
        }
    }

    public let configuration: Configuration
    public let store: any SecretStore & StoreLifecycle
    /// The audit log's own store (`audit.db`, or the audit tables of the PostgreSQL database).
    public let auditStore: any AuditStore & StoreLifecycle
    public let keyring: LocalKeyring
    public let manager: SecretsManager
    /// The data directory's audit log (also when the manager doesn't record: `audit verify` and `list` read it).
    public let auditLog: AuditLog

    /// The context of requests made by this process's own user (the CLI, the benchmarks).
    public var context: RequestContext { RequestContext(account: self.configuration.account, region: self.configuration.region) }

    public var dispatcher: OperationDispatcher { OperationDispatcher(manager: self.manager) }

    /// The same data directory with the rotation engine's hooks on its service.
    public func with(rotation: RotationHooks) -> LockstepEnvironment {
        LockstepEnvironment(
            configuration: self.configuration,
            store: self.store,
            auditStore: self.auditStore,
            keyring: self.keyring,
            manager: self.manager.with(rotation: rotation),
            auditLog: self.auditLog
        )
    }

    /// Opens a data directory.
    ///
    /// - Parameters:
    ///   - configuration: the directory, region, account and environment.
    ///   - create: create the directory (mode 0700), the root key file (0600) and the database when missing;
    ///     otherwise a missing directory is an error that says to run `lockstep init`.
    public static func open(_ configuration: Configuration, create: Bool) throws -> LockstepEnvironment {
        // Everything this process creates (database, WAL, key file) is for its owner only.
        umask(0o077)
        let directory = configuration.dataDirectory
        let path = directory.path
        let location = configuration.storeLocation
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            // With PostgreSQL the directory holds only this node's local files: any node may start without one.
            guard create || location != .sqlite(directory: directory) else {
                throw Error(description: "no Lockstep data directory at \(path): run `lockstep init` first")
            }
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } else if !isDirectory.boolValue {
            throw Error(description: "\(path) is not a directory")
        }
        let store: any SecretStore & StoreLifecycle
        let auditStore: any AuditStore & StoreLifecycle
        let storeExists: Bool
        switch location {
        case .sqlite(let directory):
            storeExists = FileManager.default.fileExists(atPath: directory.appendingPathComponent(SQLiteSecretStore.fileName).path)
            store = try SQLiteSecretStore(directory: directory, memory: configuration.sqliteMemory)
            // After lockstep.db is migrated: records an older version kept there move to audit.db.
            auditStore = try SQLiteAuditStore(directory: directory)
        case .postgres(let connectionString):
            do {
                let postgres = try PostgresSecretStore(connectionString: connectionString)
                storeExists = postgres.heldKeys
                store = postgres
                auditStore = try PostgresAuditStore(connectionString: connectionString)
            } catch let error as PostgresStoreError {
                throw Error(description: "can't open the store \(location): \(error.message)", isStoreUnavailable: error.isUnavailable)
            }
        }
        // A new root key only for a new store: one that already holds data would have every secret, key and audit
        // record made unreadable by it (and the audit log would seem tampered with).
        let root = try RootKey.load(
            directory: directory,
            environment: configuration.environment,
            create: create && !storeExists,
            existingStore: storeExists,
            file: configuration.rootKeyFile
        )
        let keyring = LocalKeyring(root: root, region: configuration.region, account: configuration.account)
        let audit = AuditLog(
            store: auditStore,
            key: root.derivedKey(for: "audit chain"),
            signingKeys: AuditSigningKeys(seed: root.derivedKey(for: "audit digest signing")),
            configuration: configuration.audit
        )
        return LockstepEnvironment(
            configuration: configuration,
            store: store,
            auditStore: auditStore,
            keyring: keyring,
            manager: SecretsManager(
                store: store,
                keyProvider: keyring,
                audit: configuration.accessControl ? audit : nil,
                enforcesPolicies: configuration.accessControl,
                cachedDataKeys: configuration.cachedDataKeys
            ),
            auditLog: audit
        )
    }

    /// Opens a data directory and checks that its root key opens its keyring: what every command uses.
    ///
    /// Opening connects to a PostgreSQL store and migrates it, with libpq calls that block their thread, so it runs
    /// on a thread of its own: never on the concurrency pool (whose threads are NIO's event loops in `lockstep`).
    public static func opened(_ configuration: Configuration, create: Bool) async throws -> LockstepEnvironment {
        let environment = try await Blocking.run { try Self.open(configuration, create: create) }
        try await environment.checkRootKey()
        return environment
    }

    /// Refuses a root key that does not open this store's keyring, in one line that says so (rather than a 500 on
    /// every request and an audit log that seems tampered with).
    public func checkRootKey() async throws {
        let keyring = self.keyring
        let opens = try await self.store.read { tx in try keyring.opensMasterKeys(in: tx) }
        guard opens else {
            let source =
                self.configuration.environment[RootKey.environmentVariable].map { _ in RootKey.environmentVariable }
                ?? (self.configuration.rootKeyFile ?? self.configuration.dataDirectory.appendingPathComponent(RootKey.fileName)).path
            throw Error(description: "the root key from \(source) does not open the keyring of \(self.configuration.storeLocation): wrong root key")
        }
    }

    /// Makes sure the default master key exists (so `init` leaves a complete key hierarchy).
    public func ensureDefaultKey() async throws {
        let keyring = self.keyring
        _ = try await self.store.write { tx in try keyring.resolve(nil, in: tx) }
    }
}
