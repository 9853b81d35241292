public import LockstepCore
import Foundation

/// A database secret's JSON with AWS's keys (spec §2.3): `engine`, `host`, `port`, `username`, `password`,
/// `dbname`, `masterarn`, `ssl`. Every other key is kept as it is, so a rotation carries it into the new version.
public struct DatabaseSecret: Sendable, Hashable {
    public private(set) var fields: [String: JSONValue]

    /// Parses a SecretString. Throws a validation message that never quotes the value.
    public init(json: String) throws(DatabaseError) {
        guard let object = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)),
            case .object(let fields) = object
        else { throw DatabaseError(.validation, "The secret value is not a JSON object.") }
        self.fields = fields
    }

    public var engine: String? { self.string("engine") }
    public var host: String? { self.string("host") }
    public var username: String? { self.string("username") }
    public var password: Sensitive<String>? { self.string("password").map(Sensitive.init) }
    public var database: String? { self.string("dbname") }
    /// The ARN of the master secret (alternating users).
    public var masterARN: String? { self.string("masterarn") }

    /// `port` as a number or a numeric string.
    public var port: Int? {
        switch self.fields["port"] {
        case .integer(let value): Int(exactly: value)
        case .number(let value): Int(exactly: value)
        case .string(let value): Int(value.trimmingCharacters(in: .whitespaces))
        default: nil
        }
    }

    /// `ssl`: a JSON bool or a "true"/"false" string is obeyed; absent or anything else means "try TLS".
    public var tls: DatabaseTLS {
        switch self.fields["ssl"] {
        case .bool(let value): value ? .required : .disabled
        case .string(let value) where value.lowercased() == "true": .required
        case .string(let value) where value.lowercased() == "false": .disabled
        default: .preferred
        }
    }

    /// Checks the keys every database rotation needs, in AWS's words ("<key> key is missing from secret JSON").
    public func validate(requiring keys: [String] = ["host", "username", "password"]) throws(DatabaseError) {
        for key in keys where self.string(key)?.isEmpty ?? true {
            throw DatabaseError(.validation, "\(key) key is missing from secret JSON")
        }
    }

    /// The login this secret describes, with the driver's defaults for port and database.
    public func credentials(for driver: any DatabaseDriver) throws(DatabaseError) -> DatabaseCredentials {
        try self.validate()
        guard let host, let username, let password else {
            throw DatabaseError(.validation, "host, username and password keys are required in secret JSON")
        }
        if self.fields["port"] != nil, self.port == nil {
            throw DatabaseError(.validation, "port must be a number in secret JSON")
        }
        return DatabaseCredentials(
            host: host,
            port: self.port ?? driver.defaultPort,
            username: username,
            password: password,
            database: self.database ?? driver.defaultDatabase,
            tls: self.tls
        )
    }

    /// Throws unless `engine` names one of the driver's engines (AWS's message).
    public func checkEngine(for driver: any DatabaseDriver, required: Bool) throws(DatabaseError) {
        guard let engine else {
            if required { throw DatabaseError(.validation, "engine key is missing from secret JSON") }
            return
        }
        guard driver.engines.contains(engine) else {
            let names = driver.engines.sorted().map { "'\($0)'" }.joined(separator: " or ")
            throw DatabaseError(.validation, "Database engine must be set to \(names) in order to use this rotation function")
        }
    }

    /// This secret with a new password (and user name): every other key is kept.
    public func replacing(username: String? = nil, password: Sensitive<String>) -> DatabaseSecret {
        var copy = self
        if let username { copy.fields["username"] = .string(username) }
        copy.fields["password"] = .string(password.value)
        return copy
    }

    /// This secret with `key` set (the master secret takes the rotated secret's `dbname`).
    public func setting(_ key: String, to value: String?) -> DatabaseSecret {
        var copy = self
        copy.fields[key] = value.map(JSONValue.string)
        return copy
    }

    /// The JSON text to store, keys sorted so equal secrets give equal text.
    public var json: Sensitive<String> {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(JSONValue.object(self.fields))) ?? Data("{}".utf8)
        return Sensitive(String(decoding: data, as: UTF8.self))
    }

    private func string(_ key: String) -> String? {
        if case .string(let value) = self.fields[key] { return value }
        return nil
    }
}

extension DatabaseSecret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "DatabaseSecret(<redacted>)" }
    public var debugDescription: String { self.description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// The alternating-users naming rule (AWS's templates): `name` ↔ `name_clone`.
public enum AlternateUser {
    public static let suffix = "_clone"

    public static func of(_ username: String) -> String {
        username.hasSuffix(suffix) ? String(username.dropLast(suffix.count)) : username + suffix
    }
}
