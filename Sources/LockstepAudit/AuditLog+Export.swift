public import Foundation
import LockstepCore
public import LockstepStore

extension AuditLog {
    /// Records per exported segment at most (about 15 MB of JSON before compression).
    public static let segmentRecords = 10_000

    /// What an export moved.
    public struct Export: Sendable {
        public var segments: [String] = []
        public var records: Int64 = 0
        /// The last record moved (the live log's new base).
        public var through: Int64?
    }

    /// A live log that doesn't verify is not exported (its records would be sealed as if intact).
    public struct ExportRefused: Error, CustomStringConvertible {
        public let description: String
    }

    /// Moves the records before `date` out of the live log into sealed segments in `directory`, oldest first.
    ///
    /// Each segment is checked against the chain, written and fsynced (with its seal) before its records are deleted
    /// and the base moves, in one transaction; a crash in between leaves records both in a segment and live, which
    /// `verify` accepts and the next export finishes.
    public static func export(
        store: any AuditStore,
        chain: AuditChain,
        keys: AuditSigningKeys,
        node: String,
        before date: Date,
        to directory: AuditSegmentDirectory
    ) async throws -> Export {
        var export = Export()
        while true {
            let segment = try await store.read { tx -> (lines: [AuditLine], base: AuditHead?) in
                let base = try tx.auditBase()
                var verifier = AuditChain.Verifier(chain: chain)
                if let base {
                    guard chain.baseSeal(sequence: base.sequence, hash: base.hash) == base.seal else {
                        throw ExportRefused(description: "the live log's base was changed; run `lockstep audit verify`")
                    }
                    verifier.resume(after: base)
                }
                var query = AuditQuery()
                query.afterSequence = base?.sequence ?? 0
                query.limit = Self.segmentRecords
                var lines: [AuditLine] = []
                for row in try tx.auditEvents(query) {
                    guard row.eventTime < date else { break }
                    guard verifier.check(row) else {
                        throw ExportRefused(description: "the audit log doesn't verify (\(verifier.problem!)); nothing was exported")
                    }
                    lines.append(AuditLine(row))
                }
                return (lines, base)
            }
            guard let last = segment.lines.last else { return export }
            let file = try directory.write(segment.lines, node: node, keys: keys)
            try await store.write(faultPoint: .auditTransaction) { tx in
                guard try tx.auditBase() == segment.base else { throw ExportRefused(description: "another export ran at the same time") }
                try tx.exportedAuditEvents(
                    through: AuditHead(sequence: last.sequence, hash: last.hash, seal: chain.baseSeal(sequence: last.sequence, hash: last.hash))
                )
            }
            export.segments.append(file)
            export.records += Int64(segment.lines.count)
            export.through = last.sequence
        }
    }
}

extension AuditChain.Verifier {
    /// Continues after a base already checked (its seal verified by the caller).
    mutating func resume(after base: AuditHead) {
        self.lastSequence = base.sequence
        self.lastHash = base.hash
    }
}
