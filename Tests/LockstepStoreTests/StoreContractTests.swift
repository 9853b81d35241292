import Foundation
import LockstepCore
import Testing

@testable import LockstepStore

/// The store contract on every backend (SQLite, PostgreSQL), plus the guarantees the schema itself gives.
@Suite struct StoreContractTests {
    let path: String

    init() {
        self.path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString).db").path
    }

    /// A fresh store of `backend` for `body`, removed afterwards.
    func withScratch(_ backend: StoreBackend, _ body: (ScratchStore) async throws -> Void) async throws {
        let scratch = try ScratchStore(backend)
        defer { scratch.remove() }
        try await body(scratch)
    }

    func secret(_ name: String, scope: Scope = Scope(account: "111122223333", region: "us-east-1")) -> SecretRecord {
        SecretRecord(
            scope: scope,
            name: name,
            arn: "arn:aws:secretsmanager:\(scope.region):\(scope.account):secret:\(name)-abcdef",
            kmsKeyId: "key",
            createdDate: Date(timeIntervalSince1970: 1_700_000_000),
            lastChangedDate: Date(timeIntervalSince1970: 1_700_000_000)
        )
    }

    func version(_ id: String, of secretId: Int64) -> VersionRecord {
        VersionRecord(
            secretId: secretId,
            versionId: id,
            createdDate: Date(),
            kmsKeyId: "key",
            wrappedDataKey: Data([1, 2, 3]),
            ciphertext: Data([4, 5, 6]),
            isString: true
        )
    }

    /// A raw connection to the same file, as another process would have.
    func raw() throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: self.path)
        try connection.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
        return connection
    }

    @Test func sqliteDurabilitySettingsAndMigrations() async throws {
        let store = try SQLiteSecretStore(path: self.path)
        let connection = try self.raw()
        #expect(try connection.first("PRAGMA journal_mode") { $0.text(0) } == "wal")
        #expect(try connection.first("PRAGMA user_version") { $0.int64(0) } == Int64(Migrations.steps.count))
        // Opening again (a second process, a restart) migrates nothing and keeps the data.
        let id = try await store.write { tx in try tx.insertSecret(self.secret("kept")) }
        let again = try SQLiteSecretStore(path: self.path)
        #expect(try await again.read { tx in try tx.secret(id: id)?.name } == "kept")
        #expect(try await again.integrityCheck() == "ok")
    }

    @Test(.enabled(if: StoreBackend.available.contains(.postgres))) func postgresMigrationsRunOnceWhoeverStartsFirst() async throws {
        try await self.withScratch(.postgres) { scratch in
            // Three nodes start together on an empty database: one migrates, the others find it done.
            let stores = try await withThrowingTaskGroup(of: (any SecretStore).self) { group in
                for _ in 0..<3 { group.addTask { try scratch.open() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(try scratch.count("SELECT version FROM lockstep_schema WHERE component = 'secrets'") == Int64(PostgresMigrations.secrets.count))
            let id = try await stores[0].write { tx in try tx.insertSecret(self.secret("kept")) }
            #expect(try await stores[2].read { tx in try tx.secret(id: id)?.name } == "kept")
            #expect(try await scratch.open().read { tx in try tx.secret(id: id)?.name } == "kept")
        }
    }

    /// Text is bound and read with its byte length: a string with an embedded NUL is stored whole and never
    /// matches the shorter string before the NUL (SQLite would have stopped there with length -1).
    @Test func sqliteStoresStringsWithAnEmbeddedNULWholeAndMatchesOnlyThemselves() async throws {
        let store = try SQLiteSecretStore(path: self.path)
        var draft = self.secret("name\u{0}hidden")
        draft.description = "before\u{0}after"
        let record = draft
        let id = try await store.write { tx in
            let id = try tx.insertSecret(record)
            try tx.replaceTags(secretId: id, with: [Tag(Key: "env\u{0}", Value: "v\u{0}w")])
            return id
        }
        let scope = record.scope
        let read = try await store.read { tx in try tx.secret(id: id) }
        #expect(read?.name == "name\u{0}hidden")
        #expect(read?.description == "before\u{0}after")
        #expect(try await store.read { tx in try tx.tags(secretId: id) } == [Tag(Key: "env\u{0}", Value: "v\u{0}w")])
        #expect(try await store.read { tx in try tx.secret(scope: scope, name: "name") } == nil)
        #expect(try await store.read { tx in try tx.secret(scope: scope, name: "name\u{0}hidden")?.id } == id)
        #expect(try self.raw().first("SELECT length(CAST(name AS BLOB)) FROM secrets WHERE id = ?", [.integer(id)]) { $0.int64(0) } == 11)
        // The empty string still binds as text, not NULL.
        var emptyDraft = self.secret("empty")
        emptyDraft.description = ""
        let empty = emptyDraft
        let emptyId = try await store.write { tx in try tx.insertSecret(empty) }
        #expect(try await store.read { tx in try tx.secret(id: emptyId)?.description } == "")
    }

    /// PostgreSQL's text can't hold a NUL: the write is refused whole (never cut at the NUL).
    @Test(.enabled(if: StoreBackend.available.contains(.postgres))) func postgresRefusesAStringWithANULAndKeepsNothing() async throws {
        try await self.withScratch(.postgres) { scratch in
            let store = try scratch.open()
            var draft = self.secret("name\u{0}hidden")
            draft.description = "d"
            let record = draft
            await #expect(throws: PostgresStoreError.self) { try await store.write { tx in try tx.insertSecret(record) } }
            let scope = record.scope
            #expect(try await store.read { tx in try tx.secret(scope: scope, name: "name") } == nil)
            #expect(try scratch.count("SELECT count(*) FROM secrets") == 0)
        }
    }

    /// Every pooled connection closed by the server while idle (a restart, `pg_terminate_backend`): the next reads
    /// and writes run on new connections, none fails. Reads send BEGIN with their first statement and don't wait
    /// for their COMMIT, so this also checks a connection whose COMMIT answer was never read is reused cleanly.
    @Test(.enabled(if: StoreBackend.available.contains(.postgres))) func postgresConnectionsClosedWhileIdleAreReplacedUnnoticed() async throws {
        try await self.withScratch(.postgres) { scratch in
            let store = try scratch.open()
            let scope = Scope(account: "111122223333", region: "us-east-1")
            _ = try await store.write { tx in try tx.insertSecret(self.secret("kept")) }
            func readAll() async throws {
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    for _ in 0..<16 { group.addTask { try await store.read { tx in try tx.secret(scope: scope, name: "kept") } != nil } }
                    for try await found in group { #expect(found) }
                }
            }
            try await readAll()  // every lane has a connection now
            let closed = try scratch.count(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            #expect((closed ?? 0) >= 2)
            try await readAll()
            _ = try await store.write { tx in try tx.insertSecret(self.secret("after")) }
            #expect(try await store.read { tx in try tx.secret(scope: scope, name: "after") } != nil)
        }
    }

    /// A connection whose server side is gone, used without the pool's probe: its transaction's first round trip
    /// (BEGIN and the statement, pipelined) fails; when the connection came from the pool idle it is reconnected in
    /// place and the transaction sent again, otherwise the failure is a connection failure (ServiceUnavailable).
    @Test(.enabled(if: StoreBackend.available.contains(.postgres)), arguments: [true, false])
    func postgresReconnectsAStaleConnectionAtItsFirstRoundTrip(_ reconnect: Bool) async throws {
        try await self.withScratch(.postgres) { scratch in
            let connection = try PostgresConnection(scratch.location)
            #expect(try connection.first("SELECT 1", []) { $0.int64(0) } == 1)  // prepared on the old connection
            let pid = try #require(try connection.first("SELECT pg_backend_pid()", []) { $0.int64(0) })
            let admin = try PostgresConnection(scratch.location)
            _ = try admin.first("SELECT pg_terminate_backend(?)", [.integer(pid)]) { $0.int64(0) }
            for _ in 0..<200 {
                if try admin.first("SELECT count(*) FROM pg_stat_activity WHERE pid = ?", [.integer(pid)], { $0.int64(0) }) == 0 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            connection.begin("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", reconnectIfStale: reconnect)
            if reconnect {
                #expect(try connection.first("SELECT 1", []) { $0.int64(0) } == 1)
                connection.commitReadOnly()
                #expect(connection.isHealthy)
                #expect(try connection.first("SELECT pg_backend_pid()", []) { $0.int64(0) } != pid)
            } else {
                let error = try #require(throws: PostgresStoreError.self) { try connection.first("SELECT 1", []) { $0.int64(0) } }
                #expect(error.isUnavailable)
            }
        }
    }

    @Test(arguments: StoreBackend.available) func blobsComeBackByteForByte(_ backend: StoreBackend) async throws {
        try await self.withScratch(backend) { scratch in
            let store = try scratch.open()
            let bytes = Data((0...255).map(UInt8.init) + (0...255).reversed().map(UInt8.init))
            let id = try await store.write { tx in
                let id = try tx.insertSecret(self.secret("bytes"))
                var version = self.version("v1", of: id)
                version.ciphertext = bytes
                version.wrappedDataKey = Data()
                try tx.insertVersion(version)
                return id
            }
            let read = try await store.read { tx in try tx.version(secretId: id, versionId: "v1") }
            #expect(read?.ciphertext == bytes && read?.wrappedDataKey == Data())
        }
    }

    @Test(arguments: StoreBackend.available) func aFailedWriteLeavesNothingBehind(_ backend: StoreBackend) async throws {
        try await self.withScratch(backend) { scratch in
            let store = try scratch.open()
            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await store.write { tx in
                    let id = try tx.insertSecret(self.secret("half"))
                    try tx.insertVersion(self.version("v1", of: id))
                    throw Abort()
                }
            }
            let scope = Scope(account: "111122223333", region: "us-east-1")
            #expect(try await store.read { tx in try tx.secret(scope: scope, name: "half") } == nil)
        }
    }

    @Test(arguments: StoreBackend.available) func theSchemaKeepsALabelOnOneVersionAndLabelledVersionsInPlace(_ backend: StoreBackend) async throws {
        try await self.withScratch(backend) { scratch in
            let store = try scratch.open()
            let id = try await store.write { tx in
                let id = try tx.insertSecret(self.secret("s"))
                try tx.insertVersion(self.version("v1", of: id))
                try tx.insertVersion(self.version("v2", of: id))
                try tx.replaceStages(secretId: id, with: StageMap(["AWSCURRENT": "v1"]))
                return id
            }
            #expect(
                try scratch.violatesConstraint("INSERT INTO stages (secret_id, label, version_id) VALUES (?, 'AWSCURRENT', 'v2')", [.integer(id)])
            )
            #expect(try scratch.violatesConstraint("DELETE FROM versions WHERE secret_id = ? AND version_id = 'v1'", [.integer(id)]))
            // An unlabelled version can go; deleting the secret takes everything with it.
            #expect(try !scratch.violatesConstraint("DELETE FROM versions WHERE secret_id = ? AND version_id = 'v2'", [.integer(id)]))
            try await store.write { tx in try tx.deleteSecret(id: id) }
            #expect(try scratch.count("SELECT count(*) FROM versions") == 0)
            #expect(try scratch.count("SELECT count(*) FROM stages") == 0)
        }
    }

    /// Two processes on one file, or two nodes on one database.
    @Test(arguments: StoreBackend.available) func twoStoresOnOneDatabaseSerializeTheirWrites(_ backend: StoreBackend) async throws {
        try await self.withScratch(backend) { scratch in
            let first = try scratch.open()
            let second = try scratch.open()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, store) in [first, second].enumerated() {
                    group.addTask {
                        for n in 0..<50 {
                            _ = try await store.write { tx in try tx.insertSecret(self.secret("p\(index)-\(n)")) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let scope = Scope(account: "111122223333", region: "us-east-1")
            let all = try await first.read { tx in
                try tx.scanSecrets(scope: scope, sortBy: .name, ascending: true, after: nil, includePlannedDeletion: true, limit: 1000)
            }
            #expect(all.count == 100)
            // The other store sees the first one's writes at once.
            #expect(try await second.read { tx in try tx.secret(scope: scope, name: "p0-49") } != nil)
        }
    }

    /// Records are appended several to a statement (64, 16, 4, 1 at a time): every batch size comes back whole, in
    /// order, field for field, and a batch that fails leaves none of its rows.
    @Test(arguments: StoreBackend.available) func auditRecordsAppendInBatchesOfAnySize(_ backend: StoreBackend) async throws {
        try await self.withScratch(backend) { scratch in
            let store = try scratch.openAudit()
            var next: Int64 = 1
            for size in [0, 1, 3, 5, 16, 21, 64, 85, 150] {
                let rows = (0..<size).map { index -> AuditEventRow in
                    let sequence = next + Int64(index)
                    return AuditEventRow(
                        sequence: sequence, eventTime: Date(timeIntervalSince1970: 1_700_000_000 + Double(sequence)),
                        eventName: "Event\(sequence)", principal: sequence % 2 == 0 ? nil : "arn:aws:iam::111122223333:user/u\(sequence)",
                        secretARN: sequence % 3 == 0 ? "arn:aws:secretsmanager:us-east-1:111122223333:secret:s-abcdef" : nil,
                        record: #"{"n":\#(sequence)}"#, previousHash: Data([UInt8(sequence % 256)]), hash: Data([UInt8(sequence % 251), 0])
                    )
                }
                try await store.write(faultPoint: .auditTransaction) { tx in try tx.appendAuditEvents(rows) }
                var query = AuditQuery()
                query.afterSequence = next - 1
                query.limit = 1000
                let asked = query
                #expect(try await store.read { tx in try tx.auditEvents(asked) } == rows, "a batch of \(size)")
                next += Int64(size)
            }
            // A duplicate sequence at the end of a batch of 70 refuses all 70.
            let clash = (0..<70).map { index in
                AuditEventRow(sequence: index == 69 ? 1 : next + Int64(index), eventTime: Date(), eventName: "Clash", principal: nil,
                              secretARN: nil, record: "{}", previousHash: Data(), hash: Data())
            }
            await #expect(throws: (any Error).self) { try await store.write(faultPoint: .auditTransaction) { tx in try tx.appendAuditEvents(clash) } }
            var everything = AuditQuery()
            everything.limit = 10_000
            let all = everything
            #expect(try await store.read { tx in try tx.auditEvents(all) }.count == Int(next - 1))
        }
    }

    @Test(arguments: StoreBackend.available) func keysetScanPagesWithoutGapsOrRepeats(_ backend: StoreBackend) async throws {
        try await self.withScratch(backend) { scratch in
            let store = try scratch.open()
            let scope = Scope(account: "111122223333", region: "us-east-1")
            try await store.write { tx in
                for n in 0..<30 {
                    // Upper and lower case: names sort byte by byte ("N…" before "n…") on every backend, whatever its locale.
                    var record = self.secret(String(format: n.isMultiple(of: 2) ? "n%02d" : "N%02d", 29 - n))
                    // Equal sort values must still page cleanly (ties broken by row id).
                    record.createdDate = Date(timeIntervalSince1970: Double(1_700_000_000 + n / 3))
                    _ = try tx.insertSecret(record)
                }
            }
            for sortBy in SecretSortKey.allCases {
                for ascending in [true, false] {
                    var seen: [String] = []
                    var cursor: ScanCursor?
                    while true {
                        let page = try await store.read { [cursor] tx in
                            let page = try tx.scanSecrets(
                                scope: scope,
                                sortBy: sortBy,
                                ascending: ascending,
                                after: cursor,
                                includePlannedDeletion: false,
                                limit: 7
                            )
                            return (page.map(\.name), page.last.map { tx.cursor(of: $0, sortBy: sortBy) })
                        }
                        seen += page.0
                        guard let next = page.1, page.0.count == 7 else { break }
                        cursor = next
                    }
                    #expect(seen.count == 30, "\(sortBy) ascending=\(ascending)")
                    #expect(Set(seen).count == 30, "\(sortBy) ascending=\(ascending)")
                    if sortBy == .name {
                        #expect(
                            seen
                                == seen.sorted(
                                    by: ascending ? { $0.utf8.lexicographicallyPrecedes($1.utf8) } : { $1.utf8.lexicographicallyPrecedes($0.utf8) }
                                )
                        )
                    }
                }
            }
        }
    }

    @Test(arguments: StoreBackend.available) func labelledVersionFindsTheValueOfAReplicasPrimary(_ backend: StoreBackend) async throws {
        try await self.withScratch(backend) { scratch in
            let store = try scratch.open()
            let eu = Scope(account: "111122223333", region: "eu-west-1")
            try await store.write { tx in
                let id = try tx.insertSecret(self.secret("shared"))
                try tx.insertVersion(self.version("v1", of: id))
                try tx.replaceStages(secretId: id, with: StageMap(["AWSCURRENT": "v1", "BLUE": "v1"]))
                var replica = self.secret("shared", scope: eu)
                replica.primaryId = id
                _ = try tx.insertSecret(replica)
            }
            let hit = try await store.read { tx in try tx.labelledVersion(scope: eu, name: "shared", label: "AWSCURRENT") }
            #expect(hit?.version.versionId == "v1")
            #expect(hit?.secret.scope == eu)
            #expect(hit?.ownerARN.contains("us-east-1") == true)
            #expect(Set(hit?.labels ?? []) == ["AWSCURRENT", "BLUE"])
            #expect(try await store.read { tx in try tx.labelledVersion(scope: eu, name: "shared", label: "GREEN") } == nil)
        }
    }
}
