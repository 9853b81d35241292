public import Foundation

/// A rotator's `rotators/<name>/rotator.json`, parsed and checked (schema in `rotators/README.md`).
///
/// A pure value: parsing reads no files besides the JSON it is given, so every rule is unit-tested without a
/// folder on disk. The rotator's name is its folder's name, as a Lambda function's name is its own.
public struct RotatorManifest: Sendable, Hashable {
    /// How Lockstep runs the rotator.
    public enum Runtime: Sendable, Hashable {
        /// One of the rotators compiled into Lockstep; the manifest only documents it.
        case builtin
        /// Any executable: argv, the first element resolved against the rotator's folder when it is a path.
        case process(command: [String])
        /// A Python module's function called as an AWS Lambda handler (`module.function`).
        case pythonLambda(handler: String)
    }

    public var name: String
    public var runtime: Runtime
    /// How long one step may run before its process group is killed.
    public var timeout: Duration
    /// Extra variables for the child, on top of the clean environment Lockstep builds.
    public var environment: [String: String]
    public var description: String?
    /// The rotator's folder: the child's working directory, and what relative command paths resolve against.
    public var folder: URL

    public static let fileName = "rotator.json"
    public static let defaultHandler = "lambda_function.lambda_handler"
    public static let defaultTimeout: Duration = .seconds(30)
    /// AWS Lambda's own ceiling for one invocation.
    public static let maximumTimeoutSeconds: Double = 900

    /// Variables the manifest may not set: Lockstep owns them (the child's identity, endpoint and home) or they
    /// would change how the child is loaded behind Lockstep's back.
    public static let reservedVariables: Set<String> = [
        "HOME", "SECRETS_MANAGER_ENDPOINT", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_PROFILE", "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE", "LD_PRELOAD", "LD_LIBRARY_PATH",
    ]

    private static let commonKeys: Set<String> = ["name", "runtime", "timeout", "environment", "description"]
    private static let keysByRuntime: [String: Set<String>] = [
        "process": ["command"],
        "python-lambda": ["handler"],
        "builtin": ["engine", "strategy"],
    ]

