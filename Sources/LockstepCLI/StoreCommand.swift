import ArgumentParser
import Foundation
import LockstepAudit
import LockstepService
import LockstepStore

/// `lockstep store copy`: moves a SQLite deployment to PostgreSQL.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Move a deployment between stores.",
        subcommands: [Copy.self]
    )

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract: "Copy a SQLite data directory into an empty PostgreSQL store: every secret, version, label, tag, policy, key, identity, rotation state and audit record.",
            discussion: """
                Stop the servers on the data directory first. Nothing is decrypted: the PostgreSQL store opens with the same \
                root key (copy DATA_DIR/root.key to every node, or set $LOCKSTEP_ROOT_KEY). When the root key is at hand, the \
                copied audit chain is verified.
                """
        )
        @Option(help: "The data directory to copy from.") var from: String
        @Option(help: "The PostgreSQL URI to copy to (an empty database; default: $LOCKSTEP_STORE).") var to: String?
        @Option(help: "The root key's file, to verify the copied audit chain (default: FROM/root.key).") var rootKeyFile: String?

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            guard let target = (self.to ?? environment["LOCKSTEP_STORE"]).flatMap(StoreLocation.init(parsing:)),
                case .postgres(let uri) = target
            else { throw ValidationError("--to must be a PostgreSQL URI (postgresql://...)") }
            let source = URL(fileURLWithPath: self.from)
            let copied = try await Blocking.run { try StoreCopy.copy(from: source, to: uri) }
            for (table, rows) in copied where rows > 0 { print("\(table): \(rows) rows") }
            var configuration = StoreOptions.configuration(dataDir: self.from, rootKeyFile: self.rootKeyFile, region: nil, accountId: nil)
            configuration.store = target
            guard
                let opened = try? await LockstepEnvironment.opened(configuration, create: false)
            else {
                print("copied into \(target); no root key here to verify the audit chain with")
                return
            }
            let anchors = AuditLog.Anchors(
                digests: configuration.audit.digestDirectory.map(AuditDigestDirectory.init(path:)),
                segments: configuration.audit.exportDirectory.map(AuditSegmentDirectory.init(path:)),
                keys: opened.auditLog.signingKeys
            )
            let result = try await AuditLog.verify(store: opened.auditStore, chain: opened.auditLog.chain, anchors: anchors)
            if let problem = result.problem {
                FileHandle.standardError.write(Data("the copied audit log does not verify: \(problem)\n".utf8))
                throw ExitCode(1)
            }
            print("copied into \(target); audit log intact: \(result.summary)")
        }
    }
}
