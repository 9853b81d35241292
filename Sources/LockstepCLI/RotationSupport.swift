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

    @Option(help: "Seconds to connect to a database before the attempt fails.")
    var databaseConnectTimeout: Int = 5

    var policy: RotationRetryPolicy {
        RotationRetryPolicy(baseDelay: self.retryBaseDelay, maximumDelay: 3_600, maximumAttempts: max(1, self.maxAttempts))
    }

    var timeouts: DatabaseTimeouts { DatabaseTimeouts(connect: .seconds(max(1, self.databaseConnectTimeout))) }
}

/// The rotators Lockstep ships with (DESIGN.md §6), by the names a RotationLambdaARN uses.
enum BuiltInRotators {
    static func registry(manager: SecretsManager, timeouts: DatabaseTimeouts) -> RotatorRegistry {
        var rotators: [String: any Rotator] = [:]
        let drivers: [(String, any DatabaseDriver)] = [("postgres", PostgresDriver()), ("mariadb", MariaDBDriver())]
        for (engine, driver) in drivers {
            for strategy in [DatabaseRotator.Strategy.singleUser, .alternatingUsers] {
                rotators["\(engine)-\(strategy.rawValue)"] = DatabaseRotator(
                    driver: driver,
                    strategy: strategy,
                    manager: manager,
                    timeouts: timeouts
                )
            }
        }
        return RotatorRegistry(rotators)
    }
}

/// A data directory with the rotation engine attached to its service.
struct RotationSetup {
    let environment: LockstepEnvironment
    let engine: RotationEngine
    let wakeup: RotationWakeup

    init(_ base: LockstepEnvironment, options: RotationOptions, logger: Logger = Logger(label: "lockstep.rotation")) {
        let wakeup = RotationWakeup()
        // The registry's rotators call the service, and the service asks the registry what it can invoke: build
        // the rotators on a hook-less service first, then attach the hooks.
        let registry = BuiltInRotators.registry(manager: base.manager, timeouts: options.timeouts)
        let environment = base.with(
            rotation: RotationHooks(canInvoke: registry.canInvoke, rotationQueued: { wakeup.signal() })
        )
        let rotators = BuiltInRotators.registry(manager: environment.manager, timeouts: options.timeouts)
        self.environment = environment
        self.wakeup = wakeup
        self.engine = RotationEngine(manager: environment.manager, registry: rotators, policy: options.policy, logger: logger)
    }
}
