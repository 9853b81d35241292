import Foundation
import LockstepCore
import Testing

@testable import LockstepStore

/// Checkpoints run beside the writer (a WAL hook and the checkpointer's own connection), never inside a COMMIT, and
/// every connection gets the configured memory bounds.
@Suite struct SQLiteCheckpointTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID().uuidString).db").path

    func remove() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: self.path + suffix) }
    }

    /// Rows of about 4 KiB each: every commit adds a few WAL pages.
    func fill(_ database: SQLiteDatabase, commits: Int) async throws {
        for index in 0..<commits {
            try await database.write { connection in
                try connection.query("INSERT INTO filler (body) VALUES (?)", [.blob(Data(repeating: UInt8(index & 0xFF), count: 4_000))])
            }
        }
    }

    @Test func theWriterNeverCheckpointsItselfButTheCheckpointerDoes() async throws {
        defer { self.remove() }
        let configuration = SQLiteDatabase.Configuration(checkpointPages: 50)
        let database = try SQLiteDatabase(path: self.path, configuration: configuration) { connection in
            try connection.execute("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body BLOB)")
        }
        #expect(try await database.withWriter { try $0.first("PRAGMA wal_autocheckpoint") { $0.int64(0) } } == 0)
        let sizeBefore = try FileManager.default.attributesOfItem(atPath: self.path)[.size] as? Int ?? 0
        try await self.fill(database, commits: 200)
        // The main file grows only through a checkpoint, and no caller ran one: the checkpointer did.
        var grown = false
        for _ in 0..<100 where !grown {
            try await Task.sleep(for: .milliseconds(20))
            grown = (try FileManager.default.attributesOfItem(atPath: self.path)[.size] as? Int ?? 0) > sizeBefore + 100 * 4_096
        }
        #expect(grown)
        #expect(try await database.read { try $0.first("SELECT count(*) FROM filler") { $0.int64(0) } } == 200)
    }

    /// Commits that never pause still let the WAL restart from its start (the round's second checkpoint runs
    /// between two writes), so the file stays near the checkpoint mark instead of growing with every commit.
    @Test func theWALRestartsUnderAStreamOfCommits() async throws {
        defer { self.remove() }
        let database = try SQLiteDatabase(path: self.path, configuration: SQLiteDatabase.Configuration(checkpointPages: 50)) { connection in
            try connection.execute("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body BLOB)")
        }
        try await self.fill(database, commits: 1_000)  // more than 2,000 WAL frames in all
        let walBytes = try FileManager.default.attributesOfItem(atPath: self.path + "-wal")[.size] as? Int ?? 0
        #expect(walBytes < 1_000 * (4_096 + 24))
    }

    @Test func everyConnectionHasTheConfiguredCacheAndNoMap() async throws {
        defer { self.remove() }
        let database = try SQLiteDatabase(path: self.path, configuration: .init(memory: SQLiteMemory(cacheKiB: 1_234))) { _ in }
        #expect(try await database.withWriter { try $0.first("PRAGMA cache_size") { $0.int64(0) } } == -1_234)
        #expect(try await database.withWriter { try $0.first("PRAGMA mmap_size") { $0.int64(0) } } == 0)
        #expect(try await database.read { try $0.first("PRAGMA cache_size") { $0.int64(0) } } == -1_234)
        #expect(try await database.read { try $0.first("PRAGMA mmap_size") { $0.int64(0) } } == 0)
    }
}
