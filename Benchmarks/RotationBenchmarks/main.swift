// lockstep-rotation-benchmarks: what a rotation costs against the local databases, beside the database's own floor
// measured in the same run, and what the scheduler pays to find the next due secret in a large store.
//
//   scripts/testdb.sh start; eval "$(scripts/testdb.sh env)"
//   swift run -c release lockstep-rotation-benchmarks [--rotations 25] [--secrets 100000,1000000 | none]
//
// Floor: connect with the old password, change it (PostgreSQL: ALTER ROLE; MariaDB: SET PASSWORD), connect with the
// new one, through libpq / libmariadb directly. Rotation: RotateSecret, then the engine's four steps through the
// built-in single-user rotator, store commits (WAL, synchronous=FULL) included, until AWSCURRENT has moved.
import CMariaDB
import CPostgreSQL
import Foundation
import LockstepCore
import LockstepDatabase
import LockstepMariaDB
import LockstepPostgres
import LockstepRotation
import LockstepService
import LockstepStore

struct Options {
    var rotations = 25
    var secretCounts = [100_000, 1_000_000]

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            let value = iterator.next() ?? ""
            switch argument {
            case "--rotations": self.rotations = Int(value) ?? self.rotations
            case "--secrets": self.secretCounts = value.split(separator: ",").compactMap { Int($0) }
            default:
                print("usage: lockstep-rotation-benchmarks [--rotations N] [--secrets N,N,... | none]")
                exit(64)
            }
        }
    }
}

struct Server {
    var host: String
    var port: Int
    var user: String
    var password: String

    static func from(_ prefix: String) -> Server? {
        let environment = ProcessInfo.processInfo.environment
        guard let host = environment["LOCKSTEP_TEST_\(prefix)_HOST"], let port = environment["LOCKSTEP_TEST_\(prefix)_PORT"].flatMap(Int.init),
            let user = environment["LOCKSTEP_TEST_\(prefix)_USER"], let password = environment["LOCKSTEP_TEST_\(prefix)_PASSWORD"]
        else { return nil }
        return Server(host: host, port: port, user: user, password: password)
    }
}

func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

func milliseconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try await body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
func percentile(_ values: [Double], _ p: Double) -> Double { values.sorted()[min(values.count - 1, Int(Double(values.count) * p))] }

func randomPassword() -> String {
    let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    var generator = SystemRandomNumberGenerator()
    return String((0..<32).map { _ in letters.randomElement(using: &generator)! })
}

struct BenchmarkFailure: Error, CustomStringConvertible { var description: String }

// MARK: The database floors, with the C clients directly

/// How the connections travel: TLS when the server offers it, unverified (a secret without `ssl`), or plaintext
/// (`"ssl": false`). The floor uses the same transport as the rotation it is compared with.
enum Transport: String, CaseIterable {
    case tls = "TLS"
    case plaintext

    /// The secret's `ssl` key for this transport (nil: absent).
    var sslKey: JSONValue? { self == .tls ? nil : .bool(false) }
}

enum PostgresFloor {
    static func connect(_ server: Server, user: String, password: String, transport: Transport = .tls) throws -> OpaquePointer {
        let pairs = [
            ("host", server.host), ("port", String(server.port)), ("user", user), ("password", password), ("dbname", "postgres"),
            ("sslmode", transport == .tls ? "prefer" : "disable"),
        ]
        let keys = pairs.map { strdup($0.0) }
        let values = pairs.map { strdup($0.1) }
        defer { (keys + values).forEach { free($0) } }
        let connection = (keys.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { keyPointer in
            (values.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { valuePointer in
                PQconnectdbParams(keyPointer.baseAddress, valuePointer.baseAddress, 0)
            }
        }
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            PQfinish(connection)
            throw BenchmarkFailure(description: "PostgreSQL login failed for \(user)")
        }
        return connection
    }

    static func execute(_ connection: OpaquePointer, _ sql: String) throws {
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COMMAND_OK || PQresultStatus(result) == PGRES_TUPLES_OK else {
            throw BenchmarkFailure(description: String(cString: PQerrorMessage(connection)))
        }
    }

    /// connect(old) + ALTER ROLE + connect(new); returns the new password.
    static func once(_ server: Server, user: String, password: String, transport: Transport) throws -> String {
        let new = randomPassword()
        let old = try connect(server, user: user, password: password, transport: transport)
        try execute(old, "ALTER ROLE \(user) PASSWORD '\(new)'")
        PQfinish(old)
        PQfinish(try connect(server, user: user, password: new, transport: transport))
        return new
    }
}

enum MariaDBFloor {
    static func connect(_ server: Server, user: String, password: String, transport: Transport = .plaintext) throws
        -> UnsafeMutablePointer<MYSQL>
    {
        guard let handle = mysql_init(nil) else { throw BenchmarkFailure(description: "mysql_init failed") }
        var tcp = UInt32(MYSQL_PROTOCOL_TCP.rawValue)
        _ = withUnsafePointer(to: &tcp) { mysql_options(handle, MYSQL_OPT_PROTOCOL, $0) }
        if transport == .tls {
            // As the driver asks for a secret without `ssl`: TLS, the certificate unchecked.
            var enforce: my_bool = 1
            var verify: my_bool = 0
            _ = withUnsafePointer(to: &enforce) { mysql_options(handle, MYSQL_OPT_SSL_ENFORCE, $0) }
            _ = withUnsafePointer(to: &verify) { mysql_options(handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, $0) }
        }
        guard mysql_real_connect(handle, server.host, user, password, nil, UInt32(server.port), nil, 0) != nil else {
            let message = String(cString: mysql_error(handle))
            mysql_close(handle)
            throw BenchmarkFailure(description: "MariaDB login failed for \(user): \(message)")
        }
        return handle
    }

