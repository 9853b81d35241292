import Foundation
import Testing

@testable import LockstepStore

/// The backends the store contract tests run on: SQLite always; PostgreSQL when `scripts/testdb.sh` runs one
/// (`LOCKSTEP_TEST_POSTGRES_*`), and required (a failing case, not a skip) when `LOCKSTEP_REQUIRE_DATABASES=1`.
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { self.rawValue }

    static var available: [StoreBackend] {
        PostgresScratch.server != nil || PostgresScratch.isRequired ? [.sqlite, .postgres] : [.sqlite]
    }
}

/// One fresh store of a backend: a new SQLite file, or a new PostgreSQL database (dropped again by ``remove()``).
struct ScratchStore: Sendable {
    let backend: StoreBackend
    /// The SQLite file, or the PostgreSQL connection URI.
    let location: String

    init(_ backend: StoreBackend) throws {
        self.backend = backend
        switch backend {
        case .sqlite: self.location = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString).db").path
        case .postgres: self.location = try PostgresScratch.createDatabase()
        }
    }

    /// A store on it (several may be open at once: two processes, two nodes).
    func open() throws -> any SecretStore {
        switch self.backend {
        case .sqlite: try SQLiteSecretStore(path: self.location)
        case .postgres: try PostgresSecretStore(connectionString: self.location)
        }
    }

    /// An audit store on it.
    func openAudit() throws -> any AuditStore {
        switch self.backend {
        case .sqlite: try SQLiteAuditStore(path: self.location + "-audit")
        case .postgres: try PostgresAuditStore(connectionString: self.location)
        }
    }

    /// Runs one statement outside the store, as another process would: true when the database refused it with a
    /// constraint violation.
    func violatesConstraint(_ sql: String, _ arguments: [SQLValue]) throws -> Bool {
        switch self.backend {
        case .sqlite:
            let connection = try SQLiteConnection(path: self.location)
            try connection.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
            do {
                try connection.query(sql, arguments)
                return false
            } catch let error as SQLiteError {
                return error.isConstraint
            }
        case .postgres:
            let connection = try PostgresConnection(self.location)
            do {
                try connection.query(sql, arguments)
                return false
            } catch let error as PostgresStoreError {
                return error.state.hasPrefix("23")
            }
        }
    }

    /// The first column of the first row of `sql`, as an integer, read outside the store.
    func count(_ sql: String) throws -> Int64? {
        switch self.backend {
        case .sqlite: try SQLiteConnection(path: self.location).first(sql) { $0.int64(0) }
        case .postgres: try PostgresConnection(self.location).first(sql) { $0.int64(0) }
        }
    }

    func remove() {
        switch self.backend {
        case .sqlite:
            for suffix in ["", "-wal", "-shm", "-audit", "-audit-wal", "-audit-shm"] {
                try? FileManager.default.removeItem(atPath: self.location + suffix)
            }
        case .postgres:
            PostgresScratch.dropDatabase(self.location)
        }
    }
}

/// Databases on the PostgreSQL test server, one per test.
enum PostgresScratch {
    static let server: (host: String, port: String, user: String, password: String)? = {
        let environment = ProcessInfo.processInfo.environment
        func value(_ suffix: String) -> String? { environment["LOCKSTEP_TEST_POSTGRES_\(suffix)"].flatMap { $0.isEmpty ? nil : $0 } }
        guard let host = value("HOST"), let port = value("PORT"), let user = value("USER"), let password = value("PASSWORD") else { return nil }
        return (host, port, user, password)
    }()

    static let isRequired = ProcessInfo.processInfo.environment["LOCKSTEP_REQUIRE_DATABASES"] == "1"

    struct Missing: Error, CustomStringConvertible {
        let description = "LOCKSTEP_REQUIRE_DATABASES=1 but LOCKSTEP_TEST_POSTGRES_* are not set: run `scripts/testdb.sh start postgres`"
    }

    static func uri(database: String) throws -> String {
        guard let server else { throw Missing() }
        let allowed = CharacterSet.alphanumerics
        let user = server.user.addingPercentEncoding(withAllowedCharacters: allowed) ?? server.user
        let password = server.password.addingPercentEncoding(withAllowedCharacters: allowed) ?? server.password
        return "postgresql://\(user):\(password)@\(server.host):\(server.port)/\(database)"
    }

    static func createDatabase() throws -> String {
        let name = "lockstep_store_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try PostgresConnection(try Self.uri(database: "postgres")).execute("CREATE DATABASE \(name)")
        return try Self.uri(database: name)
    }

    static func dropDatabase(_ uri: String) {
        guard let name = uri.split(separator: "/").last else { return }
        try? PostgresConnection(try Self.uri(database: "postgres")).execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}
