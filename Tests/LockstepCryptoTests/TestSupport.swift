import Crypto
import Foundation
import LockstepCore
import LockstepCrypto
import Testing

/// An in-memory ``MasterKeySource``: a dictionary of key records, with aliases looked up in the records.
///
/// Not `Sendable`: each test makes its own and uses it from one task.
final class InMemoryKeySource: MasterKeySource {
    private(set) var keys: [String: MasterKeyRecord] = [:]
    private(set) var saveCount = 0

    func masterKey(id: String) throws -> MasterKeyRecord? { self.keys[id] }

    func masterKeyId(alias: String) throws -> String? {
        self.keys.values.first { $0.aliases.contains(alias) }?.keyId
    }

    func saveMasterKey(_ record: MasterKeyRecord) throws {
        self.keys[record.keyId] = record
        self.saveCount += 1
    }

    func allMasterKeys() throws -> [MasterKeyRecord] { Array(self.keys.values) }
}

/// A source whose every call fails, as a broken store would.
struct FailingKeySource: MasterKeySource {
    struct Failure: Error {}
    func masterKey(id: String) throws -> MasterKeyRecord? { throw Failure() }
    func masterKeyId(alias: String) throws -> String? { throw Failure() }
    func saveMasterKey(_ record: MasterKeyRecord) throws { throw Failure() }
    func allMasterKeys() throws -> [MasterKeyRecord] { throw Failure() }
}

/// A source whose every call fails as a PostgreSQL store that can't be reached does: with an error that names its AWS
/// answer (ServiceUnavailable).
struct UnavailableKeySource: MasterKeySource {
    struct Unavailable: Error, AWSAnswerable {
        var awsError: SecretsManagerError? { SecretsManagerError(.serviceUnavailable, "The store is unavailable; try again.") }
    }
    func masterKey(id: String) throws -> MasterKeyRecord? { throw Unavailable() }
    func masterKeyId(alias: String) throws -> String? { throw Unavailable() }
    func saveMasterKey(_ record: MasterKeyRecord) throws { throw Unavailable() }
    func allMasterKeys() throws -> [MasterKeyRecord] { throw Unavailable() }
}

/// A keyring over a fresh root key and an empty in-memory source.
struct KeyringFixture {
    static let region = "us-east-1"
    static let account = "123456789012"

    let rootKey = SymmetricKey(size: .bits256)
    let source = InMemoryKeySource()
    let keyring: LocalKeyring
    let envelope: Envelope

    init() {
        self.keyring = LocalKeyring(root: RootKey(self.rootKey), region: Self.region, account: Self.account)
        self.envelope = Envelope(provider: self.keyring)
    }

    /// Another keyring with the same root key and no cache, as a second process would have.
    func freshKeyring() -> LocalKeyring {
        LocalKeyring(root: RootKey(self.rootKey), region: Self.region, account: Self.account)
    }
}

/// Expects `body` to throw a ``SecretsManagerError`` with `code`, and returns it for further checks.
@discardableResult
func expectError<R>(
    _ code: SecretsManagerError.Code,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> R
) -> SecretsManagerError? {
    let error = #expect(throws: SecretsManagerError.self, sourceLocation: sourceLocation) { _ = try body() }
    #expect(error?.code == code, "expected \(code), got \(String(describing: error))", sourceLocation: sourceLocation)
    return error
}

/// `data` with the bits of one byte inverted.
func flipped(_ data: Data, at offset: Int) -> Data {
    var copy = Data(data)
    copy[copy.startIndex + offset] ^= 0xFF
    return copy
}

func bytes(of key: SymmetricKey) -> Data { key.withUnsafeBytes { Data($0) } }
