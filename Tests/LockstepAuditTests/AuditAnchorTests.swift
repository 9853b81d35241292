import Crypto
import Foundation
import Testing

@testable import LockstepAudit
@testable import LockstepStore

/// The pure parts of the anchors: record lines, digests and their signatures.
@Suite struct AuditAnchorTests {
    let keys = AuditSigningKeys(seed: SymmetricKey(size: .bits256))

    @Test func aLineReadsBackExactlyTheRecordItCarries() {
        let records = [
            #"{"a":"x","b":{"c":[1,2.5,true,null]}}"#,
            #"{"eventName":"GetSecretValue","note":"\",\"sequence\":99}","unicode":"é😀\u0001"}"#,
        ]
        for (index, record) in records.enumerated() {
            let line = AuditLine(
                sequence: Int64(index + 1), previousHash: Data(repeating: 7, count: 32), hash: Data(repeating: 9, count: 32), record: record
            )
            #expect(AuditLine(parsing: line.text[...]) == line)
            // The line is JSON whose members are in canonical order.
            let json = try? JSONSerialization.jsonObject(with: Data(line.text.utf8)) as? [String: Any]
            #expect(json?["sequence"] as? Int == index + 1)
        }
    }

    @Test(arguments: [
        "", "{}", #"{"hash":"00","previousHash":"00","record":{},"sequence":1}"#,
        #"{"hash":"\#(String(repeating: "a", count: 64))","previousHash":"\#(String(repeating: "b", count: 64))","record":{},"sequence":-1}"#,
        #"{"hash":"\#(String(repeating: "a", count: 64))","previousHash":"\#(String(repeating: "b", count: 64))","record":{},"sequence":1"#,
        #"{"hash":"\#(String(repeating: "z", count: 64))","previousHash":"\#(String(repeating: "b", count: 64))","record":{},"sequence":1}"#,
    ])
    func anythingElseIsNotALine(_ text: String) {
        #expect(AuditLine(parsing: text[...]) == nil)
    }

    @Test func filesAreReadLineByLineAcrossChunksWithABoundPerLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lines-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // 2.8 MB of lines of different lengths: lines cross the 1 MiB read chunks; the last has no newline.
        let lines = (0..<40).map { String(repeating: Character(UnicodeScalar(UInt8(97 + $0 % 26))), count: 70_000 + $0) }
        try lines.joined(separator: "\n").write(toFile: path, atomically: false, encoding: .utf8)
        var seen: [String] = []
        let stopped = try AuditFiles.forEachLine(in: path) { line, number in
            seen.append(String(line))
            return number == seen.count
        }
        #expect(stopped == nil)
        #expect(seen == lines)
        // A line longer than the bound stops the reading at its number instead of filling memory.
        try ("\n" + String(repeating: "x", count: AuditFiles.maximumLine + 2) + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try AuditFiles.forEachLine(in: path) { _, _ in true } == 2)
        var verifier = AuditChain.Verifier(chain: AuditChain(key: SymmetricKey(size: .bits256)))
        #expect(try !verifier.check(file: path))
        #expect(verifier.problem.map(String.init(describing:))?.contains("line 2 is not an audit record line") == true)
    }

    func digest(node: String = "node-1") -> AuditDigest {
        var digest = AuditDigest(
            kind: .log, number: 3, time: Date(timeIntervalSince1970: 1_800_000_000), node: node, firstSequence: 11, lastSequence: 20,
            lastHash: Data(repeating: 1, count: 32)
        )
        digest.firstHash = Data(repeating: 2, count: 32)
        digest.previousDigestHash = Data(repeating: 3, count: 32)
        return digest
    }

    @Test func aSignedDigestVerifiesAndReadsBack() throws {
        var digest = self.digest()
        try digest.sign(with: self.keys)
        #expect(digest.isSigned(by: self.keys))
        let parsed = try #require(AuditDigest(parsing: Data(digest.text.utf8)))
        #expect(parsed == digest)
        #expect(parsed.isSigned(by: self.keys))
        #expect(digest.publicKey.base64EncodedString() == self.keys.publicKey(node: "node-1"))
    }

    @Test func anEditedDigestOrAnotherKeysSignatureIsRefused() throws {
        var digest = self.digest()
        try digest.sign(with: self.keys)
        var edited = digest
        edited.lastSequence = 4_000
        #expect(!edited.isSigned(by: self.keys))
        // Signed by a forger's own key, with that key in the file: still refused (the key comes from the root key).
        let forger = AuditSigningKeys(seed: SymmetricKey(size: .bits256))
        var forged = self.digest()
        try forged.sign(with: forger)
        #expect(!forged.isSigned(by: self.keys))
        // Another node's name means another key.
        var renamed = digest
        renamed.node = "node-2"
        #expect(!renamed.isSigned(by: self.keys))
    }

    @Test(arguments: ["node-1", "a.b_c", String(repeating: "n", count: 64)])
    func nodeNamesThatAreFileNameParts(_ node: String) { #expect(AuditDigest.isValidNode(node)) }

    @Test(arguments: ["", ".", "..", "a/b", "a b", String(repeating: "n", count: 65), "né"])
    func nodeNamesThatAreNot(_ node: String) { #expect(!AuditDigest.isValidNode(node)) }

    @Test func positionsAreShownWithThousandsSeparators() {
        #expect(AuditChain.Problem.endsBeforeDigest(lastRecord: 120, digest: 7, covers: 4_000).description
            == "the log ends at record 120 but digest 7 covers up to 4,000: it was truncated or rolled back")
        #expect(Int64(1_234_567).grouped == "1,234,567")
        #expect(Int64(999).grouped == "999")
    }
}
