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
        subcommands: [Verify.self, List.self, Export.self, PublicKey.self]
    )

    /// The opened data directory and its digest signing keys (which exist whenever the root key opened the keyring).
    static func opened(_ configuration: LockstepEnvironment.Configuration) async throws -> (LockstepEnvironment, AuditSigningKeys) {
        let environment = try await LockstepEnvironment.opened(configuration, create: false)
        guard let keys = environment.auditLog.signingKeys else { throw ValidationError("this data directory has no audit signing keys") }
        return (environment, keys)
    }

    /// An ISO 8601 time (2026-11-29T04:00:00Z) or, where `dates` allows, a day (2026-11-01, its midnight UTC).
    static func time(_ text: String, option: String, dates: Bool = false) throws -> Date {
        let formatter = ISO8601DateFormatter()
        if let time = formatter.date(from: text) { return time }
        if dates, let day = formatter.date(from: text + "T00:00:00Z") { return day }
        throw ValidationError("\(option) must be an ISO 8601 time\(dates ? " or date" : "")")
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check the hash chain across exported segments and the live log against the signed digests: exits 0 when intact, 1 naming the first changed, removed, reordered, truncated, wiped or rolled-back record.",
            discussion: """
                With --file, checks a JSON-lines copy (serve --audit-file) on its own instead, from its first line.
                Digests prove the log held at least what they cover when they were written; they can't catch a forger who \
                holds the root key and can rewrite the digest directory (see docs/ARCHITECTURE.md).
                """
        )
        @Option(help: "Verify this JSON-lines copy instead of the store.") var file: String?
        @Option(help: "Exported segments to verify before the live log (default: the export directory).") var segments: String?
        @Option(help: "Signed digests to check against (default: the digest directory).") var digests: String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let configuration = self.store.configuration()
            let environment = try await LockstepEnvironment.opened(configuration, create: false)
            let log = environment.auditLog
            let anchors = AuditLog.Anchors(
                digests: (self.digests ?? configuration.audit.digestDirectory).map(AuditDigestDirectory.init(path:)),
                segments: (self.segments ?? configuration.audit.exportDirectory).map(AuditSegmentDirectory.init(path:)),
                keys: log.signingKeys
            )
            let result =
                if let file = self.file {
                    try AuditLog.verify(file: file, chain: log.chain, anchors: anchors)
                } else {
                    try await AuditLog.verify(store: environment.auditStore, chain: log.chain, anchors: anchors)
                }
            if let problem = result.problem {
                FileHandle.standardError.write(Data("audit log verification FAILED: \(problem)\n".utf8))
                throw ExitCode(1)
            }
            print("audit log intact: \(result.summary)")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Move the records before a time out of the live log into sealed, gzip-compressed JSON-lines segments.",
            discussion: "Each segment (at most 10,000 records) is verified, written and fsynced with a signed seal before its records leave the live log. `audit verify` checks the segments and the live log together."
        )
        @Option(help: "Export records before this time (ISO 8601, e.g. 2026-11-01T00:00:00Z, or a date, 2026-11-01).") var before: String
        @Option(help: "The directory for the segments (default: the export directory).") var to: String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let date = try AuditCommand.time(self.before, option: "--before", dates: true)
            let configuration = self.store.configuration()
            guard let directory = self.to ?? configuration.audit.exportDirectory else { throw ValidationError("--to is required") }
            let (environment, keys) = try await AuditCommand.opened(configuration)
            let export = try await AuditLog.export(
                store: environment.auditStore, chain: environment.auditLog.chain, keys: keys, node: configuration.audit.node, before: date,
                to: AuditSegmentDirectory(path: directory)
            )
            if let through = export.through {
                print("exported \(export.records) records (through record \(through)) into \(export.segments.count) segments in \(directory)")
            } else {
                print("nothing to export: no live record is older than \(self.before)")
            }
        }
    }

    struct PublicKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "public-key",
            abstract: "Print a node's Ed25519 public key (base64), with which anyone can check its digests' signatures."
        )
        @Option(help: "The node (default: this host's name).") var node: String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let configuration = self.store.configuration()
            let node = self.node ?? configuration.audit.node
            guard AuditDigest.isValidNode(node) else { throw ValidationError("--node must be 1 to 64 letters, digits, '.', '_' or '-'") }
            let (_, keys) = try await AuditCommand.opened(configuration)
            print("\(node) \(keys.publicKey(node: node))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Print audit records as JSON lines, oldest first, filtered by time, event name, secret, principal and node."
        )
        @Option(help: "Records at or after this time (ISO 8601, e.g. 2026-11-29T04:00:00Z).") var startTime: String?
        @Option(help: "Records at or before this time (ISO 8601).") var endTime: String?
        @Option(help: "Only this event (GetSecretValue, RotationFailed, ...).") var eventName: String?
        @Option(help: "Only records about this secret (its name or ARN).") var secretId: String?
        @Option(help: "Only records of this principal ARN (arn:aws:iam::<account>:user/<name>, ...).") var principal: String?
        @Option(help: "Only records written by this node (serve --node-name).") var node: String?
        @Option(help: "At most this many records.") var maxItems = 1000
        @OptionGroup var store: StoreOptions

        func run() async throws {
            var query = AuditQuery(
                from: try self.startTime.map { try AuditCommand.time($0, option: "--start-time") },
                to: try self.endTime.map { try AuditCommand.time($0, option: "--end-time") },
                eventName: self.eventName,
                secretARN: self.secretId,
                principal: self.principal,
                node: self.node
            )
            query.limit = self.maxItems
            let environment = try await LockstepEnvironment.opened(self.store.configuration(), create: false)
            for row in try await AuditLog.list(store: environment.auditStore, query: query) {
                print(row.record)
            }
        }
    }
}
