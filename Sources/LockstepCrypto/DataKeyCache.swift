import Crypto
import Foundation
import Synchronization

/// A bounded cache of unwrapped data keys, so that reading the same version again costs one AES-GCM open instead
/// of two (the AWS Encryption SDK's caching materials manager makes the same trade).
///
/// Entries are found by the wrapped key and checked against the master key id and encryption context it was
/// unwrapped with, so a wrapped key copied to another row, or claimed for another master key, never skips the
/// authenticated unwrap. Master keys already live in this process's memory, so caching data keys adds no
/// new exposure; `SymmetricKey` zeroes its bytes when an evicted entry is released.
final class DataKeyCache: Sendable {
    private struct Entry {
        var keyId: String
        var context: EncryptionContext
        var key: SymmetricKey
    }

    private struct State {
        var keys: [Data: Entry] = [:]
        var order: [Data] = []
        var head = 0
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    func key(wrapped: Data, keyId: String, context: EncryptionContext) -> SymmetricKey? {
        guard self.capacity > 0 else { return nil }
        return self.state.withLock { state in
            guard let entry = state.keys[wrapped], entry.keyId == keyId, entry.context == context else { return nil }
            return entry.key
        }
    }

    func insert(_ key: SymmetricKey, wrapped entry: Data, keyId: String, context: EncryptionContext) {
        guard self.capacity > 0 else { return }
        self.state.withLock { state in
            guard state.keys.updateValue(Entry(keyId: keyId, context: context, key: key), forKey: entry) == nil else { return }
            // First in, first out: a ring of insertion order.
            if state.order.count < self.capacity {
                state.order.append(entry)
            } else {
                state.keys[state.order[state.head]] = nil
                state.order[state.head] = entry
                state.head = (state.head + 1) % self.capacity
            }
        }
    }
}
