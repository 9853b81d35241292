import ArgumentParser
import Foundation
import LockstepCore
import LockstepDatabase
import LockstepRotation
import LockstepService
import Logging

extension RotationCommand {
    /// `lockstep rotation plan`: a dry run of the next rotation that changes nothing anywhere.
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan",
            abstract: "Check, without changing anything, whether a secret's next rotation would work, and when it would run.",
            discussion: """
                Reads the secret and its rotation settings, logs in with AWSCURRENT (and the master secret for \
                alternating users) using only SELECT and SHOW statements, and reports each check as pass, warn or \
                fail with its reason: the secret's JSON and TLS, the account's authentication method, the right to \
                change the password, the clone's grants, the server's password policy against the generated \
                passwords, a process rotator's manifest and runtime, and the schedule's next windows in UTC. \
                Nothing is written: not the secret (its LastAccessedDate included), not the database. Passwords \
                are never printed. Exits 0 when no check fails, 1 when one does, 254 when the secret can't be read.
                """
        )

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case table
            case json
        }

        @Option(help: "The secret's name or ARN.") var secretId: String
        @Option(help: "How many of the schedule's next windows to list (1-100).") var count: Int = 5
        @Option(help: "table (default) or json.") var output: Format = .table
        @OptionGroup var store: StoreOptions
        @OptionGroup var rotation: RotationOptions

        func validate() throws {
            guard (1...100).contains(self.count) else { throw ValidationError("--count must be between 1 and 100.") }
            guard !self.secretId.isEmpty else { throw ValidationError("--secret-id must not be empty.") }
        }

        func run() async throws {
            CommandLogging.bootstrap(level: .warning)
            let setup = try RotationSetup(try await LockstepEnvironment.opened(self.store.configuration(), create: false), options: self.rotation)
            let planner = RotationPlanner(
                manager: setup.environment.manager,
                registry: setup.registry,
                timeouts: self.rotation.timeouts,
                trust: try self.rotation.databaseTrust()
            )
            let plan: RotationPlan
            do {
                plan = try await planner.plan(secretId: self.secretId, count: self.count, context: setup.environment.context)
            } catch let error as SecretsManagerError {
                FileHandle.standardError.write(Data("\nAn error occurred (\(error.code)): \(error.message)\n".utf8))
                throw ExitCode(254)
            }
            switch self.output {
            case .table: print(PlanOutput.table(plan), terminator: "")
            case .json: print(try PlanOutput.json(plan))
            }
            if plan.status == .fail { throw ExitCode(1) }
        }
    }
}
