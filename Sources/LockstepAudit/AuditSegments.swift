import CompressNIO
import Crypto
import Foundation
import NIOCore

/// Exported segments: the oldest records moved out of the live log into gzip-compressed JSON-lines files
/// (`audit-<first>-<last>.jsonl.gz`, the lines ``AuditLine`` writes), each sealed by a signed digest beside it
/// (`audit-<first>-<last>.seal.json`) that names the file's SHA-256 and its first and last records.
public struct AuditSegmentDirectory: Sendable {
    public let path: String
    /// Decompressed segments larger than this are refused (a segment holds at most ``AuditLog/segmentRecords``).
    static let maximumSize = 1 << 30

    public init(path: String) { self.path = path }

    static func baseName(first: Int64, last: Int64) -> String { String(format: "audit-%012lld-%012lld", first, last) }

    /// Writes one sealed segment of `lines` (consecutive, verified records) and returns the segment's file name.
    func write(_ lines: [AuditLine], node: String, keys: AuditSigningKeys) throws -> String {
        guard let first = lines.first, let last = lines.last else { throw AuditFiles.Failure(description: "an empty segment") }
        var text = ByteBuffer()
        for line in lines {
            text.writeString(line.text)
            text.writeString("\n")
        }
        let compressed = try text.compress(with: .gzip())
        let data = Data(compressed.readableBytesView)
        let base = Self.baseName(first: first.sequence, last: last.sequence)
        var seal = AuditDigest(
            kind: .segment, number: 0, time: Date(), node: node, firstSequence: first.sequence, lastSequence: last.sequence, lastHash: last.hash
        )
        seal.firstHash = first.hash
        seal.previousHash = first.previousHash
        seal.segmentFile = base + ".jsonl.gz"
        seal.segmentSHA256 = Data(SHA256.hash(data: data))
        try seal.sign(with: keys)
        try AuditFiles.writeDurably(data, named: base + ".jsonl.gz", in: self.path)
        try AuditFiles.writeDurably(Data(seal.text.utf8), named: base + ".seal.json", in: self.path)
        return base + ".jsonl.gz"
    }

    /// The segments' base names, oldest first.
    func segments() -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: self.path) else { return [] }
        return names.filter { $0.hasPrefix("audit-") && $0.hasSuffix(".jsonl.gz") }.map { String($0.dropLast(".jsonl.gz".count)) }.sorted()
    }

    /// Checks a segment's seal and returns its lines' text, or the problem.
    func verifiedText(of base: String, keys: AuditSigningKeys) -> Result<String, AuditChain.Problem> {
        let file = base + ".jsonl.gz"
        func problem(_ reason: String) -> Result<String, AuditChain.Problem> { .failure(.segment(file: file, reason: reason)) }
        guard let sealData = try? AuditFiles.read(self.path + "/" + base + ".seal.json", limit: 64 * 1024) else {
            return problem("its seal (\(base).seal.json) is missing")
        }
        guard let seal = AuditDigest(parsing: sealData), seal.kind == .segment, seal.isSigned(by: keys) else {
            return problem("its seal is not signed by this data directory's key")
        }
        guard let data = try? AuditFiles.read(self.path + "/" + file, limit: Self.maximumSize) else { return problem("can't be read") }
        guard seal.segmentFile == file, seal.segmentSHA256 == Data(SHA256.hash(data: data)) else {
            return problem("its SHA-256 doesn't match its seal (the file was changed or replaced)")
        }
        var buffer = ByteBuffer(bytes: data)
        guard let text = try? buffer.decompress(with: .gzip(), maxSize: Self.maximumSize) else { return problem("is not valid gzip") }
        return .success(String(buffer: text))
    }
}
