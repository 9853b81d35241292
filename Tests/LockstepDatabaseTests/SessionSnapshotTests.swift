import Foundation
import LockstepDatabase
import Testing

@Suite struct SessionSnapshotTests {
    @Test func rowsAreCountedPerUserWithTheOldestStartAndBoundedClients() {
        let t = Date(timeIntervalSince1970: 1_700_000_000)
        var rows: [(user: String, start: Date?, client: String)] = [("a", t, "10.0.0.1"), ("a", t.addingTimeInterval(-5), "10.0.0.1"), ("x", t, "10.0.0.9")]
        rows += (0..<40).map { ("b", nil, "10.1.0.\($0)") }
        let snapshot = SessionSnapshot.from(rows, users: ["a", "b", "c"], time: t)
        #expect(snapshot.users["a"] == SessionSnapshot.Sessions(count: 2, oldestStart: t.addingTimeInterval(-5), clients: ["10.0.0.1"]))
        #expect(snapshot.users["b"]?.count == 40 && snapshot.users["b"]?.clients.count == SessionSnapshot.maximumClients)
        #expect(snapshot.users["c"] == SessionSnapshot.Sessions() && snapshot.users["x"] == nil)
    }
}