    static func execute(_ handle: UnsafeMutablePointer<MYSQL>, _ sql: String) throws {
        guard mysql_query(handle, sql) == 0 else { throw BenchmarkFailure(description: String(cString: mysql_error(handle))) }
    }

    /// connect(old) + SET PASSWORD + connect(new); returns the new password.
    static func once(_ server: Server, user: String, password: String, transport: Transport) throws -> String {
        let new = randomPassword()
        let old = try connect(server, user: user, password: password, transport: transport)
        try execute(old, "SET PASSWORD = PASSWORD('\(new)')")
        mysql_close(old)
        mysql_close(try connect(server, user: user, password: new, transport: transport))
        return new
    }
}

// MARK: Rotations through Lockstep

/// A new store in a temporary data directory: SQLite there, or the PostgreSQL database `store` names.
func openEnvironment(store: StoreLocation? = nil) throws -> (LockstepEnvironment, URL) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-rotation-bench-\(UUID().uuidString)")
    var environment = ProcessInfo.processInfo.environment
    environment["LOCKSTEP_ROOT_KEY"] = nil
    var configuration = LockstepEnvironment.Configuration(dataDirectory: directory, region: "us-east-1", account: "123456789012", environment: environment)
    configuration.store = store
    return (try LockstepEnvironment.open(configuration, create: true), directory)
}

/// Median milliseconds of a full single-user rotation (RotateSecret → AWSCURRENT moved), and the floor's median.
func rotationFigures(engine name: String, driver: any DatabaseDriver, server: Server, rotations: Int, transport: Transport,
                     admin: (String) throws -> Void,
                     floor: (Server, String, String, Transport) throws -> String) async throws -> (rotation: [Double], floor: [Double]) {
    let user = "bench_\(name)_\(UInt32.random(in: 0...UInt32.max))"
    var password = randomPassword()
    try admin(user + "\t" + password)
    // The floor, warmed up once, then measured.
    password = try floor(server, user, password, transport)
    var floors: [Double] = []
    for _ in 0..<rotations { floors.append(try milliseconds { password = try floor(server, user, password, transport) }) }

    let (base, directory) = try openEnvironment()
    defer { try? FileManager.default.removeItem(at: directory) }
    let rotatorName = "\(name)-single-user"
    let environment = base.with(rotation: RotationHooks(canInvoke: { $0 == rotatorName }, events: SilentEvents()))
    let manager = environment.manager
    let rotator = DatabaseRotator(driver: driver, strategy: .singleUser, manager: manager)
    let engine = RotationEngine(manager: manager, registry: RotatorRegistry([rotatorName: rotator]), owner: "bench")
    var secret: [String: JSONValue] = [
        "engine": .string(name), "host": .string(server.host), "port": .integer(Int64(server.port)), "username": .string(user),
        "password": .string(password),
    ]
    if name == "postgres" { secret["dbname"] = .string("postgres") }
    secret["ssl"] = transport.sslKey
    let json = String(decoding: try JSONEncoder().encode(JSONValue.object(secret)), as: UTF8.self)
    _ = try await manager.createSecret(
        CreateSecretRequest(Name: user, ClientRequestToken: UUID().uuidString, SecretString: Sensitive(json)),
        context: environment.context
    )
    var times: [Double] = []
    for index in 0...rotations {
        let elapsed = try await milliseconds {
            _ = try await manager.rotateSecret(
                RotateSecretRequest(SecretId: user, RotationLambdaARN: rotatorName, RotationRules: RotationRulesType(AutomaticallyAfterDays: 30)),
                context: environment.context
            )
            let outcomes = try await engine.runDueRotations()
            guard outcomes == [.succeeded] else { throw BenchmarkFailure(description: "rotation \(index): \(outcomes)") }
        }
        if index > 0 { times.append(elapsed) }  // the first one warms the store and the driver
    }
    return (times, floors)
}

