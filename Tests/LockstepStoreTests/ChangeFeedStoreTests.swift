import Foundation
import LockstepCore
import Testing

@testable import LockstepStore

/// The change feed's outbox on every backend: ordered sequences that never repeat, labels kept, retention that
/// remembers how far it went.
@Suite struct ChangeFeedStoreTests {
    let scope = Scope(account: "111122223333", region: "us-east-1")

    func change(_ name: String, _ kind: SecretChangeKind, at time: Date, stages: StageMap? = nil) -> ChangeRecord {
        ChangeRecord(
            time: time,
            scope: self.scope,
            secretARN: "arn:aws:secretsmanager:us-east-1:111122223333:secret:\(name)-abcdef",
            secretName: name,
            kind: kind,
            versionId: stages?.version(for: "AWSCURRENT"),
            stages: stages
        )
    }

    @Test(arguments: StoreBackend.available) func changesComeBackInOrderWithTheirLabels(_ backend: StoreBackend) async throws {
        let scratch = try ScratchStore(backend)
        defer { scratch.remove() }
        let store = try scratch.open()
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(try await store.read { try $0.changeFeedBounds() } == ChangeFeedBounds(prunedThrough: 0, newest: 0))
        let stages = StageMap(["AWSCURRENT": "v2", "AWSPREVIOUS": "v1"])
        let sequences = try await store.write { tx in
            [
                try tx.appendChange(self.change("a", .created, at: t0)),
                try tx.appendChange(self.change("a", .valuePut, at: t0.addingTimeInterval(1), stages: stages)),
                try tx.appendChange(self.change("b", .deleted, at: t0.addingTimeInterval(2))),
            ]
        }
        #expect(sequences == sequences.sorted() && Set(sequences).count == 3)
        let read = try await store.read { try $0.changes(after: 0, limit: 10) }
        #expect(read.map(\.sequence) == sequences)
        #expect(read.map(\.kind) == [.created, .valuePut, .deleted])
        #expect(read[1].stages == stages && read[1].versionId == "v2" && read[0].stages == nil)
        #expect(read[1].time == t0.addingTimeInterval(1) && read[1].scope == self.scope && read[1].secretName == "a")
        #expect(try await store.read { try $0.changes(after: sequences[0], limit: 1) }.map(\.sequence) == [sequences[1]])
        // A failed transaction's change is not kept.
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await store.write { tx in
                try tx.appendChange(self.change("c", .created, at: t0))
                throw Abort()
            }
        }
        #expect(try await store.read { try $0.changes(after: sequences[2], limit: 10) }.isEmpty)
    }

    @Test(arguments: StoreBackend.available) func retentionKeepsTheNewestAndRemembersHowFarItWent(_ backend: StoreBackend) async throws {
        let scratch = try ScratchStore(backend)
        defer { scratch.remove() }
        let store = try scratch.open()
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        let sequences = try await store.write { tx in
            try (0..<6).map { try tx.appendChange(self.change("s\($0)", .valuePut, at: t0.addingTimeInterval(Double($0) * 60))) }
        }
        // Older than t0 + 2 min: the first two go.
        #expect(try await store.write { try $0.pruneChanges(before: t0.addingTimeInterval(120), keepingAtMost: 100) } == 2)
        var bounds = try await store.read { try $0.changeFeedBounds() }
        #expect(bounds == ChangeFeedBounds(prunedThrough: sequences[1], newest: sequences[5]))
        #expect(!bounds.canResume(after: sequences[0]) && bounds.canResume(after: sequences[1]) && bounds.canResume(after: sequences[5]))
        #expect(!bounds.canResume(after: sequences[5] + 1))
        // All but the newest 2; then everything is old, but the newest stays, so a sequence is never reused.
        #expect(try await store.write { try $0.pruneChanges(before: t0, keepingAtMost: 2) } == 2)
        #expect(try await store.write { try $0.pruneChanges(before: t0.addingTimeInterval(86_400), keepingAtMost: 100) } == 1)
        bounds = try await store.read { try $0.changeFeedBounds() }
        #expect(bounds == ChangeFeedBounds(prunedThrough: sequences[4], newest: sequences[5]))
        let next = try await store.write { try $0.appendChange(self.change("later", .created, at: t0)) }
        #expect(next > sequences[5])
    }
}
