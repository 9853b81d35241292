import Crypto
import Foundation
import LockstepCore
import LockstepCrypto
import Testing

private let context = EncryptionContext(
    secretARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:k-AbCdEf",
    versionId: "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE"
)

@Suite struct KeyringResolveTests {
    @Test func defaultKeyIsCreatedOnFirstUseOnly() throws {
        let fixture = KeyringFixture()
        #expect(try fixture.source.allMasterKeys().isEmpty)
        let first = try fixture.keyring.resolve(nil, in: fixture.source)
        #expect(fixture.source.saveCount == 1)
        let record = try #require(try fixture.source.masterKey(id: first))
        #expect(record.aliases == [LocalKeyring.defaultAlias])
        #expect(record.currentVersion == 1)
        #expect(LocalKeyring.defaultAlias == "alias/aws/secretsmanager")

        #expect(try fixture.keyring.resolve(nil, in: fixture.source) == first)
        #expect(try fixture.keyring.resolve("", in: fixture.source) == first)
        #expect(try fixture.keyring.resolve(LocalKeyring.defaultAlias, in: fixture.source) == first)
        #expect(try fixture.freshKeyring().resolve(nil, in: fixture.source) == first)
        #expect(fixture.source.saveCount == 1, "no second default key")
        #expect(try fixture.source.allMasterKeys().count == 1)
    }

    @Test(arguments: ["alias/aws/secretsmanager", "arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager"])
    func defaultAliasCreatesTheDefaultKey(reference: String) throws {
        let fixture = KeyringFixture()
        let keyId = try fixture.keyring.resolve(reference, in: fixture.source)
        #expect(try fixture.source.masterKeyId(alias: LocalKeyring.defaultAlias) == keyId)
        #expect(try fixture.keyring.resolve(nil, in: fixture.source) == keyId)
    }

    @Test func everyReferenceFormResolves() throws {
        let fixture = KeyringFixture()
        _ = try fixture.keyring.resolve(nil, in: fixture.source)
        let record = try fixture.keyring.createKey(alias: "app", description: "app key", in: fixture.source)
        let keyId = record.keyId
        #expect(record.aliases == ["alias/app"])
        #expect(record.description == "app key")
        #expect(fixture.keyring.arn(keyId: keyId) == "arn:aws:kms:us-east-1:123456789012:key/\(keyId)")

        let references = [
            keyId,
            keyId.uppercased(),
            "arn:aws:kms:us-east-1:123456789012:key/\(keyId)",
            "alias/app",
            "arn:aws:kms:us-east-1:123456789012:alias/app",
        ]
        for reference in references {
            #expect(try fixture.keyring.resolve(reference, in: fixture.source) == keyId, "\(reference)")
        }
    }

    @Test(arguments: [
        "alias/nope",
        "00000000-0000-0000-0000-000000000000",
        "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000",
        "arn:aws:kms:us-east-1:123456789012:alias/nope",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf",
        "arn:aws:kms:us-east-1:123456789012:app",
        "app",
    ])
    func unknownKeysAreInvalidParameters(reference: String) throws {
        let fixture = KeyringFixture()
        _ = try fixture.keyring.createKey(alias: "app", description: "", in: fixture.source)
        let error = expectError(.invalidParameter) { try fixture.keyring.resolve(reference, in: fixture.source) }
        #expect(error?.message.contains(reference) == true)
        #expect(try fixture.source.masterKeyId(alias: LocalKeyring.defaultAlias) == nil, "no default key made for an unknown one")
    }

    @Test func storeFailuresAreInternalErrors() {
        let fixture = KeyringFixture()
        expectError(.internalServiceError) { try fixture.keyring.resolve("alias/app", in: FailingKeySource()) }
        expectError(.internalServiceError) { try fixture.keyring.resolve(nil, in: FailingKeySource()) }
    }

    /// A store that can't be reached (a database restarting or failing over) is the store's answer, ServiceUnavailable,
    /// not a key that can't encrypt or decrypt (EncryptionFailure, DecryptionFailure: 400s the SDKs don't retry).
    @Test func anUnreachableStoreAnswersServiceUnavailable() throws {
        let fixture = KeyringFixture()
        let keyId = try fixture.keyring.createKey(alias: "alias/app", description: "app", in: fixture.source).keyId
        let (_, wrapped) = try fixture.keyring.generateDataKey(keyId: keyId, context: context, in: fixture.source)
        let keyring = fixture.freshKeyring()  // nothing cached
        let away = UnavailableKeySource()
        expectError(.serviceUnavailable) { try keyring.resolve("alias/app", in: away) }
        expectError(.serviceUnavailable) { try keyring.resolve(nil, in: away) }
        expectError(.serviceUnavailable) { try keyring.generateDataKey(keyId: keyId, context: context, in: away) }
        expectError(.serviceUnavailable) { try keyring.unwrapDataKey(wrapped, keyId: keyId, context: context, in: away) }
    }
}

@Suite struct KeyringManagementTests {
    @Test func createKeyMakesDistinctKeys() throws {
        let fixture = KeyringFixture()
        let a = try fixture.keyring.createKey(alias: nil, description: "a", in: fixture.source)
        let b = try fixture.keyring.createKey(alias: "alias/b", description: "b", in: fixture.source)
        #expect(a.keyId != b.keyId)
        #expect(a.aliases.isEmpty)
        #expect(b.aliases == ["alias/b"])
        #expect(a.keyId == a.keyId.lowercased())
        #expect(a.wrappedMaterials.keys.sorted() == [1])
        #expect(a.wrappedMaterials[1] != b.wrappedMaterials[1])
        #expect(try fixture.source.allMasterKeys().count == 2)
        #expect(try fixture.keyring.resolve(a.keyId, in: fixture.source) == a.keyId)
    }

