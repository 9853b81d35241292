import Foundation
import LockstepCore
import LockstepDatabase
import LockstepMariaDB
import LockstepPostgres
import LockstepRotation
import LockstepService
import Testing

/// Full rotations against the real PostgreSQL and MariaDB servers of `scripts/testdb.sh`, checked with the
/// databases' own command-line clients: the new password logs in, the old one is refused (single user) or still
/// works until the next rotation (alternating users), the labels are what AWS leaves, and no generated password
/// reaches the server's statement log.
@Suite struct DatabaseRotationTests {
    let harness: RotationHarness
    let manager: SecretsManager

    init() throws {
        self.harness = try RotationHarness()
        self.manager = self.harness.manager(accepting: Set(Self.rotatorNames))
    }

    static let rotatorNames = ["postgres-single-user", "postgres-multi-user", "mariadb-single-user", "mariadb-multi-user"]

    func engine(attempts: Int = 3, connectTimeout: Duration = .seconds(3)) -> RotationEngine {
        var rotators: [String: any Rotator] = [:]
        for (engine, driver) in [("postgres", PostgresDriver() as any DatabaseDriver), ("mariadb", MariaDBDriver())] {
            for strategy in [DatabaseRotator.Strategy.singleUser, .alternatingUsers] {
                rotators["\(engine)-\(strategy.rawValue)"] = DatabaseRotator(
                    driver: driver,
                    strategy: strategy,
                    manager: self.manager,
                    timeouts: DatabaseTimeouts(connect: connectTimeout)
                )
            }
        }
        return RotationEngine(
            manager: self.manager,
            registry: RotatorRegistry(rotators),
            policy: RotationRetryPolicy(baseDelay: 30, maximumDelay: 60, maximumAttempts: attempts),
            owner: "test",
            lease: 60
        )
    }

    // MARK: Database setup

