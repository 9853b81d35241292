public import Foundation

/// A master key of the local key provider as persisted: its material is wrapped by the root key.
///
/// Material versions accumulate when the key is rotated; new data keys use the newest, older ones stay to
/// unwrap the data keys they wrapped.
public struct MasterKeyRecord: Sendable, Hashable {
    public var keyId: String
    public var description: String
    public var createdDate: Date
    /// Material version → material wrapped by the root key (AES-256-GCM combined form).
    public var wrappedMaterials: [Int: Data]
    public var aliases: [String]

    public init(keyId: String, description: String, createdDate: Date, wrappedMaterials: [Int: Data], aliases: [String]) {
        self.keyId = keyId
        self.description = description
        self.createdDate = createdDate
        self.wrappedMaterials = wrappedMaterials
        self.aliases = aliases
    }

    /// The newest material version.
    public var currentVersion: Int { self.wrappedMaterials.keys.max() ?? 0 }
}

/// Where the key provider reads and writes master keys: the store, inside the caller's transaction.
public protocol MasterKeySource {
    /// The key with this id, if any.
    func masterKey(id: String) throws -> MasterKeyRecord?
    /// The id of the key this alias (`alias/...`) points at, if any.
    func masterKeyId(alias: String) throws -> String?
    /// Inserts or replaces a key and its aliases.
    func saveMasterKey(_ record: MasterKeyRecord) throws
    /// Every key, for `kms list-keys`.
    func allMasterKeys() throws -> [MasterKeyRecord]
}
