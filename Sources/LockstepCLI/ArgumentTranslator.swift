import Foundation
import LockstepCore

/// Turns aws-CLI-style options into an operation's JSON request.
///
/// `--name db/app --secret-string '{...}' --tags Key=env,Value=prod Key=team,Value=a --force-delete-without-recovery`
/// becomes `{"Name": "db/app", "SecretString": "{...}", "Tags": [...], "ForceDeleteWithoutRecovery": true}`.
/// Values may be `file://PATH` (text) or, for blobs, `fileb://PATH` (bytes); lists and structures also take JSON.
struct ArgumentTranslator {
    /// A usage error; the message names options, never their values.
    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    let spec: OperationSpec
    /// Reads `file://` and `fileb://` arguments (tests substitute nothing: real files are used).
    var readFile: (String) throws -> Data = { path in
        guard let data = FileManager.default.contents(atPath: (path as NSString).expandingTildeInPath) else {
            throw UsageError(description: "Error parsing parameter: unable to load paramfile \(path)")
        }
        return data
    }

    /// Builds the request body from the operation's own arguments (global options already removed), over `base`
    /// (the `--cli-input-json` document, which options override).
    func request(from arguments: [String], base: [String: JSONValue] = [:]) throws -> [String: JSONValue] {
        var body = base
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--") else {
                // Name the position, not the text: a stray argument may well be a secret value.
                throw UsageError(description: "Unexpected argument at position \(index + 1): expected an option such as --secret-id")
            }
            var option = argument
            var inline: String?
            if let equals = argument.firstIndex(of: "=") {
                option = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            index += 1
            if option.hasPrefix("--no-"), let parameter = self.parameter("--" + option.dropFirst(5)), case .boolean = parameter.kind {
                body[parameter.member] = .bool(false)
                continue
            }
            guard let parameter = self.parameter(option) else {
                throw UsageError(description: "Unknown option \(option) for \(self.spec.command). See `lockstep \(self.spec.command) --help`.")
            }
            if case .boolean = parameter.kind {
                body[parameter.member] = .bool(inline.map { $0 != "false" } ?? true)
                continue
            }
            var values: [String] = inline.map { [$0] } ?? []
            if inline == nil {
                if parameter.takesMany {
                    while index < arguments.count, !self.isOption(arguments[index]) {
                        values.append(arguments[index])
                        index += 1
                    }
                } else if index < arguments.count {
                    values.append(arguments[index])
                    index += 1
                }
            }
            guard !values.isEmpty else { throw UsageError(description: "Expected a value for \(option)") }
            body[parameter.member] = try self.value(values, for: parameter)
        }
        for parameter in self.spec.parameters {
            if parameter.idempotencyToken, body[parameter.member] == nil {
                body[parameter.member] = .string(UUID().uuidString.lowercased())
            }
            if parameter.required, body[parameter.member] == nil {
                throw UsageError(description: "the following arguments are required: \(parameter.option)")
            }
        }
        return body
    }

    private func isOption(_ argument: String) -> Bool {
        argument.hasPrefix("--") && argument.count > 2 && argument.dropFirst(2).first?.isLetter == true
    }

    private func parameter(_ option: String) -> OperationSpec.Parameter? {
        self.spec.parameters.first { $0.option == option }
    }

    private func value(_ values: [String], for parameter: OperationSpec.Parameter) throws -> JSONValue {
        switch parameter.kind {
        case .string:
            return .string(try self.text(values[0]))
        case .integer:
            guard let integer = Int64(values[0]) else { throw UsageError(description: "invalid literal for int(): \(parameter.option)") }
            return .integer(integer)
        case .boolean:
            return .bool(true)
        case .blob:
            let argument = values[0]
            let bytes = argument.hasPrefix("fileb://") ? try self.readFile(String(argument.dropFirst(8))) : Data(try self.text(argument).utf8)
            return .string(bytes.base64EncodedString())
        case .stringList:
            if values.count == 1, let json = try self.json(values[0]), case .array = json { return json }
            return .array(values.map(JSONValue.string))
        case .structureList(let members):
            if values.count == 1, let json = try self.json(values[0]) {
                if case .array = json { return json }
                return .array([json])
            }
            return .array(try values.map { try Self.shorthand($0, members: members, option: parameter.option) })
        case .structure(let members, let integers):
            if let json = try self.json(values[0]) { return json }
            return try Self.structure(values[0], members: members, integers: integers, option: parameter.option)
        }
    }

    /// `AutomaticallyAfterDays=30,Duration=2h` → `{"AutomaticallyAfterDays": 30, "Duration": "2h"}`. A piece
    /// without `=` continues the previous value (`ScheduleExpression=cron(0 16 1,15 * ? *)`).
    static func structure(_ text: String, members: [String], integers: Set<String>, option: String) throws -> JSONValue {
        var pairs: [(String, String)] = []
        for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
            if let equals = piece.firstIndex(of: "="), members.contains(String(piece[..<equals])) {
                pairs.append((String(piece[..<equals]), String(piece[piece.index(after: equals)...])))
            } else if let last = pairs.popLast() {
                pairs.append((last.0, last.1 + "," + piece))
            } else {
                throw UsageError(description: "Error parsing parameter \(option): expected \(members.map { "\($0)=..." }.joined(separator: ","))")
            }
        }
        var object: [String: JSONValue] = [:]
        for (key, value) in pairs {
            if integers.contains(key) {
                guard let number = Int64(value) else { throw UsageError(description: "invalid literal for int(): \(key)") }
                object[key] = .integer(number)
            } else {
                object[key] = .string(value)
            }
        }
        return .object(object)
    }

    private func text(_ argument: String) throws -> String {
        guard argument.hasPrefix("file://") else { return argument }
        let data = try self.readFile(String(argument.dropFirst(7)))
        guard let string = String(data: data, encoding: .utf8) else { throw UsageError(description: "\(argument) is not UTF-8 text") }
        return string
    }

    private func json(_ argument: String) throws -> JSONValue? {
        let text = try self.text(argument)
        guard let first = text.first(where: { !$0.isWhitespace }), first == "[" || first == "{" else { return nil }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            throw UsageError(description: "Error parsing parameter: invalid JSON")
        }
    }

    /// `Key=env,Value=prod` → `{"Key": "env", "Value": "prod"}`; `Key=name,Values=a,b` → `Values: ["a", "b"]`
    /// (members named in the plural take the comma-separated rest as a list).
    static func shorthand(_ text: String, members: [String], option: String) throws -> JSONValue {
        var object: [String: JSONValue] = [:]
        var currentKey: String?
        for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
            if let equals = piece.firstIndex(of: "="), members.contains(String(piece[..<equals])) {
                let key = String(piece[..<equals])
                let value = String(piece[piece.index(after: equals)...])
                object[key] = key.hasSuffix("s") && key != "Status" ? .array([.string(value)]) : .string(value)
                currentKey = key
            } else if let key = currentKey, case .array(var list)? = object[key] {
                list.append(.string(String(piece)))
                object[key] = .array(list)
            } else if let key = currentKey, case .string(let value)? = object[key] {
                object[key] = .string(value + "," + piece)
            } else {
                throw UsageError(description: "Error parsing parameter \(option): expected \(members.map { "\($0)=..." }.joined(separator: ","))")
            }
        }
        return .object(object)
    }
}

extension OperationSpec.Parameter {
    var takesMany: Bool {
        switch self.kind {
        case .stringList, .structureList: true
        default: false
        }
    }
}
