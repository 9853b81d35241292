public import Crypto
public import Foundation
import LockstepCore

/// A signed statement about the chain, kept outside the database, in the spirit of CloudTrail's digest files: "at
/// this time, the log held records `firstSequence`…`lastSequence`, ending in these hashes, after this earlier
/// digest".
///
/// Two kinds: a log digest, written by `lockstep serve` at an interval and on shutdown, chained to the node's previous
/// digest by its hash; and a segment seal, written beside each exported segment, naming the segment file's SHA-256.
/// Both are canonical JSON signed with Ed25519 by a node key derived from the root key (``AuditSigningKeys``): the
/// private half is never stored anywhere, and the public half (in every digest) lets anyone check the signature.
public struct AuditDigest: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case log
        case segment
    }

    public var kind: Kind
    /// The node's digest count (log digests; 0 for segment seals).
    public var number: Int64
    public var time: Date
    public var node: String
    public var firstSequence: Int64
    /// The hash of the record at `firstSequence`, when the node still had it.
    public var firstHash: Data?
    public var lastSequence: Int64
    public var lastHash: Data
    /// The SHA-256 of the node's previous digest file (log digests after the first).
    public var previousDigestHash: Data?
    /// Segment seals: the segment's file name, its SHA-256 and the hash before its first record.
    public var segmentFile: String?
    public var segmentSHA256: Data?
    public var previousHash: Data?
    public var publicKey: Data = Data()
    public var signature: Data = Data()

    public static let signatureAlgorithm = "Ed25519"

    /// Node names (a file-name component): letters, digits, `.`, `_`, `-`; 1–64 characters.
    public static func isValidNode(_ node: String) -> Bool {
        !node.isEmpty && node.utf8.count <= 64 && node != "." && node != ".."
            && node.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private func members(signed: Bool) -> [String: AuditJSON] {
        var members: [String: AuditJSON] = [
            "digestType": .string(self.kind.rawValue),
            "digestNumber": .integer(self.number),
            "digestTime": .string(UTCDate.iso8601(self.time)),
            "node": .string(self.node),
            "firstSequence": .integer(self.firstSequence),
            "firstHash": self.firstHash.map { .string(Hex.encode($0)) } ?? .null,
            "lastSequence": .integer(self.lastSequence),
            "lastHash": .string(Hex.encode(self.lastHash)),
            "previousDigestHash": self.previousDigestHash.map { .string(Hex.encode($0)) } ?? .null,
            "publicKey": .string(self.publicKey.base64EncodedString()),
            "signatureAlgorithm": .string(Self.signatureAlgorithm),
        ]
        if let file = self.segmentFile { members["segmentFile"] = .string(file) }
        if let sha = self.segmentSHA256 { members["segmentSHA256"] = .string(Hex.encode(sha)) }
        if let previous = self.previousHash { members["previousHash"] = .string(Hex.encode(previous)) }
        if signed { members["signature"] = .string(self.signature.base64EncodedString()) }
        return members
    }

    /// What the signature covers: every member but the signature, canonical.
    var signedText: String { AuditJSON.object(self.members(signed: false)).canonicalText }

    /// The file's text.
    public var text: String { AuditJSON.object(self.members(signed: true)).canonicalText }

    /// Signs with the node's key (setting `publicKey` and `signature`).
    public mutating func sign(with keys: AuditSigningKeys) throws {
        let key = keys.privateKey(node: self.node)
        self.publicKey = key.publicKey.rawRepresentation
        self.signature = try key.signature(for: Data(self.signedText.utf8))
    }

    /// Whether the node's key (derived from this root key, never the one the file names) signed this.
    public func isSigned(by keys: AuditSigningKeys) -> Bool {
        guard Self.isValidNode(self.node) else { return false }
        let key = keys.privateKey(node: self.node).publicKey
        return key.rawRepresentation == self.publicKey && key.isValidSignature(self.signature, for: Data(self.signedText.utf8))
    }

    /// Reads a digest file's text; nil when it isn't one.
    public init?(parsing data: Data) {
        guard let json = AuditJSON.parse(data), case .object = json else { return nil }
        func integer(_ key: String) -> Int64? { if case .integer(let value)? = json[key] { value } else { nil } }
        func hex(_ key: String) -> Data? { json[key]?.stringValue.flatMap(Hex.decode) }
        func base64(_ key: String) -> Data? { json[key]?.stringValue.flatMap { Data(base64Encoded: $0) } }
        guard let kind = json["digestType"]?.stringValue.flatMap(Kind.init(rawValue:)), let number = integer("digestNumber"),
            let time = json["digestTime"]?.stringValue.flatMap(UTCDate.parseISO8601), let node = json["node"]?.stringValue,
            let first = integer("firstSequence"), let last = integer("lastSequence"), let lastHash = hex("lastHash"),
            let publicKey = base64("publicKey"), let signature = base64("signature"),
            json["signatureAlgorithm"]?.stringValue == Self.signatureAlgorithm
        else { return nil }
        self.init(kind: kind, number: number, time: time, node: node, firstSequence: first, lastSequence: last, lastHash: lastHash)
        self.firstHash = hex("firstHash")
        self.previousDigestHash = hex("previousDigestHash")
        self.segmentFile = json["segmentFile"]?.stringValue
        self.segmentSHA256 = hex("segmentSHA256")
        self.previousHash = hex("previousHash")
        self.publicKey = publicKey
        self.signature = signature
    }

    public init(kind: Kind, number: Int64, time: Date, node: String, firstSequence: Int64, lastSequence: Int64, lastHash: Data) {
        self.kind = kind
        self.number = number
        self.time = time
        self.node = node
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.lastHash = lastHash
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}

/// The nodes' Ed25519 signing keys, each derived from a seed that is itself derived from the root key: nothing to
/// store, nothing in the database, and a node's key can be recomputed by whoever holds the root key (so can a forger
/// who holds it: see docs/ARCHITECTURE.md, "What the digests prove").
public struct AuditSigningKeys: Sendable {
    private let seed: SymmetricKey

    public init(seed: SymmetricKey) { self.seed = seed }

    func privateKey(node: String) -> Curve25519.Signing.PrivateKey {
        let raw = HKDF<SHA256>.deriveKey(inputKeyMaterial: self.seed, info: Data("node \(node)".utf8), outputByteCount: 32)
        // 32 bytes are always a valid Ed25519 seed.
        return raw.withUnsafeBytes { try! Curve25519.Signing.PrivateKey(rawRepresentation: $0) }
    }

    /// The node's public key, base64 (what `lockstep audit public-key` prints for auditors).
    public func publicKey(node: String) -> String { self.privateKey(node: node).publicKey.rawRepresentation.base64EncodedString() }
}

/// A directory of log digests: `digest-<node>-<number>.json`, each node's chained by hash.
public struct AuditDigestDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    static func fileName(node: String, number: Int64) -> String { "digest-\(node)-\(String(format: "%08lld", number)).json" }

    /// Every digest file, parsed (nil for a file that isn't a digest), by node and number.
    public func all() throws -> [(file: String, digest: AuditDigest?, text: Data)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: self.path) else { return [] }
        return try names.filter { $0.hasPrefix("digest-") && $0.hasSuffix(".json") }.sorted().map { name in
            let data = try AuditFiles.read(self.path + "/" + name, limit: 64 * 1024)
            return (name, AuditDigest(parsing: data), data)
        }
    }

    /// The node's newest digest and its file's SHA-256.
    func newest(node: String, keys: AuditSigningKeys) throws -> (digest: AuditDigest, sha256: Data)? {
        try self.all().compactMap { entry -> (AuditDigest, Data)? in
            guard let digest = entry.digest, digest.kind == .log, digest.node == node, digest.isSigned(by: keys) else { return nil }
            return (digest, Data(SHA256.hash(data: entry.text)))
        }.max { $0.0.number < $1.0.number }
    }

    func write(_ digest: AuditDigest) throws {
        try AuditFiles.writeDurably(Data(digest.text.utf8), named: Self.fileName(node: digest.node, number: digest.number), in: self.path)
    }
}
