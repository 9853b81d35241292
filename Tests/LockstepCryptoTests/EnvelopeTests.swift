import Crypto
import Foundation
import LockstepCore
import LockstepCrypto
import Testing

private let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf"
private let context = EncryptionContext(secretARN: arn, versionId: "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE")
private let plaintext = Data(#"{"username":"admin","password":"p4ssw0rd-envelope"}"#.utf8)

@Suite struct EnvelopeTests {
    @Test func roundTrip() throws {
        let fixture = KeyringFixture()
        let keyId = try fixture.keyring.resolve(nil, in: fixture.source)
        let sealed = try fixture.envelope.seal(plaintext, keyId: keyId, context: context, in: fixture.source)
        #expect(sealed.keyId == keyId)
        #expect(sealed.ciphertext.count == 12 + plaintext.count + 16, "nonce ‖ ciphertext ‖ tag")
        #expect(sealed.ciphertext.range(of: Data("p4ssw0rd".utf8)) == nil)
        #expect(try fixture.envelope.open(sealed, context: context, in: fixture.source) == plaintext)
    }

    @Test func roundTripLargestValue() throws {
        let fixture = KeyringFixture()
        let keyId = try fixture.keyring.resolve(nil, in: fixture.source)
        let large = Data((0..<SecretValue.maximumBytes).map { UInt8(truncatingIfNeeded: $0) })
        let sealed = try fixture.envelope.seal(large, keyId: keyId, context: context, in: fixture.source)
        #expect(try fixture.envelope.open(sealed, context: context, in: fixture.source) == large)
    }

    @Test func eachSealUsesAFreshDataKey() throws {
        let fixture = KeyringFixture()
        let keyId = try fixture.keyring.resolve(nil, in: fixture.source)
        let first = try fixture.envelope.seal(plaintext, keyId: keyId, context: context, in: fixture.source)
        let second = try fixture.envelope.seal(plaintext, keyId: keyId, context: context, in: fixture.source)
        #expect(first.wrappedDataKey != second.wrappedDataKey)
        #expect(first.ciphertext != second.ciphertext)
        let firstKey = try fixture.keyring.unwrapDataKey(first.wrappedDataKey, keyId: keyId, context: context, in: fixture.source)
        let secondKey = try fixture.keyring.unwrapDataKey(second.wrappedDataKey, keyId: keyId, context: context, in: fixture.source)
        #expect(firstKey != secondKey)
        // Each data key opens its own ciphertext only.
        let crossed = SealedValue(keyId: keyId, wrappedDataKey: first.wrappedDataKey, ciphertext: second.ciphertext)
        expectError(.decryptionFailure) { try fixture.envelope.open(crossed, context: context, in: fixture.source) }
    }

    @Test(arguments: [0, 11, 12, 20, -1])
    func flippedCiphertextByteFailsToOpen(offset: Int) throws {
        let fixture = KeyringFixture()
        let keyId = try fixture.keyring.resolve(nil, in: fixture.source)
        var sealed = try fixture.envelope.seal(plaintext, keyId: keyId, context: context, in: fixture.source)
        sealed.ciphertext = flipped(sealed.ciphertext, at: offset >= 0 ? offset : sealed.ciphertext.count + offset)
        let error = expectError(.decryptionFailure) { try fixture.envelope.open(sealed, context: context, in: fixture.source) }
        #expect(error == .decryptionFailure)
    }

    @Test(arguments: [0, 1, 4, 5, 17, 30, -1])
    func flippedWrappedDataKeyByteFailsToOpen(offset: Int) throws {
        let fixture = KeyringFixture()
        let keyId = try fixture.keyring.resolve(nil, in: fixture.source)
        var sealed = try fixture.envelope.seal(plaintext, keyId: keyId, context: context, in: fixture.source)
        sealed.wrappedDataKey = flipped(sealed.wrappedDataKey, at: offset >= 0 ? offset : sealed.wrappedDataKey.count + offset)
        expectError(.decryptionFailure) { try fixture.envelope.open(sealed, context: context, in: fixture.source) }
    }

    @Test func truncatedPiecesFailToOpen() throws {
        let fixture = KeyringFixture()
        let keyId = try fixture.keyring.resolve(nil, in: fixture.source)
        let sealed = try fixture.envelope.seal(plaintext, keyId: keyId, context: context, in: fixture.source)
        for length in [0, 5, 11, 27] {
            var shortCiphertext = sealed
            shortCiphertext.ciphertext = sealed.ciphertext.prefix(length)
            expectError(.decryptionFailure) { try fixture.envelope.open(shortCiphertext, context: context, in: fixture.source) }
            var shortKey = sealed
            shortKey.wrappedDataKey = sealed.wrappedDataKey.prefix(length)
            expectError(.decryptionFailure) { try fixture.envelope.open(shortKey, context: context, in: fixture.source) }
        }
    }

    @Test func anotherContextFailsToOpen() throws {
        let fixture = KeyringFixture()
        let keyId = try fixture.keyring.resolve(nil, in: fixture.source)
        let sealed = try fixture.envelope.seal(plaintext, keyId: keyId, context: context, in: fixture.source)
        let otherARN = EncryptionContext(
            secretARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-ZZZZZZ",
            versionId: context.versionId
        )
        let otherVersion = EncryptionContext(secretARN: arn, versionId: "EXAMPLE2-90ab-cdef-fedc-ba987EXAMPLE")
        let otherRegion = EncryptionContext(secretARN: SecretARN.parse(arn)!.inRegion("eu-west-1").description, versionId: context.versionId)
        for other in [otherARN, otherVersion, otherRegion] {
            expectError(.decryptionFailure) { try fixture.envelope.open(sealed, context: other, in: fixture.source) }
            expectError(.decryptionFailure) {
                try fixture.keyring.unwrapDataKey(sealed.wrappedDataKey, keyId: keyId, context: other, in: fixture.source)
            }
        }
    }

    @Test func contextFieldsCannotBeShiftedAcrossTheSeparator() throws {
        let fixture = KeyringFixture()
        let keyId = try fixture.keyring.resolve(nil, in: fixture.source)
        let sealed = try fixture.envelope.seal(
            plaintext,
            keyId: keyId,
            context: EncryptionContext(secretARN: "arn-a", versionId: "b-version"),
            in: fixture.source
        )
        let shifted = EncryptionContext(secretARN: "arn-a-b", versionId: "version")
        expectError(.decryptionFailure) { try fixture.envelope.open(sealed, context: shifted, in: fixture.source) }
    }

    @Test func valuesMovedBetweenVersionsFailToOpen() throws {
        let fixture = KeyringFixture()
        let keyId = try fixture.keyring.resolve(nil, in: fixture.source)
        let v1 = EncryptionContext(secretARN: arn, versionId: String(repeating: "1", count: 32))
        let v2 = EncryptionContext(secretARN: arn, versionId: String(repeating: "2", count: 32))
        let sealedV1 = try fixture.envelope.seal(Data("one".utf8), keyId: keyId, context: v1, in: fixture.source)
        let sealedV2 = try fixture.envelope.seal(Data("two".utf8), keyId: keyId, context: v2, in: fixture.source)
        // The row of v2 given v1's ciphertext and data key.
        expectError(.decryptionFailure) { try fixture.envelope.open(sealedV1, context: v2, in: fixture.source) }
        // v2's data key with v1's ciphertext.
        let mixed = SealedValue(keyId: keyId, wrappedDataKey: sealedV2.wrappedDataKey, ciphertext: sealedV1.ciphertext)
        expectError(.decryptionFailure) { try fixture.envelope.open(mixed, context: v2, in: fixture.source) }
    }

    @Test func wrongMasterKeyFailsToOpen() throws {
        let fixture = KeyringFixture()
        let keyA = try fixture.keyring.createKey(alias: "a", description: "", in: fixture.source).keyId
        let keyB = try fixture.keyring.createKey(alias: "b", description: "", in: fixture.source).keyId
        var sealed = try fixture.envelope.seal(plaintext, keyId: keyA, context: context, in: fixture.source)
        sealed.keyId = keyB
        expectError(.decryptionFailure) { try fixture.envelope.open(sealed, context: context, in: fixture.source) }
        sealed.keyId = "no-such-key"
        expectError(.decryptionFailure) { try fixture.envelope.open(sealed, context: context, in: fixture.source) }
    }

    @Test func anotherRootKeyFailsToOpen() throws {
        let fixture = KeyringFixture()
        let keyId = try fixture.keyring.resolve(nil, in: fixture.source)
        let sealed = try fixture.envelope.seal(plaintext, keyId: keyId, context: context, in: fixture.source)
        let stranger = LocalKeyring(root: RootKey(SymmetricKey(size: .bits256)), region: "us-east-1", account: "123456789012")
        expectError(.decryptionFailure) { try Envelope(provider: stranger).open(sealed, context: context, in: fixture.source) }
        // The same root key in a new process opens it.
        #expect(try Envelope(provider: fixture.freshKeyring()).open(sealed, context: context, in: fixture.source) == plaintext)
    }

    @Test func sealingUnderAnUnknownKeyFails() {
        let fixture = KeyringFixture()
        expectError(.encryptionFailure) { try fixture.envelope.seal(plaintext, keyId: "no-such-key", context: context, in: fixture.source) }
    }

    @Test func aCachedDataKeyIsNotUsedForAnotherContext() throws {
        let fixture = KeyringFixture()
        let keyId = try fixture.keyring.resolve(nil, in: fixture.source)
        let sealed = try fixture.envelope.seal(plaintext, keyId: keyId, context: context, in: fixture.source)
        // The first open caches the unwrapped data key.
        #expect(try fixture.envelope.open(sealed, context: context, in: fixture.source) == plaintext)
        let elsewhere = EncryptionContext(secretARN: context.secretARN, versionId: "EXAMPLE2-90ab-cdef-fedc-ba987EXAMPLE")
        expectError(.decryptionFailure) { try fixture.envelope.open(sealed, context: elsewhere, in: fixture.source) }
        #expect(try fixture.envelope.open(sealed, context: context, in: fixture.source) == plaintext)
    }

    @Test func rewrapToAnotherKeyStillOpens() throws {
        let fixture = KeyringFixture()
        let keyA = try fixture.keyring.resolve(nil, in: fixture.source)
        let keyB = try fixture.keyring.createKey(alias: "other", description: "", in: fixture.source).keyId
        let sealed = try fixture.envelope.seal(plaintext, keyId: keyA, context: context, in: fixture.source)
        let rewrapped = try fixture.envelope.rewrap(sealed, to: keyB, context: context, in: fixture.source)
        #expect(rewrapped.keyId == keyB)
        #expect(rewrapped.wrappedDataKey != sealed.wrappedDataKey)
        #expect(rewrapped.ciphertext != sealed.ciphertext)
        #expect(try fixture.envelope.open(rewrapped, context: context, in: fixture.source) == plaintext)
        #expect(try fixture.envelope.open(sealed, context: context, in: fixture.source) == plaintext)
        // The rewrapped data key belongs to B only.
        var claimedA = rewrapped
        claimedA.keyId = keyA
        expectError(.decryptionFailure) { try fixture.envelope.open(claimedA, context: context, in: fixture.source) }
    }

    @Test func rewrapOfATamperedValueFails() throws {
        let fixture = KeyringFixture()
        let keyId = try fixture.keyring.resolve(nil, in: fixture.source)
        var sealed = try fixture.envelope.seal(plaintext, keyId: keyId, context: context, in: fixture.source)
        sealed.ciphertext = flipped(sealed.ciphertext, at: 13)
        expectError(.decryptionFailure) { try fixture.envelope.rewrap(sealed, to: keyId, context: context, in: fixture.source) }
    }
}
