import ArgumentParser
import Foundation
import LockstepCore
import LockstepRotation
import LockstepService
import Logging

/// `lockstep rotate`: one rotation, run to completion in the foreground, each step printed as it happens.
struct RotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Rotate a secret now, in the foreground, printing each step.",
        discussion: """
            Stores the given rotation settings (as rotate-secret does), then runs createSecret, setSecret, testSecret
            and finishSecret, retrying failed steps with backoff. An unfinished earlier rotation is resumed with its
            own token. If a running `lockstep serve` on the same data directory holds the rotation, this follows it.
            A process rotator (rotators/<name>/) calls the API back: for the rotation's duration an API server runs
            in this process on 127.0.0.1 with a free port, and the rotator gets its URL in SECRETS_MANAGER_ENDPOINT.
            Exits 0 when the rotation succeeded, 1 when it failed.
            """
    )

    @Option(help: "The secret's name or ARN.") var secretId: String
    @Option(help: "The rotator: a built-in name (postgres-single-user, ...) or a Lambda function ARN.")
    var rotationLambdaArn: String?
    @Option(help: "RotationRules as JSON or shorthand, e.g. AutomaticallyAfterDays=30 or ScheduleExpression=rate(10 days).")
    var rotationRules: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var rotation: RotationOptions

    func run() async throws {
        // Each step is printed below; the log carries only warnings and errors.
        CommandLogging.bootstrap(level: .warning)
        let setup = try RotationSetup(try await LockstepEnvironment.opened(self.store.configuration(), create: false), options: self.rotation)
        let manager = setup.environment.manager
        let context = setup.environment.context
        var rules: RotationRulesType?
        if let text = self.rotationRules {
            let json = try ArgumentTranslator.structure(
                text,
                members: ["AutomaticallyAfterDays", "Duration", "ScheduleExpression"],
                integers: ["AutomaticallyAfterDays"],
                option: "--rotation-rules"
            )
            let data = text.hasPrefix("{") ? Data(text.utf8) : try JSONEncoder().encode(json)
            rules = try JSONDecoder().decode(RotationRulesType.self, from: data)
        }
        let started = Date()
        do {
            let response = try await manager.rotateSecret(
                RotateSecretRequest(
                    SecretId: self.secretId,
                    ClientRequestToken: UUID().uuidString.lowercased(),
                    RotationLambdaARN: self.rotationLambdaArn,
                    RotationRules: rules
                ),
                context: context
            )
            writeLine("Rotating \(response.ARN) (version \(response.VersionId ?? "-"))")
        } catch let error as SecretsManagerError where error.message == SecretsManager.previousRotationIncompleteMessage {
            writeLine("An earlier rotation of \(self.secretId) is unfinished: resuming it.")
        } catch let error as SecretsManagerError {
            FileHandle.standardError.write(Data("\nAn error occurred (\(error.code)): \(error.message)\n".utf8))
            throw ExitCode(254)
        }
        guard
            let claimed = try await manager.claimRotation(
                of: self.secretId,
                owner: setup.engine.owner,
                lease: setup.engine.lease,
                context: context
            )
        else {
            throw ExitCode(try await self.follow(manager: manager, context: context))
        }
        let run: @Sendable () async -> RotationOutcome = {
            await setup.engine.run(claimed, retryInline: true, progress: { Self.print($0, since: started) })
        }
        let rotator = try await manager.describeSecret(DescribeSecretRequest(SecretId: claimed.secretARN), context: context).RotationLambdaARN
        let outcome = rotator.map(setup.isProcessRotator) == true ? try await CallbackServer.run(setup, run) : await run()
        if case .succeeded = outcome { return }
        throw ExitCode(1)
    }

    static func print(_ progress: RotationProgress, since start: Date) {
        let elapsed = String(format: "%7.1f ms", Date().timeIntervalSince(start) * 1_000)
        switch progress {
        case .stepStarted(let step, let attempt):
            writeLine("\(elapsed)  \(step.rawValue) started\(attempt > 1 ? " (attempt \(attempt))" : "")")
        case .stepSucceeded(let step):
            writeLine("\(elapsed)  \(step.rawValue) done")
        case .stepFailed(let failure):
            writeLine("\(elapsed)  \(failure.step.rawValue) failed (\(failure.errorClass.rawValue)): \(failure.message)")
        case .retrying(let step, let delay):
            writeLine("\(elapsed)  retrying \(step.rawValue) in \(String(format: "%.1f", delay)) s")
        case .finished(.succeeded):
            writeLine("\(elapsed)  rotation succeeded: AWSCURRENT is the new version")
        case .finished(.failed(let failure)):
            writeLine("\(elapsed)  rotation failed at \(failure.step.rawValue); AWSCURRENT is unchanged")
        case .finished(.waiting(let date)):
            writeLine("\(elapsed)  waiting to retry at \(date)")
        case .finished(.paused), .finished(.lost):
            writeLine("\(elapsed)  the rotation was taken over, cancelled or abandoned")
        }
    }

    /// Another runner (a `serve` process) holds the rotation: print its steps until it ends.
    private func follow(manager: SecretsManager, context: RequestContext) async throws -> Int32 {
        writeLine("Another Lockstep process is running this rotation; following it.")
        var last = ""
        while true {
            guard let entry = try await manager.rotationStatus(secretId: self.secretId, context: context).first else { return 1 }
            let line = "\(entry.Status ?? "-") \(entry.Step ?? "-") attempt \(entry.Attempts ?? 0)"
            if line != last {
                writeLine(line + (entry.LastError.map { " (last error: \($0))" } ?? ""))
                last = line
            }
            switch entry.Status {
            case "succeeded": return 0
            case "running", "waiting": try await Task.sleep(for: .milliseconds(250))
            default: return 1
            }
        }
    }
}

/// `lockstep rotation status`: every rotation's state.
struct RotationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotation",
        abstract: "Inspect rotations.",
        subcommands: [Status.self, Plan.self, History.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show each rotation's state: step, attempts, last error, next attempt, next scheduled rotation."
        )
        @Option(help: "Only this secret (name or ARN).") var secretId: String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let environment = try await LockstepEnvironment.opened(self.store.configuration(), create: false)
            try await CommandOutput.printResult {
                ["Rotations": try await environment.manager.rotationStatus(secretId: self.secretId, context: environment.context)]
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "history",
            abstract: "Each finished rotation's connection report, newest first: who was connected as its users when the labels moved, after the grace period, and when the previous user's sessions drained."
        )
        @Option(help: "The secret (name or ARN).") var secretId: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let environment = try await LockstepEnvironment.opened(self.store.configuration(), create: false)
            try await CommandOutput.printResult {
                let data = try await environment.manager.rotationReports(secretId: self.secretId, context: environment.context)
                let decoder = JSONDecoder()
                decoder.dateDecodingStrategy = .secondsSince1970
                return ["Rotations": try decoder.decode([ConnectionReport].self, from: data)]
            }
        }
    }
}
