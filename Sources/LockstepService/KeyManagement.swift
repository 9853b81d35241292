public import Foundation
import LockstepCore
public import LockstepCrypto
public import LockstepStore

/// `lockstep kms ...`: the master keys of the local key provider.
public struct KeyManagement: Sendable {
    public let store: any SecretStore
    public let keyring: LocalKeyring

    public init(store: any SecretStore, keyring: LocalKeyring) {
        self.store = store
        self.keyring = keyring
    }

    /// A key as `kms` commands print it.
    public struct KeyMetadata: Codable, Sendable, Hashable {
        public var KeyId: String
        public var Arn: String
        public var Description: String
        public var CreationDate: Date
        public var Aliases: [String]
        public var MaterialVersions: Int
    }

    func metadata(_ record: MasterKeyRecord) -> KeyMetadata {
        KeyMetadata(
            KeyId: record.keyId,
            Arn: self.keyring.arn(keyId: record.keyId),
            Description: record.description,
            CreationDate: record.createdDate,
            Aliases: record.aliases,
            MaterialVersions: record.wrappedMaterials.count
        )
    }

    public func createKey(alias: String?, description: String) async throws -> KeyMetadata {
        let keyring = self.keyring
        let record = try await self.store.write { tx in try keyring.createKey(alias: alias, description: description, in: tx) }
        return self.metadata(record)
    }

    public func rotateKey(_ reference: String) async throws -> KeyMetadata {
        let keyring = self.keyring
        let record = try await self.store.write { tx in try keyring.rotateKey(reference, in: tx) }
        return self.metadata(record)
    }

    public func listKeys() async throws -> [KeyMetadata] {
        let keyring = self.keyring
        _ = try await self.store.write { tx in try keyring.resolve(nil, in: tx) }
        return try await self.store.read { tx in try tx.allMasterKeys() }.map(self.metadata)
    }
}
