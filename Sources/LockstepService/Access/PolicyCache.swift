import LockstepAuth
import Synchronization

/// Compiled resource policies by their text, so a secret's policy is parsed once, not on every request.
/// Bounded: cleared when full (policies change rarely; a miss costs one parse).
final class PolicyCache: Sendable {
    static let shared = PolicyCache()

    private let documents = Mutex<[String: PolicyDocument]>([:])

    /// The compiled policy, or nil for a stored document that no longer parses (then it grants nothing).
    func resourcePolicy(_ text: String) -> PolicyDocument? {
        if let cached = self.documents.withLock({ $0[text] }) { return cached }
        guard let document = try? PolicyDocument(parsing: text, kind: .resource) else { return nil }
        self.documents.withLock { documents in
            if documents.count >= 4_096 { documents.removeAll(keepingCapacity: true) }
            documents[text] = document
        }
        return document
    }
}
