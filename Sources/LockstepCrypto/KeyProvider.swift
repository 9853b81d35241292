public import Crypto
public import Foundation
public import LockstepCore

/// What a data key is bound to: the secret's ARN and the version id, used as authenticated data both for the
/// value and for the wrapped data key, so a ciphertext or key moved to another row fails to open.
public struct EncryptionContext: Sendable, Hashable {
    public var secretARN: String
    public var versionId: String

    public init(secretARN: String, versionId: String) {
        self.secretARN = secretARN
        self.versionId = versionId
    }

    var authenticatedData: Data { Data("lockstep/v1\u{0}\(self.secretARN)\u{0}\(self.versionId)".utf8) }
}

/// A KMS-like provider of master keys that wrap and unwrap data keys.
///
/// Calls run inside a store transaction (``MasterKeySource``), on the store's executor, never on the Swift
/// concurrency pool. Implementations throw ``SecretsManagerError`` with AWS's codes: `DecryptionFailure` for a
/// wrapped key that does not open, `InvalidParameterException`/`ResourceNotFoundException` for unknown keys.
public protocol KeyProvider: Sendable {
    /// The canonical key id for a `KmsKeyId` reference (key id, key ARN, alias name or alias ARN); nil selects the
    /// default key `alias/aws/secretsmanager`, created on first use.
    func resolve(_ reference: String?, in source: any MasterKeySource) throws(SecretsManagerError) -> String

    /// A fresh 256-bit data key from the system CSPRNG and its wrapped form.
    func generateDataKey(
        keyId: String,
        context: EncryptionContext,
        in source: any MasterKeySource
    ) throws(SecretsManagerError) -> (key: SymmetricKey, wrapped: Data)

    /// Unwraps a data key produced by ``generateDataKey(keyId:context:in:)``.
    func unwrapDataKey(
        _ wrapped: Data,
        keyId: String,
        context: EncryptionContext,
        in source: any MasterKeySource
    ) throws(SecretsManagerError) -> SymmetricKey
}
