import Crypto
import Foundation
public import LockstepStore

extension AuditLog {
    /// The outcome of a verification: what was checked and the first problem, if any.
    public struct Verification: Sendable {
        public var records: Int64
        public var problem: AuditChain.Problem?
        /// The last record checked.
        public var lastSequence: Int64 = 0
        /// Exported segments checked, and the records they held.
        public var segments = 0
        public var exportedRecords: Int64 = 0
        /// Signed log digests found, and the newest record they cover (nil: no digest yet).
        public var digests = 0
        public var digestsCover: Int64?

        /// A one-line summary for `lockstep audit verify`.
        public var summary: String {
            var text = "\(self.records.grouped) records"
            if self.segments > 0 { text += " (\(self.exportedRecords.grouped) in \(self.segments) exported segments, the rest live)" }
            if let covers = self.digestsCover {
                text += "; anchored by \(self.digests) signed digests up to record \(covers.grouped)"
            } else {
                text += "; no digest yet, so a wiped or rolled-back log can't be told from a new one"
            }
            return text
        }
    }

    /// Where a verification looks besides the live store.
    public struct Anchors: Sendable {
        public var digests: AuditDigestDirectory?
        public var segments: AuditSegmentDirectory?
        public var keys: AuditSigningKeys?

        public init(digests: AuditDigestDirectory? = nil, segments: AuditSegmentDirectory? = nil, keys: AuditSigningKeys? = nil) {
            self.digests = digests
            self.segments = segments
            self.keys = keys
        }
    }

    /// Checks the whole log: exported segments, then the live chain in one consistent snapshot, against the signed
    /// digests.
    public static func verify(store: any AuditStore, chain: AuditChain, anchors: Anchors = Anchors()) async throws -> Verification {
        var verifier = AuditChain.Verifier(chain: chain)
        var result = Verification(records: 0)
        if let problem = try Self.loadDigests(anchors, into: &verifier, result: &result) {
            result.problem = problem
            return result
        }
        if let segments = anchors.segments, let keys = anchors.keys {
            for base in segments.segments() {
                switch segments.verifiedText(of: base, keys: keys) {
                case .failure(let problem):
                    result.problem = problem
                    return result
                case .success(let text):
                    guard verifier.check(lines: text, file: base + ".jsonl.gz") else {
                        result.problem = verifier.problem
                        return result
                    }
                    result.segments += 1
                }
            }
            result.exportedRecords = verifier.records
        }
        let exported = verifier
        let checked = try await store.read { tx -> AuditChain.Verifier in
            var verifier = exported
            guard verifier.start(at: try tx.auditBase()) else { return verifier }
            let head = try tx.auditHead()
            var query = AuditQuery()
            query.limit = 10_000
            query.afterSequence = verifier.lastSequence
            while true {
                let rows = try tx.auditEvents(query)
                for row in rows where !verifier.check(row) { return verifier }
                guard let last = rows.last, rows.count == query.limit else { break }
                query.afterSequence = last.sequence
            }
            _ = verifier.finish(head: head)
            return verifier
        }
        result.records = checked.records
        result.lastSequence = checked.lastSequence
        result.problem = checked.problem
        return result
    }

    /// Checks a JSON-lines copy on its own (from record 1), against the signed digests.
    public static func verify(file path: String, chain: AuditChain, anchors: Anchors = Anchors()) throws -> Verification {
        var verifier = AuditChain.Verifier(chain: chain)
        var result = Verification(records: 0)
        if let problem = try Self.loadDigests(anchors, into: &verifier, result: &result) {
            result.problem = problem
            return result
        }
        if try verifier.check(file: path) {
            _ = verifier.finishAgainstDigests()
        }
        result.records = verifier.records
        result.lastSequence = verifier.lastSequence
        result.problem = verifier.problem
        return result
    }

    /// Reads the log digests, checks each node's are signed and unbroken, and has the verifier expect their hashes.
    private static func loadDigests(_ anchors: Anchors, into verifier: inout AuditChain.Verifier, result: inout Verification) throws
        -> AuditChain.Problem?
    {
        guard let directory = anchors.digests, let keys = anchors.keys else { return nil }
        var byNode: [String: [(file: String, digest: AuditDigest, sha256: Data)]] = [:]
        for entry in try directory.all() {
            guard let digest = entry.digest, digest.kind == .log else {
                return .digest(file: entry.file, reason: "is not a digest")
            }
            guard digest.isSigned(by: keys) else { return .digest(file: entry.file, reason: "is not signed by this data directory's key") }
            byNode[digest.node, default: []].append((entry.file, digest, Data(SHA256.hash(data: entry.text))))
        }
        for (_, digests) in byNode {
            let ordered = digests.sorted { $0.digest.number < $1.digest.number }
            for (previous, next) in zip(ordered, ordered.dropFirst()) {
                if next.digest.number != previous.digest.number + 1 {
                    return .digest(file: next.file, reason: "digest \(previous.digest.number + 1) is missing before it")
                }
                if next.digest.previousDigestHash != previous.sha256 {
                    return .digest(file: next.file, reason: "doesn't follow digest \(previous.digest.number) (it was replaced)")
                }
            }
            for entry in ordered {
                let digest = entry.digest
                if let first = digest.firstHash { verifier.expect(first, at: digest.firstSequence, digest: digest.number) }
                verifier.expect(digest.lastHash, at: digest.lastSequence, digest: digest.number)
                result.digestsCover = max(result.digestsCover ?? 0, digest.lastSequence)
            }
            result.digests += ordered.count
        }
        return nil
    }
}