    /// Creates a login user with its own schema (PostgreSQL) or database (MariaDB) holding table `items`.
    func createUser(_ server: DatabaseServer, _ name: String, _ password: String) throws {
        let statements: [String]
        switch server.engine {
        case .postgres:
            statements = [
                "CREATE ROLE \(name) LOGIN PASSWORD '\(password)'",
                "CREATE SCHEMA \(name) AUTHORIZATION \(name)",
            ]
        case .mariadb:
            statements = [
                "CREATE USER '\(name)'@'%' IDENTIFIED BY '\(password)'",
                "CREATE DATABASE \(name)",
                "GRANT ALL PRIVILEGES ON \(name).* TO '\(name)'@'%'",
            ]
        }
        for statement in statements { #expect(server.run(statement) != nil, "setup failed: \(statement)") }
        let table = server.engine == .postgres ? "\(name).items" : "\(name).items"
        #expect(server.run("CREATE TABLE \(table) (id INT); INSERT INTO \(table) VALUES (1)", user: name, password: password) != nil)
    }

    func dropUsers(_ server: DatabaseServer, _ name: String) {
        switch server.engine {
        case .postgres:
            _ = server.run("DROP SCHEMA IF EXISTS \(name) CASCADE")
            for user in [name + "_clone", name] { _ = server.run("DROP OWNED BY \(user) CASCADE; DROP ROLE IF EXISTS \(user)") }
        case .mariadb:
            _ = server.run("DROP DATABASE IF EXISTS \(name)")
            for user in [name + "_clone", name] {
                for host in (server.run("SELECT Host FROM mysql.user WHERE User = '\(user)'") ?? "").split(separator: "\n") {
                    _ = server.run("DROP USER '\(user)'@'\(host)'")
                }
            }
        }
    }

    func createSecret(_ name: String, _ json: String) async throws -> String {
        try await self.manager.createSecret(
            CreateSecretRequest(Name: name, ClientRequestToken: UUID().uuidString, SecretString: Sensitive(json)),
            context: self.harness.context
        ).ARN
    }

    func current(_ id: String) async throws -> DatabaseSecret {
        let value = try await self.manager.getSecretValue(GetSecretValueRequest(SecretId: id), context: self.harness.context)
        return try DatabaseSecret(json: try #require(value.SecretString?.value))
    }

    /// RotateSecret, then one pass of the engine: returns the outcome.
    func rotate(_ id: String, with rotator: String, engine: RotationEngine? = nil) async throws -> RotationOutcome? {
        _ = try await self.manager.rotateSecret(
            RotateSecretRequest(SecretId: id, RotationLambdaARN: "arn:aws:lambda:us-east-1:123456789012:function:\(rotator)"),
            context: self.harness.context
        )
        return try await (engine ?? self.engine()).runDueRotations().first
    }

    func versionStages(_ id: String) async throws -> [[String]] {
        try await self.harness.stages(self.manager, id).values.map { $0.sorted() }.sorted { $0.joined() < $1.joined() }
    }

    // MARK: Single user

    @Test(.needsPostgres) func postgresSingleUser() async throws {
        try await self.singleUser(try DatabaseServer.require(.postgres, .postgres), rotator: "postgres-single-user")
    }

    @Test(.needsMariaDB) func mariadbSingleUser() async throws {
        try await self.singleUser(try DatabaseServer.require(.mariadb, .mariadb), rotator: "mariadb-single-user")
    }

    func singleUser(_ server: DatabaseServer, rotator: String) async throws {
        let user = randomName()
        let initial = randomName(20)
        try self.createUser(server, user, initial)
        defer { self.dropUsers(server, user) }
        let id = try await self.createSecret(user, server.secretJSON(user: user, password: initial, extra: ["dbInstanceIdentifier": "kept"]))

        var passwords = [initial]
        for round in 1...2 {
            #expect(try await self.rotate(id, with: rotator) == .succeeded, "rotation \(round)")
            let now = try await self.current(id)
            let password = try #require(now.password?.value)
            #expect(!passwords.contains(password))
            #expect(now.username == user)
            #expect(now.fields["dbInstanceIdentifier"] == .string("kept"), "extra keys are carried forward")
            // The new password logs in; every earlier one is refused (the user changed its own password).
            #expect(server.logsIn(user, password))
            for old in passwords { #expect(!server.logsIn(user, old)) }
            #expect(server.run("SELECT count(*) FROM \(user).items", user: user, password: password) == "1")
            passwords.append(password)
            #expect(try await self.versionStages(id) == [["AWSCURRENT"], ["AWSPREVIOUS"]])
            #expect(try await self.harness.describe(self.manager, id).LastRotatedDate != nil)
        }
        for generated in passwords.dropFirst() {
            #expect(try !server.logContains(generated), "a generated password reached the server's statement log")
        }
    }

    // MARK: Alternating users

    @Test(.needsPostgres) func postgresAlternatingUsers() async throws {
        try await self.alternatingUsers(try DatabaseServer.require(.postgres, .postgres), rotator: "postgres-multi-user")
    }

    @Test(.needsMariaDB) func mariadbAlternatingUsers() async throws {
        try await self.alternatingUsers(try DatabaseServer.require(.mariadb, .mariadb), rotator: "mariadb-multi-user")
    }

    func alternatingUsers(_ server: DatabaseServer, rotator: String) async throws {
        let user = randomName()
        let clone = user + "_clone"
        let initial = randomName(20)
        try self.createUser(server, user, initial)
        defer { self.dropUsers(server, user) }
        let master = try await self.createSecret("master-\(user)", server.secretJSON(user: server.user, password: server.password))
        let id = try await self.createSecret(user, server.secretJSON(user: user, password: initial, extra: ["masterarn": master]))

        // First rotation: the clone is created with a new password; the original user still works (AWSPREVIOUS).
        #expect(try await self.rotate(id, with: rotator) == .succeeded)
        let first = try await self.current(id)
        let clonePassword = try #require(first.password?.value)
        #expect(first.username == clone)
        #expect(server.logsIn(clone, clonePassword))
        #expect(server.logsIn(user, initial))
        // The clone has the original's privileges: it reads and writes the original's table.
        #expect(server.run("INSERT INTO \(user).items VALUES (2); SELECT count(*) FROM \(user).items", user: clone, password: clonePassword) == "2")
        #expect(try await self.versionStages(id) == [["AWSCURRENT"], ["AWSPREVIOUS"]])

        // Second rotation: back to the original user with a new password; the clone keeps working until the next.
        #expect(try await self.rotate(id, with: rotator) == .succeeded)
        let second = try await self.current(id)
        let userPassword = try #require(second.password?.value)
        #expect(second.username == user)
        #expect(server.logsIn(user, userPassword))
        #expect(!server.logsIn(user, initial))
        #expect(server.logsIn(clone, clonePassword))
        #expect(try await self.versionStages(id) == [["AWSCURRENT"], ["AWSPREVIOUS"]])

        // Third: the clone gets a new password, and the previous one stops working.
        #expect(try await self.rotate(id, with: rotator) == .succeeded)
        let third = try await self.current(id)
        #expect(third.username == clone)
        #expect(server.logsIn(clone, try #require(third.password?.value)))
        #expect(!server.logsIn(clone, clonePassword))
        #expect(server.logsIn(user, userPassword))
        // Both engines receive only hashes: no generated password in the statement log.
        for generated in [clonePassword, userPassword, try #require(third.password?.value)] {
            #expect(try !server.logContains(generated))
        }
    }

    // MARK: Failures

    @Test(.needsPostgres) func theDatabaseDownDuringSetSecretIsRetriedAndCurrentKeepsWorking() async throws {
        let server = try DatabaseServer.require(.postgres, .postgres)
        let user = randomName()
        let initial = randomName(20)
        try self.createUser(server, user, initial)
        defer { self.dropUsers(server, user) }
        let forwarder = TCPForwarder(to: server.port)
        let id = try await self.createSecret(user, server.secretJSON(user: user, password: initial, port: forwarder.port))
        let engine = self.engine(attempts: 5)

        let first = try await self.rotate(id, with: "postgres-single-user", engine: engine)
        guard case .waiting = first else { Issue.record("expected a retry, got \(String(describing: first))"); return }
        let status = try #require(try await self.harness.status(self.manager, id))
        #expect(status.Step == "setSecret" && status.LastErrorClass == "network")
        #expect(server.logsIn(user, initial), "AWSCURRENT still logs in")
        #expect(try await self.current(id).password?.value == initial)

        try forwarder.start()
        defer { forwarder.stop() }
        self.harness.clock.advance(by: .seconds(61))
        #expect(try await engine.runDueRotations() == [.succeeded])
        let rotated = try #require(try await self.current(id).password?.value)
        #expect(server.logsIn(user, rotated, port: forwarder.port))
        #expect(!server.logsIn(user, initial))
        #expect(try await self.harness.status(self.manager, id)?.VersionId == status.VersionId)
    }

    @Test(.needsPostgres) func wrongMasterCredentialsFailWithoutChangingTheDatabase() async throws {
        let server = try DatabaseServer.require(.postgres, .postgres)
        let user = randomName()
        let initial = randomName(20)
        try self.createUser(server, user, initial)
        defer { self.dropUsers(server, user) }
        let master = try await self.createSecret("master-\(user)", server.secretJSON(user: server.user, password: "wrong-\(randomName())"))
        let id = try await self.createSecret(user, server.secretJSON(user: user, password: initial, extra: ["masterarn": master]))

        let outcome = try await self.rotate(id, with: "postgres-multi-user")
        guard case .failed(let failure) = outcome else { Issue.record("expected a failure, got \(String(describing: outcome))"); return }
        #expect(failure.step == .setSecret && failure.errorClass == .authentication)
        #expect(failure.message.contains("master secret"))
        let status = try #require(try await self.harness.status(self.manager, id))
        #expect(status.Status == "failed" && status.LastErrorClass == "authentication")
        // Nothing changed in the database: no clone, the user's password is the same.
        #expect(server.run("SELECT count(*) FROM pg_roles WHERE rolname = '\(user)_clone'") == "0")
        #expect(server.logsIn(user, initial))
        #expect(try await self.current(id).password?.value == initial)
    }

    @Test(.needsPostgres) func theSchedulerRotatesOnItsClock() async throws {
        let server = try DatabaseServer.require(.postgres, .postgres)
        let user = randomName()
        let initial = randomName(20)
        try self.createUser(server, user, initial)
        defer { self.dropUsers(server, user) }
        let wakeup = RotationWakeup()
        let manager = self.harness.manager(accepting: Set(Self.rotatorNames), wakeup: wakeup)
        let rotator = DatabaseRotator(driver: PostgresDriver(), strategy: .singleUser, manager: manager)
        let engine = RotationEngine(manager: manager, registry: RotatorRegistry(["postgres-single-user": rotator]), owner: "scheduler")
        let scheduler = RotationScheduler(engine: engine, clock: self.harness.clock, wakeup: wakeup, maximumIdle: .seconds(86_400 * 30))
        let id = try await manager.createSecret(
            CreateSecretRequest(Name: user, ClientRequestToken: UUID().uuidString, SecretString: Sensitive(server.secretJSON(user: user, password: initial))),
            context: self.harness.context
        ).ARN
        // Every day, at 06:00-08:00 UTC; RotateImmediately=false only tests the configuration now.
        _ = try await manager.rotateSecret(
            RotateSecretRequest(
                SecretId: id,
                RotationLambdaARN: "postgres-single-user",
                RotationRules: RotationRulesType(Duration: "2h", ScheduleExpression: "cron(0 6 * * ? *)"),
                RotateImmediately: false
            ),
            context: self.harness.context
        )
        let task = Task { try await scheduler.run() }
        defer { task.cancel() }
        #expect(try await eventually { try await self.harness.status(manager, id)?.Status == "succeeded" })
        #expect(try await self.current(id).password?.value == initial, "the test rotation changes nothing")
        let due = try #require(try await self.harness.describe(manager, id).NextRotationDate)
        #expect(UTCHour(due) >= 6 && UTCHour(due) < 8)
        self.harness.clock.advance(by: .seconds(Int64(due.timeIntervalSince(self.harness.clock.date)) + 1))
        #expect(try await eventually { try await self.harness.describe(manager, id).LastRotatedDate != nil })
        let rotated = try #require(try await self.current(id).password?.value)
        #expect(rotated != initial)
        #expect(server.logsIn(user, rotated))
        #expect(!server.logsIn(user, initial))
        task.cancel()
        _ = await task.result
    }
}

func UTCHour(_ date: Date) -> Int { Int(date.timeIntervalSince1970.truncatingRemainder(dividingBy: 86_400) / 3_600) }
