public import Crypto
public import Foundation
public import LockstepStore

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

    public func seal(sequence: Int64, hash: Data) -> Data {
        var mac = self.keyed
        mac.update(data: Data("head".utf8))
        withUnsafeBytes(of: sequence.bigEndian) { mac.update(data: $0) }
        mac.update(data: hash)
        return Data(mac.finalize())
    }

    /// What `lockstep audit verify` found: the first problem, naming the record's position.
    public enum Problem: Sendable, Hashable, CustomStringConvertible {
        case changed(sequence: Int64)
        case missing(expected: Int64, found: Int64)
        case brokenLink(sequence: Int64)
        case truncated(lastRecord: Int64, head: Int64)
        case headChanged
        case headMissing(lastRecord: Int64)
        case extraRecords(head: Int64, lastRecord: Int64)

        public var description: String {
            switch self {
            case .changed(let sequence): return "record \(sequence) was changed (its hash doesn't match its content)"
            case .missing(let expected, let found):
                return "record \(expected) is missing (removed or reordered): the next record found is \(found)"
            case .brokenLink(let sequence):
                return "record \(sequence) doesn't follow record \(sequence - 1) (a record was removed, reordered or replaced)"
            case .truncated(let last, let head): return "the log is truncated: it ends at record \(last) but the head says \(head)"
            case .headChanged: return "the chain's head was changed"
            case .headMissing(let last): return "the chain's head is missing (the log has \(last) records)"
            case .extraRecords(let head, let last):
                return "records after the head were added outside the log: the head says \(head), the log goes to \(last)"
            }
        }
    }

    /// Checks records one at a time, in sequence order, without holding them all.
    public struct Verifier: Sendable {
        let chain: AuditChain
        public private(set) var lastSequence: Int64 = 0
        var lastHash = AuditChain.genesis
        public private(set) var problem: Problem?

        public init(chain: AuditChain) { self.chain = chain }

        /// Feeds the next row; false once a problem is found.
        public mutating func check(_ row: AuditEventRow) -> Bool {
            guard self.problem == nil else { return false }
            let expected = self.lastSequence + 1
            if row.sequence != expected {
                self.problem = .missing(expected: expected, found: row.sequence)
                return false
            }
            if row.previousHash != self.lastHash {
                self.problem = .brokenLink(sequence: row.sequence)
                return false
            }
            if self.chain.hash(previous: row.previousHash, sequence: row.sequence, record: row.record) != row.hash {
                self.problem = .changed(sequence: row.sequence)
                return false
            }
            self.lastSequence = row.sequence
            self.lastHash = row.hash
            return true
        }

        /// Compares the end of the chain with the head; nil when all is intact.
        public mutating func finish(head: AuditHead?) -> Problem? {
            if let problem = self.problem { return problem }
            guard let head else {
                self.problem = self.lastSequence == 0 ? nil : .headMissing(lastRecord: self.lastSequence)
                return self.problem
            }
            if self.chain.seal(sequence: head.sequence, hash: head.hash) != head.seal {
                self.problem = .headChanged
            } else if head.sequence > self.lastSequence {
                self.problem = .truncated(lastRecord: self.lastSequence, head: head.sequence)
            } else if head.sequence < self.lastSequence {
                self.problem = .extraRecords(head: head.sequence, lastRecord: self.lastSequence)
            } else if head.hash != self.lastHash {
                self.problem = .brokenLink(sequence: self.lastSequence)
            }
            return self.problem
        }
    }
}