/// The engine and store alone: a rotator whose only work is createSecret's PutSecretValue.
struct NoDatabaseRotator: Rotator {
    let manager: SecretsManager

    func invoke(_ invocation: RotationInvocation) async throws(RotatorError) {
        guard invocation.step == .createSecret else { return }
        do {
            _ = try await self.manager.putSecretValue(
                PutSecretValueRequest(
                    SecretId: invocation.secretARN,
                    ClientRequestToken: invocation.token,
                    SecretString: Sensitive("{}"),
                    VersionStages: ["AWSPENDING"]
                ),
                context: invocation.context
            )
        } catch {
            throw RotatorError(.validation, "\(error)")
        }
    }
}

func engineOnlyFigures(rotations: Int) async throws -> [Double] {
    let (base, directory) = try openEnvironment()
    defer { try? FileManager.default.removeItem(at: directory) }
    let environment = base.with(rotation: RotationHooks(canInvoke: { $0 == "none" }, events: SilentEvents()))
    let manager = environment.manager
    let engine = RotationEngine(manager: manager, registry: RotatorRegistry(["none": NoDatabaseRotator(manager: manager)]), owner: "bench")
    _ = try await manager.createSecret(CreateSecretRequest(Name: "s", ClientRequestToken: UUID().uuidString, SecretString: "{}"), context: environment.context)
    var times: [Double] = []
    for index in 0...rotations {
        let elapsed = try await milliseconds {
            _ = try await manager.rotateSecret(RotateSecretRequest(SecretId: "s", RotationLambdaARN: "none"), context: environment.context)
            _ = try await engine.runDueRotations()
        }
        if index > 0 { times.append(elapsed) }
    }
    return times
}

struct SilentEvents: LifecycleEventSink {
    func record(_ event: LifecycleEvent) {}
}

func report(_ name: String, _ figures: (rotation: [Double], floor: [Double]), target: String) {
    let rotation = median(figures.rotation)
    let floor = median(figures.floor)
    print(String(format: "  %@ floor (connect, change password, connect) median %7.2f ms  p90 %7.2f ms", name, floor, percentile(figures.floor, 0.9)))
    print(String(format: "  %@ full rotation (4 steps + store commits)  median %7.2f ms  p90 %7.2f ms", name, rotation, percentile(figures.rotation, 0.9)))
    print(String(format: "  %@ rotation / floor: %.2fx   (%@)", name, rotation / floor, target))
}

// MARK: The scheduler's next-due lookup

func schedulerFigures(counts: [Int], store: StoreLocation? = nil) async throws {
    let (environment, directory) = try openEnvironment(store: store)
    defer { try? FileManager.default.removeItem(at: directory) }
    let manager = environment.manager
    let now = Date()
    var inserted = 0
    for count in counts.sorted() {
        let started = Date()
        while inserted < count {
            let batch = min(50_000, count - inserted)
            let first = inserted
            try await environment.store.write { tx in
                for index in first..<(first + batch) {
                    _ = try tx.insertSecret(
                        SecretRecord(
                            scope: Scope(account: "123456789012", region: "us-east-1"),
                            name: "s\(index)",
                            arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:s\(index)-abcdef",
                            kmsKeyId: "k",
                            createdDate: now,
                            lastChangedDate: now,
                            rotation: RotationSettings(
                                enabled: true,
                                lambdaARN: "postgres-single-user",
                                rules: RotationRulesType(AutomaticallyAfterDays: 30),
                                nextRotationDate: now.addingTimeInterval(Double.random(in: 3_600...(30 * 86_400)))
                            )
                        )
                    )
                }
            }
            inserted += batch
        }
        let fill = Date().timeIntervalSince(started)
        var lookups: [Double] = []
        var due: [Double] = []
        for _ in 0..<2_000 {
            lookups.append(try await milliseconds { _ = try await manager.earliestRotationDue() } * 1_000)
        }
        for _ in 0..<500 {
            due.append(try await milliseconds { _ = try await environment.store.read { try $0.secretsDueForRotation(before: now.addingTimeInterval(7_200), limit: 64) } } * 1_000)
        }
        print(String(format: "  %9d secrets: next-due lookup median %6.1f µs  p99 %6.1f µs;  due batch (≤64) median %6.1f µs  (filled in %.0f s)",
                     count, median(lookups), percentile(lookups, 0.99), median(due), fill))
    }
}

