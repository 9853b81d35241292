import ArgumentParser
import Foundation
import LockstepCore
import LockstepDatabase
import LockstepMariaDB
import LockstepPostgres
import LockstepRotation
import LockstepService
import Logging

/// Options every command that runs rotations shares (`serve`, `rotate`).
struct RotationOptions: ParsableArguments {
    @Option(help: "Seconds before the first retry of a failed step (doubling after each failure, up to an hour).")
    var retryBaseDelay: Double = 30

    @Option(help: "Attempts of one step before the rotation fails (it is tried again at the next scheduled window).")
    var maxAttempts: Int = 6

    @Option(
        help: """
            Seconds a runner's claim on a rotation lasts without renewal (renewed at every step; must exceed the \
            longest step). A crashed process's rotations wait this long, unless it ran on this machine. Default: 120, or \
            the longest process rotator timeout plus 60 when that is longer.
            """
    )
    var rotationLease: Double?

    @Option(help: "Seconds to connect to a database before the attempt fails.")
    var databaseConnectTimeout: Int = 5

    @Option(
        help: ArgumentHelp(
            "PEM file of the certificate authorities that verify database servers for secrets with \"ssl\": true.",
            discussion: "Default: $LOCKSTEP_DATABASE_CA_FILE, else the system's CA bundle."
        )
    )
    var databaseCaFile: String?

    @Option(
        help: ArgumentHelp(
            "Folder of custom rotators, one <name>/rotator.json each (see rotators/README.md).",
            discussion: "Default: $LOCKSTEP_ROTATORS_DIR, else ./rotators when it exists."
        )
    )
    var rotatorsDir: String?

    /// `--rotators-dir`, else `$LOCKSTEP_ROTATORS_DIR`, else `./rotators` when that folder exists.
    func rotatorsDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        if let path = self.rotatorsDir ?? environment["LOCKSTEP_ROTATORS_DIR"], !path.isEmpty {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: "rotators", isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        return URL(fileURLWithPath: "rotators", isDirectory: true)
    }

    /// `--database-ca-file`, else `$LOCKSTEP_DATABASE_CA_FILE`, else the system's CA bundle.
    func databaseTrust(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DatabaseTrust? {
        guard let path = self.databaseCaFile ?? environment["LOCKSTEP_DATABASE_CA_FILE"], !path.isEmpty else { return .system }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ValidationError("The database CA file \(path) is not a readable file.")
        }
        return DatabaseTrust(caFile: path)
    }

    var policy: RotationRetryPolicy {
        RotationRetryPolicy(baseDelay: self.retryBaseDelay, maximumDelay: 3_600, maximumAttempts: max(1, self.maxAttempts))
    }

    var timeouts: DatabaseTimeouts { DatabaseTimeouts(connect: .seconds(max(1, self.databaseConnectTimeout))) }
}

/// The rotators a process can invoke (DESIGN.md §6): the built-ins, by the names a RotationLambdaARN uses, and the
/// custom rotators of the rotators directory.
enum InstalledRotators {
    static let strategies: [DatabaseRotator.Strategy] = [.singleUser, .alternatingUsers]
    static let engines = ["postgres", "mariadb"]
    /// `<engine>-<strategy>`, e.g. `postgres-single-user`.
    static let builtInNames = Set(engines.flatMap { engine in strategies.map { "\(engine)-\($0.rawValue)" } })

    /// Whether `reference` names a rotator of this process: known from the names alone, before any rotator exists
    /// (the rotators call the service, and the service asks this before it stores a rotation function).
    static func canInvoke(_ reference: String, catalog: RotatorCatalog) -> Bool {
        guard let name = RotatorRegistry.functionName(reference) else { return false }
        return Self.builtInNames.contains(name) || catalog.manifests[name] != nil
    }

    static func registry(
        manager: SecretsManager,
        timeouts: DatabaseTimeouts,
        trust: DatabaseTrust?,
        catalog: RotatorCatalog,
        endpoint: RotatorEndpoint
    ) -> RotatorRegistry {
        var rotators: [String: any Rotator] = [:]
        for engine in Self.engines {
            let driver: any DatabaseDriver = engine == "postgres" ? PostgresDriver(trust: trust) : MariaDBDriver(trust: trust)
            for strategy in Self.strategies {
                rotators["\(engine)-\(strategy.rawValue)"] = DatabaseRotator(
                    driver: driver,
                    strategy: strategy,
                    manager: manager,
                    timeouts: timeouts
                )
            }
        }
        // Each step's credentials may act only on the secret and its master secret, and are revoked after the step.
        let issuer = ScopedCredentialIssuer(sessions: Sessions(manager: manager))
        for manifest in catalog.manifests.values {
            rotators[manifest.name] = ProcessRotator(manifest: manifest, manager: manager, endpoint: endpoint, issuer: issuer)
        }
        return RotatorRegistry(rotators)
    }
}

/// A data directory with the rotation engine attached to its service: the composition root of every process that
/// runs rotations (`serve`, `rotate`).
struct RotationSetup {
    let environment: LockstepEnvironment
    private(set) var engine: RotationEngine
    let wakeup: RotationWakeup
    let catalog: RotatorCatalog
    /// The rotators the engine runs (`rotation plan` resolves a secret's rotator here).
    let registry: RotatorRegistry
    /// Where process rotators call the API: set by whoever runs the server, once it listens.
    let endpoint = RotatorEndpoint()

    /// - Parameter connectionReportGrace: when set (`serve`), each completed rotation's connections are watched and
    ///   reported (``ConnectionImpactWatcher``), the second look after this long.
    init(
        _ base: LockstepEnvironment,
        options: RotationOptions,
        connectionReportGrace: Duration? = nil,
        logger: Logger = Logger(label: "lockstep.rotation")
    ) throws {
        let catalog =
            try options.rotatorsDirectory().map { try RotatorCatalog.load($0, builtIns: InstalledRotators.builtInNames) } ?? RotatorCatalog()
        let wakeup = RotationWakeup()
        let environment = base.with(
            rotation: RotationHooks(canInvoke: { InstalledRotators.canInvoke($0, catalog: catalog) }, rotationQueued: { wakeup.signal() })
        )
        let rotators = InstalledRotators.registry(
            manager: environment.manager,
            timeouts: options.timeouts,
            trust: try options.databaseTrust(),
            catalog: catalog,
            endpoint: self.endpoint
        )
        self.environment = environment
        self.registry = rotators
        self.wakeup = wakeup
        self.catalog = catalog
        // A lease must outlast the longest step, or another runner could take a rotation whose step still runs.
        let longestStep = Double(catalog.longestTimeout.components.seconds)
        self.engine = RotationEngine(
            manager: environment.manager,
            registry: rotators,
            policy: options.policy,
            // An explicit --rotation-lease is obeyed (operators and the crash harness choose it); the default covers
            // the longest process rotator step with a margin.
            lease: options.rotationLease.map { max(1, $0) } ?? max(120, longestStep + 60),
            logger: logger
        )
        if let grace = connectionReportGrace {
            self.engine.impact = ConnectionImpactWatcher(
                manager: environment.manager,
                grace: grace,
                poll: min(.seconds(10), max(grace, .seconds(1))),
                logger: logger
            )
        }
    }

    /// True when `reference` (a RotationLambdaARN) names a process rotator, which calls an API server back.
    func isProcessRotator(_ reference: String) -> Bool {
        RotatorRegistry.functionName(reference).map { self.catalog.manifests[$0] != nil } ?? false
    }
}
