public import Crypto
import Foundation
import LockstepCore
import Synchronization

/// The credential scope of a signature: `DATE/REGION/SERVICE/aws4_request`.
public struct CredentialScope: Sendable, Hashable, CustomStringConvertible {
    /// `yyyyMMdd`.
    public var date: String
    public var region: String
    public var service: String

    public init(date: String, region: String, service: String) {
        self.date = date
        self.region = region
        self.service = service
    }

    public var description: String { "\(self.date)/\(self.region)/\(self.service)/aws4_request" }
}

/// SigV4's derived signing key: four chained HMACs of the secret access key over the scope.
public enum SigningKey {
    /// Derives the key for `secret` and `scope`.
    public static func derive(secret: String, scope: CredentialScope) -> SymmetricKey {
        func hmac(_ key: SymmetricKey, _ message: String) -> SymmetricKey {
            SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: key)))
        }
        let date = hmac(SymmetricKey(data: Data("AWS4\(secret)".utf8)), scope.date)
        let region = hmac(date, scope.region)
        let service = hmac(region, scope.service)
        return hmac(service, "aws4_request")
    }

    /// The signature of `stringToSign`.
    static func signature(_ stringToSign: String, key: SymmetricKey) -> Data {
        self.signature(stringToSign, with: HMAC<SHA256>(key: key))
    }

    /// The signature of `stringToSign` from an HMAC already keyed with the signing key (copied, not consumed: the
    /// keyed state is what the cache keeps, so a request costs the message's hashing only).
    static func signature(_ stringToSign: String, with keyed: HMAC<SHA256>) -> Data {
        var mac = keyed
        var text = stringToSign
        text.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        return Data(mac.finalize())
    }
}

/// Derived signing keys, kept as keyed HMAC states, by access key, a generation tag (the key's creation time) and
/// scope; deriving costs four HMACs, a lookup one hash. Only a key that has just verified a signature is kept
/// (``insert(_:for:)`` after the comparison), so requests with a made-up scope or a wrong signature never add
/// entries. Bounded as well: cleared when full (keys are per day, so churn is low).
final class SigningKeyCache: Sendable {
    struct Entry: Hashable {
        var accessKeyId: String
        var generation: String
        var scope: CredentialScope
    }

    private let keys = Mutex<[Entry: HMAC<SHA256>]>([:])
    let capacity: Int

    init(capacity: Int = 4096) { self.capacity = capacity }

    /// The cached key, if one verified a signature for `entry` before.
    func key(for entry: Entry) -> HMAC<SHA256>? {
        self.keys.withLock { $0[entry] }
    }

    /// Keeps a key that verified a signature.
    func insert(_ key: HMAC<SHA256>, for entry: Entry) {
        self.keys.withLock { keys in
            if keys.count >= self.capacity { keys.removeAll(keepingCapacity: true) }
            keys[entry] = key
        }
    }

    var count: Int { self.keys.withLock { $0.count } }
}

extension Hex {
    static func sha256(_ data: Data) -> String { encode(SHA256.hash(data: data)) }
}
