import Foundation
import LockstepCore
import LockstepCrypto
import LockstepService
import LockstepStore
import Testing

@Suite struct EncryptionAtRestTests {
    @Test func noPlaintextInAnyFileOfTheDataDirectory() async throws {
        let marker = "LOCKSTEP-PLAINTEXT-MARKER-\(UUID().uuidString)"
        let binaryMarker = Data("BINARY-MARKER-\(UUID().uuidString)".utf8)
        let directory: URL
        do {
            let h = try Harness()
            directory = h.directory
            try await h.create("visible/name", marker)
            try await h.put("visible/name", marker + "-v2")
            _ = try await h.manager.createSecret(
                CreateSecretRequest(Name: "bin", ClientRequestToken: Harness.token(), SecretBinary: Sensitive(binaryMarker)),
                context: h.context
            )
            #expect(try await h.get("visible/name").SecretString?.value == marker + "-v2")
            // Keep the files: copy them before the harness removes the directory.
            let copy = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-scan-\(UUID().uuidString)")
            try FileManager.default.copyItem(at: directory, to: copy)
            defer { try? FileManager.default.removeItem(at: copy) }
            let files = try FileManager.default.contentsOfDirectory(atPath: copy.path)
            #expect(files.contains("lockstep.db"))
            #expect(files.contains("root.key"))
            var scanned = 0
            var sawName = false
            for file in files {
                let data = try Data(contentsOf: copy.appendingPathComponent(file))
                scanned += data.count
                #expect(data.firstRange(of: Data(marker.utf8)) == nil, "plaintext found in \(file)")
                #expect(data.firstRange(of: binaryMarker) == nil, "binary plaintext found in \(file)")
                if data.firstRange(of: Data("visible/name".utf8)) != nil { sawName = true }
            }
            // The scan is meaningful: it reads real bytes and finds the (non-secret) name.
            #expect(scanned > 10_000)
            #expect(sawName)
        }
    }

    @Test func flippedCiphertextOrWrappedKeyGivesDecryptionFailure() async throws {
        let h = try Harness()
        let created = try await h.create("tamper", "secret-value")
        let versionId = try #require(created.VersionId)
        let store = h.environment.store
        let secretId = try await store.read { tx in try tx.secret(arn: created.ARN)!.id }

        func flip(_ keyPath: any WritableKeyPath<VersionRecord, Data> & Sendable) async throws {
            try await store.write { tx in
                var version = try tx.version(secretId: secretId, versionId: versionId)!
                var bytes = version[keyPath: keyPath]
                bytes[bytes.startIndex + bytes.count / 2] ^= 0x01
                version[keyPath: keyPath] = bytes
                try tx.updateVersionCiphertext(version)
            }
        }
        let original = try await store.read { tx in try tx.version(secretId: secretId, versionId: versionId)! }

        try await flip(\.ciphertext)
        #expect(await awsError { try await h.get("tamper") }?.code == .decryptionFailure)

        try await store.write { tx in try tx.updateVersionCiphertext(original) }
        #expect(try await h.get("tamper").SecretString?.value == "secret-value")

        try await flip(\.wrappedDataKey)
        let error = await awsError { try await h.get("tamper") }
        #expect(error?.code == .decryptionFailure)
        #expect(error?.message.contains("secret-value") == false)
    }

    @Test func aCiphertextMovedToAnotherVersionDoesNotOpen() async throws {
        let h = try Harness()
        let a = try await h.create("a", "value-a")
        let b = try await h.create("b", "value-b")
        let store = h.environment.store
        try await store.write { tx in
            let secretA = try tx.secret(arn: a.ARN)!
            let secretB = try tx.secret(arn: b.ARN)!
            let versionA = try tx.version(secretId: secretA.id, versionId: a.VersionId!)!
            var versionB = try tx.version(secretId: secretB.id, versionId: b.VersionId!)!
            versionB.wrappedDataKey = versionA.wrappedDataKey
            versionB.ciphertext = versionA.ciphertext
            try tx.updateVersionCiphertext(versionB)
        }
        #expect(await awsError { try await h.get("b") }?.code == .decryptionFailure)
        #expect(try await h.get("a").SecretString?.value == "value-a")
    }

