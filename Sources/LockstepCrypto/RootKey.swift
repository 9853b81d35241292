public import Crypto
public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The root of the key hierarchy: it wraps the master keys. It never goes into the database.
///
/// It comes from the environment variable `LOCKSTEP_ROOT_KEY` (base64 of 32 bytes) or from a file holding the
/// same, readable by its owner only (mode 0600).
public struct RootKey: Sendable {
    public static let environmentVariable = "LOCKSTEP_ROOT_KEY"
    public static let fileName = "root.key"

    let key: SymmetricKey

    public init(_ key: SymmetricKey) { self.key = key }

    /// A configuration problem with the root key. Messages name files, never key bytes.
    public struct Error: Swift.Error, CustomStringConvertible {
        public let description: String
    }

    /// Loads the root key: the environment variable wins, otherwise `file`, otherwise the file in `directory`.
    ///
    /// - Parameters:
    ///   - directory: the data directory.
    ///   - environment: the process environment (tests pass their own).
    ///   - create: make a new key file when none exists (`lockstep init`, first start).
    ///   - existingStore: the store already holds data, so a missing key is lost, not yet to be made.
    ///   - keyFile: the key's file (`--root-key-file`), instead of `directory/root.key`.
    public static func load(
        directory: URL,
        environment: [String: String],
        create: Bool,
        existingStore: Bool = false,
        file keyFile: URL? = nil
    ) throws -> RootKey {
        if let encoded = environment[environmentVariable], !encoded.isEmpty {
            return try RootKey(decoding: encoded, source: environmentVariable)
        }
        let file = keyFile ?? directory.appendingPathComponent(fileName)
        let path = file.path
        if !FileManager.default.fileExists(atPath: path) {
            guard create else {
                if existingStore {
                    throw Error(
                        description:
                            "no root key: \(path) is missing and \(environmentVariable) is not set, but the store holds data; restore the key file or set it (a new key would make every secret unreadable)"
                    )
                }
                throw Error(description: "no root key: \(path) does not exist and \(environmentVariable) is not set")
            }
            let key = SymmetricKey(size: .bits256)
            let encoded = key.withUnsafeBytes { Data($0).base64EncodedString() }
            try writeOwnerOnly(Data(encoded.utf8), to: path)
            return RootKey(key)
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw Error(description: "can't read \(path)") }
        guard info.st_mode & 0o077 == 0 else {
            throw Error(description: "\(path) must be readable by its owner only (chmod 600); refusing to use it")
        }
        let contents = try String(contentsOfFile: path, encoding: .utf8)
        return try RootKey(decoding: contents.trimmingCharacters(in: .whitespacesAndNewlines), source: path)
    }

    /// A key for another purpose (the audit chain's MAC), derived with HKDF so it reveals nothing about the root key
    /// and stays out of the database like the root key itself.
    public func derivedKey(for purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: self.key, info: Data("lockstep \(purpose)".utf8), outputByteCount: 32)
    }

    init(decoding encoded: String, source: String) throws {
        guard let bytes = Data(base64Encoded: encoded), bytes.count == 32 else {
            throw Error(description: "\(source) must hold 32 bytes, base64-encoded")
        }
        self.key = SymmetricKey(data: bytes)
    }

    /// Creates `path` with mode 0600 from the start (no window where it is readable by others).
    private static func writeOwnerOnly(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw Error(description: "can't create \(path)") }
        defer { close(fd) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(fd) == 0 else { throw Error(description: "can't write \(path)") }
    }
}
