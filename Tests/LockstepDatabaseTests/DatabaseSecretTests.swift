import LockstepCore
import LockstepDatabase
import Testing

/// A driver with fixed defaults: DatabaseSecret only reads its defaults and engine names.
struct DefaultsDriver: DatabaseDriver {
    var engines: Set<String> { ["postgres", "aurora-postgresql"] }
    var defaultPort: Int { 5432 }
    var defaultDatabase: String? { "postgres" }
    var excludedPasswordCharacters: String { ":/@\"'\\" }
    var maximumUserNameLength: Int { 63 }
    func connect(_ credentials: DatabaseCredentials, timeouts: DatabaseTimeouts) async throws(DatabaseError) -> any DatabaseSession {
        throw DatabaseError(.network, "no connections in unit tests")
    }
}

@Suite struct DatabaseSecretTests {
    let driver = DefaultsDriver()

    @Test func readsAWSsKeysWithDefaults() throws {
        let secret = try DatabaseSecret(json: #"{"engine":"postgres","host":"db","username":"app","password":"pw"}"#)
        let login = try secret.credentials(for: self.driver)
        #expect(login == DatabaseCredentials(host: "db", port: 5432, username: "app", password: "pw", database: "postgres", tls: .preferred))
    }

    @Test(arguments: [(#""port":6543"#, 6543), (#""port":"6543""#, 6543), (#""port":" 7 ""#, 7)])
    func portIsANumberOrANumericString(_ member: String, _ port: Int) throws {
        let secret = try DatabaseSecret(json: #"{"host":"h","username":"u","password":"p",\#(member)}"#)
        #expect(try secret.credentials(for: self.driver).port == port)
    }

    @Test func aPortThatIsNotANumberIsAValidationError() throws {
        let secret = try DatabaseSecret(json: #"{"host":"h","username":"u","password":"p","port":"five"}"#)
        #expect(throws: DatabaseError(.validation, "port must be a number in secret JSON")) { try secret.credentials(for: self.driver) }
    }

    @Test(arguments: [
        (#"true"#, DatabaseTLS.required), (#"false"#, .disabled), (#""TRUE""#, .required), (#""False""#, .disabled),
        (#""maybe""#, .preferred), (#"1"#, .preferred), (#"null"#, .preferred),
    ])
    func sslIsTriState(_ value: String, _ expected: DatabaseTLS) throws {
        #expect(try DatabaseSecret(json: #"{"ssl":\#(value)}"#).tls == expected)
        #expect(try DatabaseSecret(json: "{}").tls == .preferred)
    }

    @Test(arguments: ["host", "username", "password"])
    func missingKeysAreNamedInAWSsWords(_ key: String) throws {
        var fields = ["host": "h", "username": "u", "password": "p"]
        fields[key] = nil
        let json = "{" + fields.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",") + "}"
        #expect(throws: DatabaseError(.validation, "\(key) key is missing from secret JSON")) {
            try DatabaseSecret(json: json).validate()
        }
    }

    @Test func theEngineMustBeOneOfTheDriversWhenGivenOrRequired() throws {
        try DatabaseSecret(json: #"{"engine":"aurora-postgresql"}"#).checkEngine(for: self.driver, required: true)
        try DatabaseSecret(json: "{}").checkEngine(for: self.driver, required: false)
        #expect(throws: DatabaseError.self) { try DatabaseSecret(json: "{}").checkEngine(for: self.driver, required: true) }
        #expect(throws: DatabaseError.self) { try DatabaseSecret(json: #"{"engine":"mysql"}"#).checkEngine(for: self.driver, required: false) }
    }

    @Test func aNewVersionKeepsEveryOtherKey() throws {
        let secret = try DatabaseSecret(
            json: #"{"engine":"postgres","host":"h","port":5432,"username":"app","password":"old","masterarn":"arn:m","dbInstanceIdentifier":"db-1","ssl":true,"nested":{"a":[1,2]}}"#
        )
        let rotated = try DatabaseSecret(json: secret.replacing(username: "app_clone", password: "new").json.value)
        #expect(rotated.username == "app_clone" && rotated.password?.value == "new")
        var expected = secret.fields
        expected["username"] = .string("app_clone")
        expected["password"] = .string("new")
        #expect(rotated.fields == expected)
    }

    @Test func neitherTheSecretNorItsErrorsPrintTheValue() throws {
        let secret = try DatabaseSecret(json: #"{"username":"u","password":"hunter2"}"#)
        #expect(!"\(secret)".contains("hunter2") && !String(reflecting: secret).contains("hunter2"))
        #expect(throws: DatabaseError(.validation, "The secret value is not a JSON object.")) { try DatabaseSecret(json: "hunter2") }
    }

    @Test(arguments: [("app", "app_clone"), ("app_clone", "app"), ("a_clone_clone", "a_clone"), ("_clone", "")])
    func alternateUsersFlipTheCloneSuffix(_ user: String, _ alternate: String) {
        #expect(AlternateUser.of(user) == alternate)
    }
}