    @Test func duplicateAliasIsRejected() throws {
        let fixture = KeyringFixture()
        _ = try fixture.keyring.createKey(alias: "app", description: "", in: fixture.source)
        expectError(.resourceExists) { try fixture.keyring.createKey(alias: "alias/app", description: "", in: fixture.source) }
        expectError(.resourceExists) { try fixture.keyring.createKey(alias: "app", description: "", in: fixture.source) }
        #expect(try fixture.source.allMasterKeys().count == 1)
    }

    @Test(arguments: ["alias/", "alias/aws/mine", "aws/mine", "alias/aws/secretsmanager"])
    func reservedOrEmptyAliasesAreRejected(alias: String) throws {
        let fixture = KeyringFixture()
        expectError(.invalidParameter) { try fixture.keyring.createKey(alias: alias, description: "", in: fixture.source) }
        #expect(try fixture.source.allMasterKeys().isEmpty)
    }

    @Test func dataKeyFormat() throws {
        let fixture = KeyringFixture()
        let keyId = try fixture.keyring.resolve(nil, in: fixture.source)
        let (key, wrapped) = try fixture.keyring.generateDataKey(keyId: keyId, context: context, in: fixture.source)
        #expect(key.bitCount == 256)
        #expect(Array(wrapped.prefix(5)) == [1, 0, 0, 0, 1], "format 1, material version 1")
        #expect(wrapped.count == 5 + 12 + 32 + 16)
        #expect(wrapped.range(of: bytes(of: key)) == nil, "the data key is not stored in the clear")
        let unwrapped = try fixture.keyring.unwrapDataKey(wrapped, keyId: keyId, context: context, in: fixture.source)
        #expect(unwrapped == key)
    }

    @Test func rotateKeyKeepsOldDataKeysReadable() throws {
        let fixture = KeyringFixture()
        let keyId = try fixture.keyring.createKey(alias: "rotating", description: "", in: fixture.source).keyId
        let plaintext = Data("before rotation".utf8)
        let before = try fixture.envelope.seal(plaintext, keyId: keyId, context: context, in: fixture.source)

        let rotated = try fixture.keyring.rotateKey("alias/rotating", in: fixture.source)
        #expect(rotated.keyId == keyId)
        #expect(rotated.currentVersion == 2)
        #expect(rotated.wrappedMaterials.keys.sorted() == [1, 2])
        #expect(try fixture.source.masterKey(id: keyId)?.currentVersion == 2)

        let after = try fixture.envelope.seal(plaintext, keyId: keyId, context: context, in: fixture.source)
        #expect(Array(before.wrappedDataKey.prefix(5)) == [1, 0, 0, 0, 1])
        #expect(Array(after.wrappedDataKey.prefix(5)) == [1, 0, 0, 0, 2], "new data keys use the new material")

        #expect(try fixture.envelope.open(before, context: context, in: fixture.source) == plaintext)
        #expect(try fixture.envelope.open(after, context: context, in: fixture.source) == plaintext)
        // And without the cache of the keyring that did the rotation.
        let fresh = Envelope(provider: fixture.freshKeyring())
        #expect(try fresh.open(before, context: context, in: fixture.source) == plaintext)
        #expect(try fresh.open(after, context: context, in: fixture.source) == plaintext)

        _ = try fixture.keyring.rotateKey(keyId, in: fixture.source)
        #expect(try fixture.source.masterKey(id: keyId)?.currentVersion == 3)
        #expect(try fresh.open(before, context: context, in: fixture.source) == plaintext)
    }

    @Test func rotatingTheDefaultAliasWorks() throws {
        let fixture = KeyringFixture()
        let keyId = try fixture.keyring.resolve(nil, in: fixture.source)
        let rotated = try fixture.keyring.rotateKey(LocalKeyring.defaultAlias, in: fixture.source)
        #expect(rotated.keyId == keyId)
        #expect(rotated.aliases == [LocalKeyring.defaultAlias])
    }

    @Test func rotatingAnUnknownKeyFails() {
        let fixture = KeyringFixture()
        let error = #expect(throws: SecretsManagerError.self) { try fixture.keyring.rotateKey("alias/nope", in: fixture.source) }
        #expect(error?.code == .invalidParameter)
    }

    @Test func tamperedMasterMaterialFailsToUnwrap() throws {
        let fixture = KeyringFixture()
        var record = try fixture.keyring.createKey(alias: nil, description: "", in: fixture.source)
        let sealed = try fixture.envelope.seal(Data("x".utf8), keyId: record.keyId, context: context, in: fixture.source)
        let wrapped = try #require(record.wrappedMaterials[1])
        record.wrappedMaterials[1] = flipped(wrapped, at: 20)
        let tampered = InMemoryKeySource()
        try tampered.saveMasterKey(record)
        // A keyring with an empty cache must unwrap the material from the store, and fails to.
        expectError(.decryptionFailure) { try Envelope(provider: fixture.freshKeyring()).open(sealed, context: context, in: tampered) }
        let error = #expect(throws: SecretsManagerError.self) {
            try fixture.freshKeyring().generateDataKey(keyId: record.keyId, context: context, in: tampered)
        }
        #expect(error?.code == .encryptionFailure || error?.code == .decryptionFailure)
    }
}
