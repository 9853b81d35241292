import ArgumentParser
import Foundation
import LockstepAudit
import LockstepService
import LockstepStore

/// `lockstep audit ...`: prove the audit chain intact, and read records.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify and read the audit log (CloudTrail-shaped, hash-chained records).",
        subcommands: [Verify.self, List.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check the whole hash chain: exits 0 when intact, 1 naming the first changed, removed, reordered or truncated record."
        )
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let environment = try await LockstepEnvironment.opened(self.store.configuration(), create: false)
            let result = try await AuditLog.verify(store: environment.auditStore, chain: environment.auditLog.chain)
            if let problem = result.problem {
                FileHandle.standardError.write(Data("audit log verification FAILED: \(problem)\n".utf8))
                throw ExitCode(1)
            }
            print("audit log intact: \(result.records) records")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Print audit records as JSON lines, oldest first, filtered by time, event name, secret and principal."
        )
        @Option(help: "Records at or after this time (ISO 8601, e.g. 2026-11-29T04:00:00Z).") var startTime: String?
        @Option(help: "Records at or before this time (ISO 8601).") var endTime: String?
        @Option(help: "Only this event (GetSecretValue, RotationFailed, ...).") var eventName: String?
        @Option(help: "Only records about this secret (its name or ARN).") var secretId: String?
        @Option(help: "Only records of this principal ARN (arn:aws:iam::<account>:user/<name>, ...).") var principal: String?
        @Option(help: "At most this many records.") var maxItems = 1000
        @OptionGroup var store: StoreOptions

        func run() async throws {
            func date(_ text: String?, _ option: String) throws -> Date? {
                guard let text else { return nil }
                guard let date = ISO8601DateFormatter().date(from: text) else { throw ValidationError("\(option) must be an ISO 8601 time") }
                return date
            }
            var query = AuditQuery(
                from: try date(self.startTime, "--start-time"),
                to: try date(self.endTime, "--end-time"),
                eventName: self.eventName,
                secretARN: self.secretId,
                principal: self.principal
            )
            query.limit = self.maxItems
            let environment = try await LockstepEnvironment.opened(self.store.configuration(), create: false)
            for row in try await AuditLog.list(store: environment.auditStore, query: query) {
                print(row.record)
            }
        }
    }
}
