public import Foundation
import LockstepCore
public import LockstepStore

/// One record as a line of the JSON-lines copy and of exported segments: the record with its place in the chain,
/// so a file verifies on its own (`lockstep audit verify --file`).
///
///     {"hash":"<64 hex>","previousHash":"<64 hex>","record":{...CloudTrail record...},"sequence":42}
///
/// Members in canonical (byte) order. The record is embedded byte for byte as it was hashed, and read back by
/// position rather than re-serialised, so the hash checks exactly what was written.
public struct AuditLine: Sendable, Hashable {
    public var sequence: Int64
    public var previousHash: Data
    public var hash: Data
    public var record: String

    public init(sequence: Int64, previousHash: Data, hash: Data, record: String) {
        self.sequence = sequence
        self.previousHash = previousHash
        self.hash = hash
        self.record = record
    }

    public init(_ row: AuditEventRow) {
        self.init(sequence: row.sequence, previousHash: row.previousHash, hash: row.hash, record: row.record)
    }

    private static let hashPrefix = #"{"hash":""#
    private static let previousPrefix = #"","previousHash":""#
    private static let recordPrefix = #"","record":"#
    private static let sequencePrefix = #","sequence":"#

    /// The line, without its newline.
    public var text: String {
        Self.hashPrefix + Hex.encode(self.hash) + Self.previousPrefix + Hex.encode(self.previousHash) + Self.recordPrefix + self.record
            + Self.sequencePrefix + String(self.sequence) + "}"
    }

    /// Reads a line this type wrote; nil for anything else.
    public init?(parsing line: Substring) {
        var rest = line.utf8[...]
        func take(_ prefix: String) -> Bool {
            guard rest.starts(with: prefix.utf8) else { return false }
            rest = rest.dropFirst(prefix.utf8.count)
            return true
        }
        func readHash() -> Data? {
            guard rest.count >= 64, let data = Hex.decode(String(decoding: rest.prefix(64), as: UTF8.self)), data.count == 32 else { return nil }
            rest = rest.dropFirst(64)
            return data
        }
        guard take(Self.hashPrefix), let hash = readHash(), take(Self.previousPrefix), let previous = readHash(), take(Self.recordPrefix),
            rest.last == UInt8(ascii: "}")
        else { return nil }
        let body = rest.dropLast()
        // The sequence is the last member: find its key from the end (a record can't end with it: records end in "}").
        let key = Array(Self.sequencePrefix.utf8)
        guard let keyStart = body.indices.reversed().first(where: { body[$0...].starts(with: key) }) else { return nil }
        let keyEnd = body.index(keyStart, offsetBy: key.count)
        let digits = body[keyEnd...]
        guard !digits.isEmpty, digits.count <= 19, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let sequence = Int64(String(decoding: digits, as: UTF8.self))
        else { return nil }
        let record = body[..<keyStart]
        guard record.first == UInt8(ascii: "{"), record.last == UInt8(ascii: "}") else { return nil }
        self.init(sequence: sequence, previousHash: previous, hash: hash, record: String(decoding: record, as: UTF8.self))
    }
}

extension AuditChain.Verifier {
    /// Feeds the lines of a JSON-lines text (a copy or a segment); a problem names the file and line.
    mutating func check(lines text: String, file: String) -> Bool {
        var number = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            guard self.check(line: line, number: number, file: file) else { return false }
        }
        return true
    }

    /// Feeds a JSON-lines file line by line (a copy can hold a year of records: it is never read whole).
    mutating func check(file path: String) throws -> Bool {
        let file = (path as NSString).lastPathComponent
        var intact = true
        if let tooLong = try AuditFiles.forEachLine(in: path, { line, number in
            intact = self.check(line: line, number: number, file: file)
            return intact
        }) {
            self.problem = .atLine(file: file, line: tooLong, .unreadableLine(line: tooLong))
            return false
        }
        return intact
    }

    private mutating func check(line: Substring, number: Int, file: String) -> Bool {
        if line.isEmpty { return true }
        guard let parsed = AuditLine(parsing: line) else {
            self.problem = .atLine(file: file, line: number, .unreadableLine(line: number))
            return false
        }
        guard self.check(sequence: parsed.sequence, previousHash: parsed.previousHash, hash: parsed.hash, record: parsed.record) else {
            self.problem = .atLine(file: file, line: number, self.problem!)
            return false
        }
        return true
    }
}
