import Crypto
public import Foundation
public import LockstepCore

/// A value sealed under a fresh data key: what the store keeps for a version.
public struct SealedValue: Sendable, Hashable {
    /// The master key that wrapped ``wrappedDataKey``.
    public var keyId: String
    public var wrappedDataKey: Data
    /// AES-256-GCM combined form: nonce ‖ ciphertext ‖ tag.
    public var ciphertext: Data

    public init(keyId: String, wrappedDataKey: Data, ciphertext: Data) {
        self.keyId = keyId
        self.wrappedDataKey = wrappedDataKey
        self.ciphertext = ciphertext
    }
}

/// Envelope encryption (DESIGN.md §4): each value gets its own data key; the master key only wraps data keys.
public struct Envelope: Sendable {
    public let provider: any KeyProvider
    private let cache: DataKeyCache

    /// Unwrapped data keys kept by default: about 10 MB when full (an entry holds the wrapped key, the master key
    /// id, the encryption context and the key, about 600 bytes with their allocations). A miss costs one more
    /// AES-GCM open (the unwrap), about a sixth of a read's CPU at 10,000 secrets.
    public static let defaultCachedDataKeys = 16_384

    /// - Parameters:
    ///   - provider: the master key provider.
    ///   - cachedDataKeys: how many unwrapped data keys to keep for repeated reads (0 disables the cache).
    public init(provider: any KeyProvider, cachedDataKeys: Int = Envelope.defaultCachedDataKeys) {
        self.provider = provider
        self.cache = DataKeyCache(capacity: cachedDataKeys)
    }

    /// Seals `plaintext` under a fresh data key wrapped by master key `keyId`.
    public func seal(
        _ plaintext: Data,
        keyId: String,
        context: EncryptionContext,
        in source: any MasterKeySource
    ) throws(SecretsManagerError) -> SealedValue {
        let (dataKey, wrapped) = try self.provider.generateDataKey(keyId: keyId, context: context, in: source)
        do {
            let box = try AES.GCM.seal(plaintext, using: dataKey, authenticating: context.authenticatedData)
            guard let combined = box.combined else { throw SecretsManagerError.encryptionFailure }
            return SealedValue(keyId: keyId, wrappedDataKey: wrapped, ciphertext: combined)
        } catch {
            throw .encryptionFailure
        }
    }

    /// Opens a sealed value; any tampering, or a context other than the one it was sealed with, gives
    /// `DecryptionFailure`.
    public func open(_ sealed: SealedValue, context: EncryptionContext, in source: any MasterKeySource) throws(SecretsManagerError) -> Data {
        let dataKey: SymmetricKey
        if let cached = self.cache.key(wrapped: sealed.wrappedDataKey, keyId: sealed.keyId, context: context) {
            dataKey = cached
        } else {
            dataKey = try self.provider.unwrapDataKey(sealed.wrappedDataKey, keyId: sealed.keyId, context: context, in: source)
            self.cache.insert(dataKey, wrapped: sealed.wrappedDataKey, keyId: sealed.keyId, context: context)
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.ciphertext)
            return try AES.GCM.open(box, using: dataKey, authenticating: context.authenticatedData)
        } catch {
            throw .decryptionFailure
        }
    }

    /// The same value sealed again under a fresh data key wrapped by master key `keyId`.
    public func rewrap(
        _ sealed: SealedValue,
        to keyId: String,
        context: EncryptionContext,
        in source: any MasterKeySource
    ) throws(SecretsManagerError) -> SealedValue {
        let plaintext = try self.open(sealed, context: context, in: source)
        return try self.seal(plaintext, keyId: keyId, context: context, in: source)
    }
}

extension SecretsManagerError {
    public static let encryptionFailure = SecretsManagerError(.encryptionFailure, "Secrets Manager can't encrypt the protected secret text.")
}
