public import Crypto
public import Foundation
public import LockstepCore
import Synchronization

/// The local key provider: named AES-256 master keys, wrapped by the ``RootKey`` and kept in the store.
///
/// Unwrapped master keys are cached in memory (a process that didn't create a key finds it in the store on
/// first use). A wrapped data key is `0x01 ‖ material version (UInt32, big endian) ‖ AES-GCM combined`, bound to
/// the ``EncryptionContext``.
public final class LocalKeyring: KeyProvider {
    public static let defaultAlias = "alias/aws/secretsmanager"
    static let formatVersion: UInt8 = 1

    private let root: RootKey
    private let region: String
    private let account: String
    private let now: @Sendable () -> Date
    /// (key id, material version) → material. Mutex-guarded: the keyring is shared by every transaction.
    private let cache = Mutex<[MaterialID: SymmetricKey]>([:])

    private struct MaterialID: Hashable {
        var keyId: String
        var version: Int
    }

    /// - Parameters:
    ///   - root: the root key that wraps master keys.
    ///   - region: the region in key ARNs.
    ///   - account: the account in key ARNs.
    public init(root: RootKey, region: String, account: String, now: @escaping @Sendable () -> Date = { Date() }) {
        self.root = root
        self.region = region
        self.account = account
        self.now = now
    }

    /// The ARN of a key.
    public func arn(keyId: String) -> String { "arn:aws:kms:\(self.region):\(self.account):key/\(keyId)" }

    // MARK: KeyProvider

    public func resolve(_ reference: String?, in source: any MasterKeySource) throws(SecretsManagerError) -> String {
        guard let reference, !reference.isEmpty else { return try self.defaultKey(in: source) }
        let found: String?
        do {
            found = try Self.lookup(reference, in: source)
        } catch {
            throw Self.storeFailure(error, else: SecretsManagerError(.internalServiceError, "The key store could not be read."))
        }
        guard let found else {
            if reference == Self.defaultAlias || reference.hasSuffix(":\(Self.defaultAlias)") { return try self.defaultKey(in: source) }
            throw SecretsManagerError(.invalidParameter, "The KMS key \(reference) doesn't exist or isn't accessible.")
        }
        return found
    }

    public func generateDataKey(
        keyId: String,
        context: EncryptionContext,
        in source: any MasterKeySource
    ) throws(SecretsManagerError) -> (key: SymmetricKey, wrapped: Data) {
        let (version, master) = try self.currentMaterial(keyId: keyId, in: source)
        let dataKey = SymmetricKey(size: .bits256)
        do {
            let box = try dataKey.withUnsafeBytes { bytes in
                try AES.GCM.seal(Data(bytes), using: master, authenticating: context.authenticatedData)
            }
            var wrapped = Data([Self.formatVersion])
            withUnsafeBytes(of: UInt32(version).bigEndian) { wrapped.append(contentsOf: $0) }
            wrapped.append(box.combined!)
            return (dataKey, wrapped)
        } catch {
            throw .encryptionFailure
        }
    }

    public func unwrapDataKey(
        _ wrapped: Data,
        keyId: String,
        context: EncryptionContext,
        in source: any MasterKeySource
    ) throws(SecretsManagerError) -> SymmetricKey {
        guard wrapped.count > 5, wrapped.first == Self.formatVersion else { throw .decryptionFailure }
        let version = wrapped.dropFirst().prefix(4).reduce(0) { $0 << 8 | Int($1) }
        guard let master = try self.material(keyId: keyId, version: version, in: source) else { throw .decryptionFailure }
        do {
            let box = try AES.GCM.SealedBox(combined: wrapped.dropFirst(5))
            let bytes = try AES.GCM.open(box, using: master, authenticating: context.authenticatedData)
            return SymmetricKey(data: bytes)
        } catch {
            throw .decryptionFailure
        }
    }

    // MARK: Key management

    /// Creates a customer master key, optionally with an alias (`alias/NAME`, or `NAME` which gets the prefix).
    public func createKey(alias: String?, description: String, in source: any MasterKeySource) throws -> MasterKeyRecord {
        var aliases: [String] = []
        if let alias {
            let name = alias.hasPrefix("alias/") ? alias : "alias/\(alias)"
            guard name.count > 6, name.count <= 256, !name.hasPrefix("alias/aws/") else {
                throw SecretsManagerError(.invalidParameter, "Invalid alias name \(name): aliases are alias/NAME and alias/aws/ is reserved.")
            }
            guard try source.masterKeyId(alias: name) == nil else {
                throw SecretsManagerError(.resourceExists, "An alias with the name \(name) already exists.")
            }
            aliases.append(name)
        }
        return try self.makeKey(aliases: aliases, description: description, in: source)
    }