    /// Parses `json`, the manifest of the rotator in `folder` (whose last component is the rotator's name).
    public init(json: Data, folder: URL) throws(RotatorManifestError) {
        let name = folder.lastPathComponent
        guard Self.isValidName(name) else {
            throw RotatorManifestError(name, "the folder name must be 1-64 letters, digits, hyphens or underscores (a Lambda function name)")
        }
        let fields: [String: ManifestJSON]
        do {
            guard case .object(let object) = try JSONDecoder().decode(ManifestJSON.self, from: json) else {
                throw RotatorManifestError(name, "the manifest must be a JSON object")
            }
            fields = object
        } catch let error as RotatorManifestError {
            throw error
        } catch {
            throw RotatorManifestError(name, "\(Self.fileName) is not valid JSON")
        }
        guard case .string(let runtimeName)? = fields["runtime"] else {
            throw RotatorManifestError(name, "\"runtime\" is required: \"process\", \"python-lambda\" or \"builtin\"")
        }
        guard let runtimeKeys = Self.keysByRuntime[runtimeName] else {
            throw RotatorManifestError(name, "unknown runtime \"\(runtimeName)\" (expected \"process\", \"python-lambda\" or \"builtin\")")
        }
        let allowed = Self.commonKeys.union(runtimeKeys)
        if let unknown = fields.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw RotatorManifestError(
                name,
                "unknown key \"\(unknown)\" for runtime \(runtimeName) (allowed: \(allowed.sorted().joined(separator: ", ")))"
            )
        }
        if let declared = fields["name"] {
            guard case .string(let text) = declared, text == name else {
                throw RotatorManifestError(name, "\"name\" must equal the folder name \(name)")
            }
        }
        self.name = name
        self.folder = folder
        self.runtime = try Self.runtime(runtimeName, fields, name: name)
        self.timeout = try Self.timeout(fields["timeout"], name: name)
        self.environment = try Self.environment(fields["environment"], name: name)
        switch fields["description"] {
        case nil: self.description = nil
        case .string(let text): self.description = text
        default: throw RotatorManifestError(name, "\"description\" must be a string")
        }
    }

    /// A Lambda function name: what a RotationLambdaARN can name.
    public static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || Self.isDigit($0) || $0 == "-" || $0 == "_") }
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    /// The timeout in seconds, as messages show it ("30", "2.5").
    public var timeoutText: String {
        let (seconds, attoseconds) = self.timeout.components
        guard attoseconds != 0 else { return String(seconds) }
        return String(Double(seconds) + Double(attoseconds) / 1e18)
    }

    // MARK: Fields

    private static func runtime(_ runtime: String, _ fields: [String: ManifestJSON], name: String) throws(RotatorManifestError) -> Runtime {
        switch runtime {
        case "builtin":
            return .builtin
        case "process":
            guard case .array(let items)? = fields["command"], !items.isEmpty else {
                throw RotatorManifestError(name, "\"command\" is required for the process runtime: a non-empty array of strings (argv)")
            }
            var command: [String] = []
            for item in items {
                guard case .string(let text) = item, !text.isEmpty, !text.utf8.contains(0) else {
                    throw RotatorManifestError(name, "every element of \"command\" must be a non-empty string")
                }
                command.append(text)
            }
            return .process(command: command)
        default:
            guard let value = fields["handler"] else { return .pythonLambda(handler: Self.defaultHandler) }
            guard case .string(let handler) = value, Self.isValidHandler(handler) else {
                throw RotatorManifestError(name, "\"handler\" must be \"module.function\" (Python identifiers), e.g. \(Self.defaultHandler)")
            }
            return .pythonLambda(handler: handler)
        }
    }

    /// `module.function`, the module possibly dotted (`package.module.function`).
    static func isValidHandler(_ handler: String) -> Bool {
        let parts = handler.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count >= 2
            && parts.allSatisfy { part in
                guard let first = part.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
                return part.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || Self.isDigit($0))) }
            }
    }

    private static func timeout(_ value: ManifestJSON?, name: String) throws(RotatorManifestError) -> Duration {
        guard let value else { return Self.defaultTimeout }
        guard case .number(let seconds) = value, seconds > 0, seconds <= Self.maximumTimeoutSeconds else {
            throw RotatorManifestError(name, "\"timeout\" must be a number of seconds above 0 and at most \(Int(Self.maximumTimeoutSeconds))")
        }
        return .milliseconds(Int64((seconds * 1_000).rounded()))
    }

    private static func environment(_ value: ManifestJSON?, name: String) throws(RotatorManifestError) -> [String: String] {
        guard let value else { return [:] }
        guard case .object(let object) = value else {
            throw RotatorManifestError(name, "\"environment\" must be an object of string values")
        }
        var environment: [String: String] = [:]
        for (key, item) in object {
            guard !key.isEmpty, !key.contains("="), !key.utf8.contains(0) else {
                throw RotatorManifestError(name, "environment variable name \"\(key)\" is not valid")
            }
            guard !Self.reservedVariables.contains(key), !key.hasPrefix("LOCKSTEP_") else {
                throw RotatorManifestError(name, "environment variable \(key) is set by Lockstep and can't be overridden")
            }
            guard case .string(let text) = item, !text.utf8.contains(0) else {
                throw RotatorManifestError(name, "environment variable \(key) must be a string")
            }
            environment[key] = text
        }
        return environment
    }
}

/// A manifest that can't be used, with the rotator's name and what to fix.
public struct RotatorManifestError: Error, Sendable, Hashable, CustomStringConvertible {
    public var rotator: String
    public var reason: String

    public init(_ rotator: String, _ reason: String) {
        self.rotator = rotator
        self.reason = reason
    }

    public var description: String { "rotator \(self.rotator): \(self.reason)" }
}

/// The JSON a manifest may hold, so each field's type is checked with a message that names it.
enum ManifestJSON: Decodable, Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([ManifestJSON])
    case object([String: ManifestJSON])
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([ManifestJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: ManifestJSON].self))
        }
    }
}
