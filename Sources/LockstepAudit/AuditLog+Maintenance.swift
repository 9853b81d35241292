import Crypto
import Foundation
import LockstepCore
import LockstepStore
import Logging
import Synchronization

/// The server's work on the log besides writing it: the JSON-lines copy follows the store (so it holds every record,
/// whoever wrote it: the CLI's CreateUser too), signed digests go to the digest directory and the notification
/// command, and retention exports old records. All of it runs in ``AuditLog/run()``, between batches.
extension AuditLog {
    /// The log doesn't match its newest digest: the server refuses to start on it.
    public struct AnchorMismatch: Error, CustomStringConvertible {
        public let description: String
    }

    struct Maintenance {
        /// The last record in the JSON-lines copy (nil until read from the file).
        var copied: Int64?
        /// The node's newest digest and its file's SHA-256.
        var digest: (digest: AuditDigest, sha256: Data)?
        var nextDigest: ContinuousClock.Instant
        var nextRetention: ContinuousClock.Instant
    }

    /// Reads the newest digest and refuses a log that ends before it or differs at its position; finds where the
    /// JSON-lines copy ends. `lockstep serve` calls this before it listens (so a refusal is a clean exit), and
    /// ``run()`` again.
    public func prepareMaintenance() async throws {
        let configuration = self.configuration
        var digest: (digest: AuditDigest, sha256: Data)?
        if let directory = configuration.digestDirectory, let keys = self.signingKeys {
            digest = try AuditDigestDirectory(path: directory).newest(node: configuration.node, keys: keys)
        }
        if let newest = digest?.digest {
            let chain = self.chain
            let problem = try await self.store.read { tx -> String? in
                let head = try tx.auditHead()
                let base = try tx.auditBase()
                let end = head?.sequence ?? 0
                if end < newest.lastSequence {
                    return AuditChain.Problem.endsBeforeDigest(lastRecord: end, digest: newest.number, covers: newest.lastSequence).description
                }
                if let base, newest.lastSequence <= base.sequence {
                    return chain.baseSeal(sequence: base.sequence, hash: base.hash) == base.seal ? nil : AuditChain.Problem.baseChanged.description
                }
                var query = AuditQuery()
                query.afterSequence = newest.lastSequence - 1
                query.limit = 1
                guard let row = try tx.auditEvents(query).first, row.sequence == newest.lastSequence, row.hash == newest.lastHash else {
                    return AuditChain.Problem.digestMismatch(sequence: newest.lastSequence, digest: newest.number).description
                }
                return nil
            }
            if let problem {
                throw AnchorMismatch(
                    description:
                        "the audit log doesn't match its signed digests: \(problem). Run `lockstep audit verify`; to start a new chain anyway, move \(configuration.digestDirectory ?? "") aside"
                )
            }
        }
        let copied = try configuration.jsonLinesPath.map(Self.lastCopiedSequence)
        let now = ContinuousClock.now
        self.maintenance.withLock {
            $0.digest = digest
            $0.copied = copied
            $0.nextDigest = now + configuration.digestInterval
            $0.nextRetention = now
        }
    }

    /// Work that is due: copy new records, write a digest (always with `final`), apply retention.
    func maintain(final: Bool) async {
        do {
            try await self.followIntoCopy()
            let now = ContinuousClock.now
            let (digestDue, retentionDue) = self.maintenance.withLock { state -> (Bool, Bool) in
                let digest = final || now >= state.nextDigest
                let retention = !final && now >= state.nextRetention
                if digest { state.nextDigest = now + self.configuration.digestInterval }
                // Every minute, or as often as a shorter retention needs.
                if retention { state.nextRetention = now + min(.seconds(60), self.configuration.retention ?? .seconds(60)) }
                return (digest, retention)
            }
            if digestDue { try await self.writeDigest() }
            if retentionDue, let retention = self.configuration.retention, let directory = self.configuration.exportDirectory,
                let keys = self.signingKeys
            {
                let seconds = Double(retention.components.seconds) + Double(retention.components.attoseconds) / 1e18
                let export = try await Self.export(
                    store: self.store,
                    chain: self.chain,
                    keys: keys,
                    node: self.configuration.node,
                    before: Date().addingTimeInterval(-seconds),
                    to: AuditSegmentDirectory(path: directory)
                )
                if export.records > 0 {
                    self.logger.info(
                        "audit retention exported records",
                        metadata: ["records": .stringConvertible(export.records), "segments": .stringConvertible(export.segments.count)]
                    )
                }
            }
        } catch {
            self.logger.error("audit maintenance failed", metadata: ["error": .string(LogValue.quoted(String(describing: error)))])
        }
    }