    /// Adds new key material to a key; data keys wrapped before stay readable.
    public func rotateKey(_ reference: String, in source: any MasterKeySource) throws -> MasterKeyRecord {
        let keyId = try self.resolve(reference, in: source)
        guard var record = try source.masterKey(id: keyId) else { throw SecretsManagerError.secretNotFound }
        let version = record.currentVersion + 1
        record.wrappedMaterials[version] = try self.wrapMaterial(SymmetricKey(size: .bits256), keyId: keyId, version: version)
        try source.saveMasterKey(record)
        return record
    }

    /// Whether this keyring's root key opens the master keys in `source` (true when there are none yet): a wrong
    /// root key is told apart from tampering before anything is served.
    public func opensMasterKeys(in source: any MasterKeySource) throws -> Bool {
        guard let record = try source.allMasterKeys().first else { return true }
        do {
            return try self.material(keyId: record.keyId, version: record.currentVersion, in: source) != nil
        } catch {
            return false
        }
    }

    // MARK: Internals

    private func defaultKey(in source: any MasterKeySource) throws(SecretsManagerError) -> String {
        do {
            if let id = try source.masterKeyId(alias: Self.defaultAlias) { return id }
            return try self.makeKey(aliases: [Self.defaultAlias], description: "Default key for Secrets Manager", in: source).keyId
        } catch {
            throw Self.storeFailure(error, else: SecretsManagerError(.internalServiceError, "The key store could not be written."))
        }
    }

    private func makeKey(aliases: [String], description: String, in source: any MasterKeySource) throws -> MasterKeyRecord {
        let keyId = UUID().uuidString.lowercased()
        let material = SymmetricKey(size: .bits256)
        let record = MasterKeyRecord(
            keyId: keyId,
            description: description,
            createdDate: self.now(),
            wrappedMaterials: [1: try self.wrapMaterial(material, keyId: keyId, version: 1)],
            aliases: aliases
        )
        try source.saveMasterKey(record)
        return record
    }

    private static func lookup(_ reference: String, in source: any MasterKeySource) throws -> String? {
        if reference.hasPrefix("alias/") { return try source.masterKeyId(alias: reference) }
        if reference.hasPrefix("arn:") {
            let parts = reference.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, parts[2] == "kms" else { return nil }
            let resource = String(parts[5])
            if resource.hasPrefix("alias/") { return try source.masterKeyId(alias: resource) }
            guard resource.hasPrefix("key/") else { return nil }
            return try self.lookup(String(resource.dropFirst(4)), in: source)
        }
        return try source.masterKey(id: reference.lowercased())?.keyId
    }

    private func currentMaterial(keyId: String, in source: any MasterKeySource) throws(SecretsManagerError) -> (Int, SymmetricKey) {
        let record: MasterKeyRecord?
        do { record = try source.masterKey(id: keyId) } catch { throw Self.storeFailure(error, else: .encryptionFailure) }
        guard let record, let material = try self.material(keyId: keyId, version: record.currentVersion, in: source) else {
            throw .encryptionFailure
        }
        return (record.currentVersion, material)
    }

    private func material(keyId: String, version: Int, in source: any MasterKeySource) throws(SecretsManagerError) -> SymmetricKey? {
        let id = MaterialID(keyId: keyId, version: version)
        if let cached = self.cache.withLock({ $0[id] }) { return cached }
        let record: MasterKeyRecord?
        do { record = try source.masterKey(id: keyId) } catch { throw Self.storeFailure(error, else: .decryptionFailure) }
        guard let wrapped = record?.wrappedMaterials[version] else { return nil }
        do {
            let box = try AES.GCM.SealedBox(combined: wrapped)
            let key = SymmetricKey(data: try AES.GCM.open(box, using: self.root.key, authenticating: Self.materialContext(id)))
            self.cache.withLock { $0[id] = key }
            return key
        } catch {
            throw .decryptionFailure
        }
    }

    /// What a failed read or write of the key store answers: the store's own answer when it has one (a database
    /// that can't be reached is ServiceUnavailable, not a key that can't encrypt), else `fallback`.
    private static func storeFailure(_ error: any Error, else fallback: SecretsManagerError) -> SecretsManagerError {
        if let error = error as? SecretsManagerError { return error }
        return (error as? any AWSAnswerable)?.awsError ?? fallback
    }

    private func wrapMaterial(_ material: SymmetricKey, keyId: String, version: Int) throws -> Data {
        let box = try material.withUnsafeBytes { bytes in
            try AES.GCM.seal(Data(bytes), using: self.root.key, authenticating: Self.materialContext(MaterialID(keyId: keyId, version: version)))
        }
        return box.combined!
    }

    private static func materialContext(_ id: MaterialID) -> Data { Data("lockstep/master-key/v1\u{0}\(id.keyId)\u{0}\(id.version)".utf8) }
}
