public import Crypto
public import Foundation
public import LockstepStore
import LockstepCore

/// The hash chain over audit records, pure: each record's hash is an HMAC-SHA256 (under a key derived from the root
/// key, which never enters the database) of the previous record's hash, its sequence number and its text.
///
/// So a changed record no longer matches its hash, a removed or reordered record breaks the link of the one after
/// it, and nobody with only the database can recompute the chain. The head (the newest sequence and hash, sealed
/// with the same key) is kept apart from the records, so a removed tail shows too.
public struct AuditChain: Sendable {
    /// The HMAC state after the key (its pads), copied for each hash instead of recomputed.
    private let keyed: HMAC<SHA256>

    public init(key: SymmetricKey) { self.keyed = HMAC<SHA256>(key: key) }

    /// The hash before the first record.
    public static let genesis = Data(repeating: 0, count: 32)

    public func hash(previous: Data, sequence: Int64, record: String) -> Data {
        var mac = self.keyed
        mac.update(data: previous)
        withUnsafeBytes(of: sequence.bigEndian) { mac.update(data: $0) }
        var record = record
        record.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        return Data(mac.finalize())
    }

    public func seal(sequence: Int64, hash: Data) -> Data { self.seal("head", sequence: sequence, hash: hash) }

    /// The seal of the live log's base (the last record exported into a segment).
    public func baseSeal(sequence: Int64, hash: Data) -> Data { self.seal("base", sequence: sequence, hash: hash) }

    private func seal(_ purpose: String, sequence: Int64, hash: Data) -> Data {
        var mac = self.keyed
        mac.update(data: Data(purpose.utf8))
        withUnsafeBytes(of: sequence.bigEndian) { mac.update(data: $0) }
        mac.update(data: hash)
        return Data(mac.finalize())
    }

    /// What `lockstep audit verify` found: the first problem, naming the record's position.
    public indirect enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case changed(sequence: Int64)
        case missing(expected: Int64, found: Int64)
        case brokenLink(sequence: Int64)
        case truncated(lastRecord: Int64, head: Int64)
        case headChanged
        case headMissing(lastRecord: Int64)
        case extraRecords(head: Int64, lastRecord: Int64)
        /// A column beside the record (what an index or an old reader might use) no longer says what the record does.
        case columnRewritten(sequence: Int64, column: String)
        case baseChanged
        /// The live log starts after records that no exported segment holds.
        case exportedMissing(from: Int64, through: Int64)
        /// The log ends before what a signed digest covers: wiped, truncated or rolled back.
        case endsBeforeDigest(lastRecord: Int64, digest: Int64, covers: Int64)
        /// A record at a position a digest signed has another hash: the log was rolled back or replaced.
        case digestMismatch(sequence: Int64, digest: Int64)
        /// A digest, or a segment's seal, that isn't what this data directory's key signed, or a gap in the digests.
        case digest(file: String, reason: String)
        case segment(file: String, reason: String)
        /// A line of a JSON-lines copy or segment that isn't a record line.
        case unreadableLine(line: Int)
        /// A problem found at a line of a JSON-lines file or segment.
        case atLine(file: String, line: Int, Problem)