    /// Appends the records after the copy's last line to the JSON-lines file, on the store's executor.
    private func followIntoCopy() async throws {
        guard let path = self.configuration.jsonLinesPath, let start = self.maintenance.withLock({ $0.copied }) else { return }
        var copied = start
        while true {
            let after = copied
            let (last, full) = try await self.store.read { tx -> (Int64, Bool) in
                var query = AuditQuery()
                query.afterSequence = after
                query.limit = 10_000
                let rows = try tx.auditEvents(query)
                guard let last = rows.last else { return (after, false) }
                try AuditFiles.append(rows.map { AuditLine($0).text + "\n" }.joined(), to: path)
                return (last.sequence, rows.count == query.limit)
            }
            copied = last
            self.maintenance.withLock { $0.copied = last }
            guard full else { return }
        }
    }

    /// Signs and writes a digest when records were added since the last one.
    private func writeDigest() async throws {
        guard let directory = self.configuration.digestDirectory, let keys = self.signingKeys else { return }
        let previous = self.maintenance.withLock { $0.digest }
        let from = (previous?.digest.lastSequence ?? 0) + 1
        let found = try await self.store.read { tx -> (head: AuditHead, first: Data?)? in
            guard let head = try tx.auditHead(), head.sequence >= from else { return nil }
            var query = AuditQuery()
            query.afterSequence = from - 1
            query.limit = 1
            let first = try tx.auditEvents(query).first.flatMap { $0.sequence == from ? $0.hash : nil }
            return (head, first)
        }
        guard let found else { return }
        if let path = self.configuration.jsonLinesPath { AuditFiles.sync(path) }
        var digest = AuditDigest(
            kind: .log, number: (previous?.digest.number ?? 0) + 1, time: Date(), node: self.configuration.node, firstSequence: from,
            lastSequence: found.head.sequence, lastHash: found.head.hash
        )
        digest.firstHash = found.first
        digest.previousDigestHash = previous?.sha256
        try digest.sign(with: keys)
        try AuditDigestDirectory(path: directory).write(digest)
        let written = digest
        self.maintenance.withLock { $0.digest = (written, Data(SHA256.hash(data: Data(written.text.utf8)))) }
        self.sinks.notify(digest: written)
    }

    /// The sequence of the copy's last complete line (0 for a new file); a torn last line (a crash mid-write) is cut.
    static func lastCopiedSequence(_ path: String) throws -> Int64 {
        guard let handle = FileHandle(forUpdatingAtPath: path) else { return 0 }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        guard size > 0 else { return 0 }
        // A record line is at most a few hundred KB (request bodies are bounded); read the tail.
        let tail = min(size, 4 << 20)
        try handle.seek(toOffset: size - tail)
        let data = try handle.readToEnd() ?? Data()
        guard let lastNewline = data.lastIndex(of: UInt8(ascii: "\n")) else {
            throw AnchorMismatch(description: "\(path) doesn't end in a whole JSON line")
        }
        let complete = data[..<lastNewline]
        if lastNewline != data.index(before: data.endIndex) {
            try handle.truncate(atOffset: size - tail + UInt64(lastNewline - data.startIndex + 1))
        }
        let start = complete.lastIndex(of: UInt8(ascii: "\n")).map { complete.index(after: $0) } ?? complete.startIndex
        let line = String(decoding: complete[start...], as: UTF8.self)
        guard let parsed = AuditLine(parsing: line[...]) else {
            throw AnchorMismatch(description: "the last line of \(path) is not an audit record line")
        }
        return parsed.sequence
    }
}