    @Test func customerKeysByEveryReferenceAndRewrapOnChange() async throws {
        let h = try Harness()
        let keys = KeyManagement(store: h.environment.store, keyring: h.environment.keyring)
        let key = try await keys.createKey(alias: "payments", description: "payments team")
        #expect(key.Aliases == ["alias/payments"])
        let created = try await h.manager.createSecret(
            CreateSecretRequest(Name: "k", ClientRequestToken: Harness.token(), KmsKeyId: "alias/payments", SecretString: "v"),
            context: h.context
        )
        let store = h.environment.store
        func keyOfCurrentVersion() async throws -> String {
            try await store.read { tx in
                let secret = try tx.secret(arn: created.ARN)!
                return try tx.version(secretId: secret.id, versionId: created.VersionId!)!.kmsKeyId
            }
        }
        #expect(try await keyOfCurrentVersion() == key.KeyId)
        let describe = try await h.manager.describeSecret(DescribeSecretRequest(SecretId: "k"), context: h.context)
        #expect(describe.KmsKeyId == "alias/payments")

        // Back to the default key: labelled versions are re-wrapped.
        _ = try await h.manager.updateSecret(UpdateSecretRequest(SecretId: "k", KmsKeyId: ""), context: h.context)
        #expect(try await keyOfCurrentVersion() != key.KeyId)
        #expect(try await h.get("k").SecretString?.value == "v")

        for reference in [key.KeyId, key.Arn, "arn:aws:kms:us-east-1:123456789012:alias/payments"] {
            _ = try await h.manager.updateSecret(UpdateSecretRequest(SecretId: "k", KmsKeyId: reference), context: h.context)
            #expect(try await keyOfCurrentVersion() == key.KeyId)
            _ = try await h.manager.updateSecret(UpdateSecretRequest(SecretId: "k", KmsKeyId: ""), context: h.context)
        }
        let missing = await awsError {
            try await h.manager.createSecret(
                CreateSecretRequest(Name: "x", ClientRequestToken: Harness.token(), KmsKeyId: "alias/nope", SecretString: "v"),
                context: h.context
            )
        }
        #expect(missing?.code == .invalidParameter)
        #expect(await awsError { try await h.get("x") } == .secretNotFound)

        // Rotating the key material keeps old versions readable and new ones use the new material.
        _ = try await h.manager.updateSecret(UpdateSecretRequest(SecretId: "k", KmsKeyId: "alias/payments"), context: h.context)
        let rotated = try await keys.rotateKey("alias/payments")
        #expect(rotated.MaterialVersions == 2)
        try await h.put("k", "after-rotation")
        #expect(try await h.get("k").SecretString?.value == "after-rotation")
        #expect(try await h.get("k", stage: "AWSPREVIOUS").SecretString?.value == "v")
    }

    @Test func aSecondProcessSeesKeysAndSecretsCreatedByTheFirst() async throws {
        let h = try Harness()
        let keys = KeyManagement(store: h.environment.store, keyring: h.environment.keyring)
        _ = try await keys.createKey(alias: "shared", description: "")
        // Another "process": its own store connections and keyring cache over the same directory.
        let other = try LockstepEnvironment.open(
            .init(dataDirectory: h.directory, region: "us-east-1", account: "123456789012", environment: [:]),
            create: false
        )
        _ = try await other.manager.createSecret(
            CreateSecretRequest(Name: "from-other", ClientRequestToken: Harness.token(), KmsKeyId: "alias/shared", SecretString: "hello"),
            context: h.context
        )
        #expect(try await h.get("from-other").SecretString?.value == "hello")
    }
}