// MARK: Main

let options = Options(CommandLine.arguments)
MariaDBDriver.initializeLibrary()
print("Rotation against the local databases (\(options.rotations) rotations each, single user):")
let engineOnly = try await engineOnlyFigures(rotations: options.rotations)
print(String(format: "  engine and store alone (no database: RotateSecret, 4 steps, every commit durable) median %6.2f ms  p90 %6.2f ms  (target: 2 ms, %@)",
             median(engineOnly), percentile(engineOnly, 0.9), median(engineOnly) <= 2 ? "met" : "missed"))
// Each engine twice: over TLS as a secret without `ssl` connects to a server that offers it (the test servers do),
// and in plaintext ("ssl": false), the setting of the targets.
if let server = Server.from("POSTGRES") {
    for transport in Transport.allCases {
        let figures = try await rotationFigures(
            engine: "postgres", driver: PostgresDriver(), server: server, rotations: options.rotations, transport: transport,
            admin: { pair in
                let parts = pair.split(separator: "\t").map(String.init)
                let connection = try PostgresFloor.connect(server, user: server.user, password: server.password)
                defer { PQfinish(connection) }
                try PostgresFloor.execute(connection, "CREATE ROLE \(parts[0]) LOGIN PASSWORD '\(parts[1])'")
            },
            floor: PostgresFloor.once
        )
        let ratio = median(figures.rotation) / median(figures.floor)
        let target =
            transport == .plaintext
            ? "target: within 1.5x the floor, \(ratio <= 1.5 ? "met" : "missed")"
            : "no target: the target is set in plaintext"
        report("PostgreSQL (\(transport.rawValue))", figures, target: target)
    }
} else {
    print("  PostgreSQL: skipped (LOCKSTEP_TEST_POSTGRES_* not set: scripts/testdb.sh start)")
}
if let server = Server.from("MARIADB") {
    for transport in Transport.allCases {
        let figures = try await rotationFigures(
            engine: "mariadb", driver: MariaDBDriver(), server: server, rotations: options.rotations, transport: transport,
            admin: { pair in
                let parts = pair.split(separator: "\t").map(String.init)
                let handle = try MariaDBFloor.connect(server, user: server.user, password: server.password)
                defer { mysql_close(handle) }
                try MariaDBFloor.execute(handle, "CREATE USER '\(parts[0])'@'%' IDENTIFIED BY '\(parts[1])'")
            },
            floor: MariaDBFloor.once
        )
        let target =
            transport == .plaintext
            ? String(format: "target: full rotation within 3 ms median, %@", median(figures.rotation) <= 3 ? "met" : "missed")
            : "no target: libmariadb reads the system CA bundle for every TLS connection, the floor too"
        report("MariaDB (\(transport.rawValue))", figures, target: target)
    }
} else {
    print("  MariaDB: skipped (LOCKSTEP_TEST_MARIADB_* not set: scripts/testdb.sh start)")
}
if !options.secretCounts.isEmpty {
    print("Scheduler: the earliest due rotation among N secrets (the engine's wake-up query; target under 1 ms at 1M):")
    print(" SQLite:")
    try await schedulerFigures(counts: options.secretCounts)
    if let server = Server.from("POSTGRES") {
        // A database of its own on the test server, without the test server's statement log (log_statement=all).
        let database = "lockstep_bench_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try PostgresFloor.connect(server, user: server.user, password: server.password)
        defer { PQfinish(admin) }
        try PostgresFloor.execute(admin, "CREATE DATABASE \(database)")
        try PostgresFloor.execute(admin, "ALTER DATABASE \(database) SET log_statement = 'none'")
        defer { try? PostgresFloor.execute(admin, "DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
        let user = server.user.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? server.user
        let password = server.password.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? server.password
        let uri = "postgresql://\(user):\(password)@\(server.host):\(server.port)/\(database)?sslmode=disable"
        print(" PostgreSQL (one node, plaintext loopback):")
        try await schedulerFigures(counts: options.secretCounts, store: StoreLocation(parsing: uri))
    } else {
        print(" PostgreSQL: skipped (LOCKSTEP_TEST_POSTGRES_* not set: scripts/testdb.sh start)")
    }
}
