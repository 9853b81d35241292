import ArgumentParser
import Foundation
import Hummingbird
import LockstepAudit
import LockstepCore
import LockstepCrypto
import LockstepEvents
import LockstepRotation
import LockstepServer
import LockstepService
import LockstepStore
import Logging
import ServiceLifecycle

/// `lockstep serve`: the AWS Secrets Manager API on HTTP(S).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the AWS Secrets Manager API (JSON 1.1, SigV4) over HTTP.",
        discussion: """
            Point any AWS SDK or the aws CLI at it with --endpoint-url http://127.0.0.1:8088.
            On an empty data directory an administrator access key is created and printed once.
            """
    )

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).")
    var listen = "\(ServerConfiguration.defaultHost):\(ServerConfiguration.defaultPort)"

    @OptionGroup var store: StoreOptions

    @Option(help: "PEM certificate chain for TLS.") var tlsCert: String?
    @Option(help: "PEM private key for TLS.") var tlsKey: String?

    @Flag(help: "Development mode: accept any well-formed signature from any access key as the administrator.")
    var dev = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Option(help: "Also append every audit record to this JSON-lines file (default: $LOCKSTEP_AUDIT_FILE).")
    var auditFile: String?

    @Option(help: "Run this shell command for audit notifications (label moves, RotationFailed, digests), the event JSON on stdin.")
    var auditNotifyCommand: String?

    @Option(help: "Write signed audit digests to this directory (default: $LOCKSTEP_AUDIT_DIGEST_DIR, else DATA_DIR/audit-digests); keep it on other storage.")
    var auditDigestDir: String?

    @Option(help: "Seconds between audit digests (also one at shutdown).")
    var auditDigestInterval = 3600

    @Option(help: "Export audit records older than this (e.g. 90d, 12h, 30m) into sealed segments in --audit-export-dir. Default: keep all live.")
    var auditRetention: String?

    @Option(help: "Where exported audit segments go (default: $LOCKSTEP_AUDIT_EXPORT_DIR, else DATA_DIR/audit-segments).")
    var auditExportDir: String?

    @Option(help: "This node's name in audit digests (letters, digits, . _ -; default: the host name).")
    var nodeName: String?

    @Option(
        help: """
            Milliseconds the audit writer waits after the first read's record of a quiet spell, so the records of that \
            window share one transaction and fsync (0 writes at once). Reads answer before their record is written: a \
            crash can lose up to this window of them. Calls that change something always wait for their own record.
            """
    )
    var auditBatchMs = Int(AuditLog.Configuration().batchInterval / .milliseconds(1))

    @Flag(help: "BENCHMARK COMPARISON ONLY: evaluate no policies and record no audit log. Never for real secrets.")
    var benchmarkWithoutAccessControl = false

    @Option(help: "Seconds a connection may stay silent (mid-header, mid-body or idle between requests) before it is closed.")
    var idleTimeout: Double = Double(ServerConfiguration.defaultIdleTimeout.components.seconds)

    @Option(help: "Connections open at once; more wait to be accepted. Lowered to fit the open-file limit (ulimit -n) less a reserve.")
    var maxConnections = ServerConfiguration.defaultMaximumConnections

    @Option(help: "Comma-separated regions a signature's credential scope may name (default: any name of a region's form, e.g. us-east-1).")
    var allowedRegions: String?

    @Option(
        help: """
            KiB of page cache each connection to lockstep.db may hold (it opens 4 plus one per processor, at least 6; \
            audit.db's 3 connections keep SQLite's default, 2000).
            """
    )
    var sqliteCacheKib = SQLiteMemory.defaultCacheKiB

    @Option(help: "MiB of lockstep.db each connection may memory-map (0: none; mapped pages count in RSS once per connection).")
    var sqliteMmapMib = 0

    @Option(help: "Unwrapped data keys kept in memory for repeated reads (0: none; about 600 bytes each).")
    var dataKeyCache = Envelope.defaultCachedDataKeys

    @Option(help: "Rotations run at once by the scheduler.")
    var maxConcurrentRotations = 4

    @Option(
        help: """
            Seconds to keep trying a PostgreSQL store that can't be reached at start-up (down, starting, or only a \
            standby), each attempt logged, waiting longer between them; then exit with status 1. 0 tries once.
            """
    )
    var storeWait: Double = 30

    @Option(help: "How long the change feed (GET /v1/changes) keeps a change (e.g. 24h, 7d); a consumer further behind is told to start again.")
    var changeRetention = "24h"

    @Option(help: "The most changes the change feed keeps (the newest).")
    var changeRetentionMax = ServerConfiguration.defaultChangeRetentionMaximum

    @Flag(
        inversion: .prefixedNo,
        help: "Per rotation-enabled secret on /metrics: last success, consecutive failures, seconds pending, next rotation."
    )
    var rotationSecretMetrics = true

    @Option(
        help: """
            Seconds after a rotation's labels move before its connection report looks again at who is connected as its \
            users (lockstep rotation history).
            """
    )
    var connectionReportGrace: Double = 60

    @Option(
        help: """
            Deliver every change as an EventBridge event to the webhooks of this TOML file ([[webhook]] name, url, \
            secret_file or secret_env; see the README, "Events to webhooks").
            """
    )
    var eventsConfig: String?

    @OptionGroup var rotation: RotationOptions

    func validate() throws {
        guard ServerConfiguration.parseListen(self.listen) != nil else { throw ValidationError("--listen must be HOST:PORT") }
        guard (self.tlsCert == nil) == (self.tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard Logger.Level(rawValue: self.logLevel) != nil else { throw ValidationError("unknown --log-level \(self.logLevel)") }
        guard self.idleTimeout > 0, self.idleTimeout <= 86_400 else { throw ValidationError("--idle-timeout must be between 0 and 86400 seconds") }
        guard (0...60_000).contains(self.auditBatchMs) else { throw ValidationError("--audit-batch-ms must be between 0 and 60000") }
        guard (0...86_400).contains(self.storeWait) else { throw ValidationError("--store-wait must be between 0 and 86400 seconds") }
        guard self.maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard (0...1_048_576).contains(self.sqliteCacheKib) else { throw ValidationError("--sqlite-cache-kib must be 0 to 1048576") }
        guard (0...65_536).contains(self.sqliteMmapMib) else { throw ValidationError("--sqlite-mmap-mib must be 0 to 65536") }
        guard (0...10_000_000).contains(self.dataKeyCache) else { throw ValidationError("--data-key-cache must be 0 to 10000000") }
        guard (1...604_800).contains(self.auditDigestInterval) else { throw ValidationError("--audit-digest-interval must be 1 to 604800 seconds") }
        guard DurationText.parse(self.changeRetention) != nil else {
            throw ValidationError("--change-retention must be a positive duration such as 24h, 7d, 30m or 45s")
        }
        guard (0...3_600).contains(self.connectionReportGrace) else { throw ValidationError("--connection-report-grace must be 0 to 3600 seconds") }
        guard (1...100_000_000).contains(self.changeRetentionMax) else { throw ValidationError("--change-retention-max must be 1 to 100000000") }
        if let retention = self.auditRetention, DurationText.parse(retention) == nil {
            throw ValidationError("--audit-retention must be a positive duration such as 90d, 12h, 30m or 45s")
        }
        if let node = self.nodeName, !AuditDigest.isValidNode(node) {
            throw ValidationError("--node-name must be 1 to 64 letters, digits, '.', '_' or '-'")
        }
        if let regions = self.allowedRegions, ServerConfiguration.parseRegions(regions) == nil {
            throw ValidationError("--allowed-regions must be region names such as us-east-1,eu-west-1")
        }
    }

    func run() async throws {
        FaultInjection.prepare()  // debug builds: announce a fault armed by LOCKSTEP_FAULT (tests/crash)
        let level = Logger.Level(rawValue: self.logLevel) ?? .info
        CommandLogging.bootstrap(level: level)
        let logger = Logger(label: "lockstep")
        var options = self.store.configuration()
        if let file = self.auditFile { options.audit.jsonLinesPath = file }
        if let command = self.auditNotifyCommand { options.audit.notifyCommand = command }
        if let directory = self.auditDigestDir { options.audit.digestDirectory = directory }
        if let directory = self.auditExportDir { options.audit.exportDirectory = directory }
        if let node = self.nodeName { options.audit.node = node }
        options.audit.digestInterval = .seconds(self.auditDigestInterval)
        options.audit.retention = self.auditRetention.flatMap(DurationText.parse)
        options.audit.batchInterval = .milliseconds(self.auditBatchMs)
        options.accessControl = !self.benchmarkWithoutAccessControl
        options.sqliteMemory = SQLiteMemory(cacheKiB: self.sqliteCacheKib, mmapBytes: self.sqliteMmapMib << 20)
        options.cachedDataKeys = self.dataKeyCache
        let configuration = options
        let opened = try await Self.open(configuration, waiting: .milliseconds(Int64(self.storeWait * 1_000)), logger: logger)
        let events = try self.eventsConfig.map(Self.eventsConfiguration)
        let setup = try RotationSetup(
            opened,
            options: self.rotation,
            connectionReportGrace: .milliseconds(Int64(self.connectionReportGrace * 1_000))
        )
        let environment = setup.environment
        // Refuse a log that ends before, or differs from, its newest signed digest (wiped, truncated, rolled back).
        try await environment.auditLog.prepareMaintenance()
        try await environment.ensureDefaultKey()
        let keys = AccessKeys(manager: environment.manager)
        if let key = try await keys.createFirst(userName: "admin", account: configuration.account) {
            writeLine(AdministratorKey.banner(key))
        }
        if self.benchmarkWithoutAccessControl {
            logger.warning("BENCHMARK MODE: policies are not evaluated and nothing is audited. Never use this for real secrets.")
            FileHandle.standardError.write(Data("\n*** lockstep serve --benchmark-without-access-control: NO POLICIES, NO AUDIT. ***\n\n".utf8))
        }
        if self.dev {
            logger.warning(
                "DEVELOPMENT MODE: any well-formed signature from any access key is accepted as the administrator. Never use this for real secrets."
            )
            FileHandle.standardError.write(Data("\n*** lockstep serve --dev: SIGNATURES ARE NOT CHECKED. Development only. ***\n\n".utf8))
        }
        let (host, port) = ServerConfiguration.parseListen(self.listen)!
        let tls = self.tlsCert.map { ServerConfiguration.TLS(certificatePath: $0, privateKeyPath: self.tlsKey!) }
        let scheme = tls == nil ? "http" : "https"
        let endpoint = setup.endpoint
        var serverConfiguration = ServerConfiguration(
            host: host,
            port: port,
            tls: tls,
            idleTimeout: .milliseconds(Int64(self.idleTimeout * 1_000)),
            maximumConnections: self.maxConnections,
            allowedRegions: self.allowedRegions.flatMap(ServerConfiguration.parseRegions)
        )
        serverConfiguration.changeRetention = DurationText.parse(self.changeRetention)!
        serverConfiguration.changeRetentionMaximum = self.changeRetentionMax
        serverConfiguration.rotationSecretMetrics = self.rotationSecretMetrics
        var services: [any Service] = [
            RotationScheduler(
                engine: setup.engine,
                clock: ContinuousClock(),
                wakeup: setup.wakeup,
                maximumConcurrent: self.maxConcurrentRotations
            )
        ]
        if let events {
            let delivery = WebhookDelivery(
                configuration: events,
                store: environment.store,
                manager: environment.manager,
                owner: LeaseOwner.makeForThisProcess(),
                isGone: { LeaseOwner($0)?.isDeadLocalProcess ?? false },
                logger: logger
            )
            try await delivery.register()  // before the first request, so no change of theirs is missed
            services.append(delivery)
            logger.info("delivering events", metadata: ["webhooks": .string(events.endpoints.map(\.description).joined(separator: ", "))])
        }
        let app = try LockstepServer.buildApplication(
            environment: environment,
            configuration: serverConfiguration,
            authentication: self.dev ? .development(account: configuration.account) : .sigV4,
            logger: logger,
            services: services,
            onStoreChange: { [wakeup = setup.wakeup] change in if change == .rotations || change == .unknown { wakeup.signal() } }
        ) { boundPort in
            endpoint.set(RotatorEndpoint.url(scheme: scheme, host: host, port: boundPort))
            writeLine("Lockstep listening on \(scheme)://\(host):\(boundPort) (store \(configuration.storeLocation))")
        }
        try await app.runService()
    }
}

