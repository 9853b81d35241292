import Foundation
import LockstepCore
import Testing

/// A throwaway database from `scripts/testdb.sh` (its `LOCKSTEP_TEST_<ENGINE>_*` environment), and its command-line
/// client, used to check logins independently of the drivers under test.
struct DatabaseServer: Sendable {
    enum Engine: String, Sendable { case postgres = "POSTGRES", mariadb = "MARIADB" }

    var engine: Engine
    var host: String
    var port: Int
    var user: String
    var password: String
    /// The statement log (PostgreSQL `log_statement=all`, MariaDB general log).
    var log: String

    static let postgres = DatabaseServer.fromEnvironment(.postgres)
    static let mariadb = DatabaseServer.fromEnvironment(.mariadb)
    static let required = ProcessInfo.processInfo.environment["LOCKSTEP_REQUIRE_DATABASES"] == "1"

    static func fromEnvironment(_ engine: Engine) -> DatabaseServer? {
        let environment = ProcessInfo.processInfo.environment
        func value(_ name: String) -> String? { environment["LOCKSTEP_TEST_\(engine.rawValue)_\(name)"].flatMap { $0.isEmpty ? nil : $0 } }
        guard let host = value("HOST"), let port = value("PORT").flatMap(Int.init), let user = value("USER"),
            let password = value("PASSWORD"), let log = value("LOG")
        else { return nil }
        return DatabaseServer(engine: engine, host: host, port: port, user: user, password: password, log: log)
    }

    /// The server, or a failure that says how to start it.
    static func require(_ server: DatabaseServer?, _ engine: Engine) throws -> DatabaseServer {
        guard let server else {
            throw TestDatabaseMissing(description: "LOCKSTEP_TEST_\(engine.rawValue)_* not set: run scripts/testdb.sh start; eval \"$(scripts/testdb.sh env)\"")
        }
        return server
    }

    /// Runs `sql` with the command-line client as `user`; returns the output, or nil when the login or the
    /// statement failed.
    func run(_ sql: String, user: String? = nil, password: String? = nil, port: Int? = nil, database: String? = nil) -> String? {
        let executable: String
        let arguments: [String]
        // A small environment of its own rather than a copy of the test process's: the suite crashed inside
        // Process.run (a memcpy of a torn string) while C libraries of other tests ran; reading `environ` is the
        // suspect, and the clients need nothing from it.
        var environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "LANG": "C.UTF-8"]
        switch self.engine {
        case .postgres:
            executable = "/usr/bin/psql"
            environment["PGPASSWORD"] = password ?? self.password
            environment["PGCONNECT_TIMEOUT"] = "5"
            arguments = [
                "-h", self.host, "-p", String(port ?? self.port), "-U", user ?? self.user, "-d", database ?? "postgres",
                "-v", "ON_ERROR_STOP=1", "-tAqc", sql,
            ]
        case .mariadb:
            executable = "/usr/bin/mariadb"
            environment["MYSQL_PWD"] = password ?? self.password
            arguments = [
                "--protocol=TCP", "-h", self.host, "-P", String(port ?? self.port), "-u", user ?? self.user,
                "--connect-timeout=5", "-N", "-B", "-e", sql,
            ] + (database.map { [$0] } ?? [])
        }
        guard let outcome = try? ProcessLaunch.run(executable, arguments, environment: environment, timeout: .seconds(60)),
            outcome.status == 0
        else { return nil }
        let data = outcome.output
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether `user` logs in with `password`.
    func logsIn(_ user: String, _ password: String, port: Int? = nil) -> Bool {
        self.run("SELECT 1", user: user, password: password, port: port) == "1"
    }

    /// Whether the statement log contains `text` anywhere.
    func logContains(_ text: String) throws -> Bool {
        let data = try Data(contentsOf: URL(fileURLWithPath: self.log))
        return data.range(of: Data(text.utf8)) != nil
    }

    /// A secret's JSON for `user` on this server.
    func secretJSON(user: String, password: String, port: Int? = nil, extra: [String: String] = [:]) -> String {
        var object: [String: JSONValue] = [
            "engine": .string(self.engine == .postgres ? "postgres" : "mariadb"),
            "host": .string(self.host),
            "port": .integer(Int64(port ?? self.port)),
            "username": .string(user),
            "password": .string(password),
        ]
        if self.engine == .postgres { object["dbname"] = .string("postgres") }
        for (key, value) in extra { object[key] = .string(value) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try! encoder.encode(JSONValue.object(object)), as: UTF8.self)
    }
}

struct TestDatabaseMissing: Error, CustomStringConvertible {
    var description: String
}

extension Trait where Self == ConditionTrait {
    static var needsPostgres: Self {
        .enabled(if: DatabaseServer.postgres != nil || DatabaseServer.required, "needs scripts/testdb.sh start postgres")
    }

    static var needsMariaDB: Self {
        .enabled(if: DatabaseServer.mariadb != nil || DatabaseServer.required, "needs scripts/testdb.sh start mariadb")
    }
}

/// A random alphanumeric string (user names, initial passwords).
func randomName(_ length: Int = 10) -> String {
    let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
    var generator = SystemRandomNumberGenerator()
    return "t" + String((0..<length).map { _ in letters.randomElement(using: &generator)! })
}

/// `scripts/tcp-forward.py`: a relay to the database that a test can take down and bring back.
final class TCPForwarder: @unchecked Sendable {
    let port: Int
    let target: Int
    private var child: ProcessLaunch.Child?

    init(to target: Int) {
        self.target = target
        self.port = 40_000 + Int.random(in: 0..<20_000)
    }

    func start() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/tcp-forward.py")
        let child = try ProcessLaunch.start(
            "/usr/bin/python3",
            [script.standardized.path, String(self.port), "127.0.0.1", String(self.target)],
            environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        )
        _ = child.output.availableData  // "ready"
        self.child = child
    }

    func stop() {
        guard let child = self.child else { return }
        kill(child.pid, SIGKILL)
        _ = ProcessLaunch.wait(child.pid)
        try? child.output.close()
        self.child = nil
    }

    deinit { self.stop() }
}