        public var description: String {
            switch self {
            case .changed(let sequence): return "record \(sequence.grouped) was changed (its hash doesn't match its content)"
            case .missing(let expected, let found):
                return "record \(expected.grouped) is missing (removed or reordered): the next record found is \(found.grouped)"
            case .brokenLink(let sequence):
                return "record \(sequence.grouped) doesn't follow record \((sequence - 1).grouped) (a record was removed, reordered or replaced)"
            case .truncated(let last, let head):
                return "the log is truncated: it ends at record \(last.grouped) but the head says \(head.grouped)"
            case .headChanged: return "the chain's head was changed"
            case .headMissing(let last): return "the chain's head is missing (the log has \(last.grouped) records)"
            case .extraRecords(let head, let last):
                return "records after the head were added outside the log: the head says \(head.grouped), the log goes to \(last.grouped)"
            case .columnRewritten(let sequence, let column):
                return "record \(sequence.grouped)'s \(column) column was rewritten (it no longer matches the hashed record)"
            case .baseChanged: return "the live log's base (the last exported record) was changed"
            case .exportedMissing(let from, let through):
                return "records \(from.grouped)–\(through.grouped) were exported, but no segment given holds them"
            case .endsBeforeDigest(let last, let digest, let covers):
                return last == 0
                    ? "the log is empty but digest \(digest) covers up to record \(covers.grouped): it was wiped"
                    : "the log ends at record \(last.grouped) but digest \(digest) covers up to \(covers.grouped): it was truncated or rolled back"
            case .digestMismatch(let sequence, let digest):
                return "record \(sequence.grouped) doesn't match digest \(digest) (the log was rolled back or replaced)"
            case .digest(let file, let reason): return "digest \(file): \(reason)"
            case .segment(let file, let reason): return "segment \(file): \(reason)"
            case .unreadableLine(let line): return "line \(line) is not an audit record line"
            case .atLine(let file, let line, let problem): return "\(file) line \(line): \(problem)"
            }
        }
    }

    /// Checks records one at a time, in sequence order, without holding them all.
    public struct Verifier: Sendable {
        let chain: AuditChain
        public internal(set) var lastSequence: Int64 = 0
        var lastHash = AuditChain.genesis
        public internal(set) var problem: Problem?
        /// Records checked.
        public private(set) var records: Int64 = 0
        /// Hashes that signed digests expect at their positions, with the digest's number.
        var expected: [Int64: (hash: Data, digest: Int64)] = [:]

        public init(chain: AuditChain) { self.chain = chain }

        /// Expects `hash` at `sequence`, as digest `digest` signed.
        mutating func expect(_ hash: Data, at sequence: Int64, digest: Int64) { self.expected[sequence] = (hash, digest) }

        /// Feeds the next record; false once a problem is found.
        public mutating func check(sequence: Int64, previousHash: Data, hash: Data, record: String) -> Bool {
            guard self.problem == nil else { return false }
            let expected = self.lastSequence + 1
            if sequence != expected {
                self.problem = .missing(expected: expected, found: sequence)
            } else if previousHash != self.lastHash {
                self.problem = .brokenLink(sequence: sequence)
            } else if self.chain.hash(previous: previousHash, sequence: sequence, record: record) != hash {
                self.problem = .changed(sequence: sequence)
            } else if let signed = self.expected[sequence], signed.hash != hash {
                self.problem = .digestMismatch(sequence: sequence, digest: signed.digest)
            }
            guard self.problem == nil else { return false }
            self.lastSequence = sequence
            self.lastHash = hash
            self.records += 1
            return true
        }

        /// Feeds the next stored row: its chain, then its columns against the hashed record.
        public mutating func check(_ row: AuditEventRow) -> Bool {
            guard self.check(sequence: row.sequence, previousHash: row.previousHash, hash: row.hash, record: row.record) else { return false }
            if let column = Self.rewrittenColumn(row) {
                self.problem = .columnRewritten(sequence: row.sequence, column: column)
                return false
            }
            return true
        }

        /// Skips the records `segments` held up to the live log's `base`, or names what's missing or changed.
        mutating func start(at base: AuditHead?) -> Bool {
            guard self.problem == nil, let base else { return self.problem == nil }
            if self.chain.baseSeal(sequence: base.sequence, hash: base.hash) != base.seal {
                self.problem = .baseChanged
            } else if base.sequence > self.lastSequence {
                self.problem = .exportedMissing(from: self.lastSequence + 1, through: base.sequence)
            } else if base.sequence == self.lastSequence, base.hash != self.lastHash {
                self.problem = .brokenLink(sequence: base.sequence + 1)
            }
            return self.problem == nil
        }

        /// The first column beside the record that says something the hashed record doesn't.
        static func rewrittenColumn(_ row: AuditEventRow) -> String? {
            guard let json = AuditJSON.parse(Data(row.record.utf8)) else { return nil }
            if json["eventName"]?.stringValue != row.eventName { return "event_name" }
            if json["userIdentity"]?["arn"]?.stringValue != row.principal { return "principal" }
            let resource: String? = if case .array(let list)? = json["resources"] { list.first?["ARN"]?.stringValue } else { nil }
            if resource != row.secretARN { return "secret_arn" }
            // The record holds whole seconds.
            guard let time = json["eventTime"]?.stringValue.flatMap(UTCDate.parseISO8601),
                abs(row.eventTime.timeIntervalSince(time)) < 1
            else { return "event_time" }
            return nil
        }

        /// Compares the end of the chain with the head and the newest digest; nil when all is intact.
        public mutating func finish(head: AuditHead?) -> Problem? {
            if let problem = self.problem { return problem }
            if let head {
                if self.chain.seal(sequence: head.sequence, hash: head.hash) != head.seal {
                    self.problem = .headChanged
                } else if head.sequence > self.lastSequence {
                    self.problem = .truncated(lastRecord: self.lastSequence, head: head.sequence)
                } else if head.sequence < self.lastSequence {
                    self.problem = .extraRecords(head: head.sequence, lastRecord: self.lastSequence)
                } else if head.hash != self.lastHash {
                    self.problem = .brokenLink(sequence: self.lastSequence)
                }
            } else if self.lastSequence > 0 {
                self.problem = .headMissing(lastRecord: self.lastSequence)
            }
            return self.problem ?? self.finishAgainstDigests()
        }

        /// Compares the end of a copy (no head) with the newest digest.
        public mutating func finishAgainstDigests() -> Problem? {
            if let problem = self.problem { return problem }
            if let newest = self.expected.max(by: { $0.key < $1.key }), newest.key > self.lastSequence {
                self.problem = .endsBeforeDigest(lastRecord: self.lastSequence, digest: newest.value.digest, covers: newest.key)
            }
            return self.problem
        }
    }
}

extension Int64 {
    /// With thousands separators ("4,000"), as the messages show positions.
    var grouped: String {
        let digits = String(self.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return self < 0 ? "-" + out : out
    }
}