extension ServeCommand {
    /// Reads `--events-config` (secrets from the files or variables it names; a message that never shows one).
    static func eventsConfiguration(_ path: String) throws -> EventsConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("--events-config \(path) can't be read") }
        do {
            return try EventsConfiguration(toml: String(decoding: data, as: UTF8.self))
        } catch {
            throw ValidationError("--events-config \(path): \(error.description)")
        }
    }

    /// Opens the store, trying again while its database can't be reached (a node started before its database, or
    /// during a failover) for up to `wait`, with a logged attempt each time and a longer pause after each (0.5 s
    /// doubling up to 5 s); then gives up with libpq's last message. Anything else (a wrong key, a bad path) fails at once.
    static func open(_ configuration: LockstepEnvironment.Configuration, waiting wait: Duration, logger: Logger) async throws -> LockstepEnvironment {
        let clock = ContinuousClock()
        let deadline = clock.now + wait
        var pause = Duration.milliseconds(500)
        var attempt = 1
        while true {
            do {
                return try await LockstepEnvironment.opened(configuration, create: true)
            } catch let error as LockstepEnvironment.Error where error.isStoreUnavailable {
                let now = clock.now
                guard now < deadline else {
                    guard wait > .zero else { throw error }
                    throw LockstepEnvironment.Error(
                        description: "\(error.description) (gave up after \(attempt) attempts in \(Int(wait.components.seconds)) s; see --store-wait)"
                    )
                }
                pause = min(pause, deadline - now)
                logger.warning(
                    "the store can't be reached; trying again",
                    metadata: ["attempt": "\(attempt)", "retry_in_ms": "\(Int(pause / .milliseconds(1)))", "error": .string(error.description)]
                )
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
                attempt += 1
            }
        }
    }
}

enum AdministratorKey {
    static func banner(_ key: AccessKeys.CreatedKey) -> String {
        """
        Created an administrator access key for account \(key.Account). It is shown only now: store it safely.
        Paste these lines into a shell to use it with the aws CLI or any AWS SDK:
          export AWS_ACCESS_KEY_ID=\(key.AccessKeyId)
          export AWS_SECRET_ACCESS_KEY=\(key.SecretAccessKey.value)
        """
    }
}

/// Writes a line to stdout at once (unbuffered), so a process reading our output sees it when it matters.
func writeLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
