import Foundation
import LockstepCore

/// Prints a response as the aws CLI does: `--output json` (default) or `text`, after an optional `--query`.
struct OutputFormatter {
    enum Format: String {
        case json, text
    }

    var format: Format = .json
    var query: Query?

    func render(_ response: JSONValue) throws -> String {
        var value = response.withReadableDates()
        if let query { value = query.evaluate(value) }
        switch self.format {
        case .json:
            if case .object(let object) = value, object.isEmpty { return "" }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        case .text:
            return Self.text(value)
        }
    }

    /// The aws CLI's text output: scalars raw, lists of scalars tab-separated, one line per object.
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .null: return "None"
        case .bool(let bool): return bool ? "True" : "False"
        case .integer(let integer): return String(integer)
        case .number(let number): return String(number)
        case .string(let string): return string
        case .array(let array):
            if array.allSatisfy(\.isScalar) { return array.map(text).joined(separator: "\t") }
            return array.map(text).joined(separator: "\n")
        case .object(let object):
            let keys = object.keys.sorted()
            let scalars = keys.filter { object[$0]!.isScalar }.map { text(object[$0]!) }
            let nested = keys.filter { !object[$0]!.isScalar }.map { "\($0.uppercased())\t\(text(object[$0]!))" }
            return ([scalars.joined(separator: "\t")].filter { !$0.isEmpty } + nested).joined(separator: "\n")
        }
    }
}

extension JSONValue {
    var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }
}

/// The part of JMESPath people use with `--query`: `Name`, `SecretList[0].Name`, `SecretList[*].Name`,
/// `SecretList[].Name`, `VersionIdsToStages`.
struct Query {
    private enum Step {
        case field(String)
        case index(Int)
        case project
    }

    private let steps: [Step]

    init(_ expression: String) throws {
        var steps: [Step] = []
        var name = ""
        var characters = expression[...]
        func flush() {
            if !name.isEmpty { steps.append(.field(name)) }
            name = ""
        }
        while let character = characters.popFirst() {
            switch character {
            case ".":
                flush()
            case "[":
                flush()
                guard let close = characters.firstIndex(of: "]") else {
                    throw ArgumentTranslator.UsageError(description: "Bad value for --query: \(expression)")
                }
                let inside = characters[..<close].trimmingCharacters(in: .whitespaces)
                characters = characters[characters.index(after: close)...]
                if inside.isEmpty || inside == "*" {
                    steps.append(.project)
                } else if let index = Int(inside) {
                    steps.append(.index(index))
                } else {
                    throw ArgumentTranslator.UsageError(description: "Bad value for --query: \(expression)")
                }
            default:
                name.append(character)
            }
        }
        flush()
        self.steps = steps
    }

    func evaluate(_ value: JSONValue) -> JSONValue { Self.apply(self.steps[...], to: value) }

    private static func apply(_ steps: ArraySlice<Step>, to value: JSONValue) -> JSONValue {
        guard let step = steps.first else { return value }
        let rest = steps.dropFirst()
        switch step {
        case .field(let name):
            guard let next = value[name] else { return .null }
            return apply(rest, to: next)
        case .index(let index):
            guard case .array(let array) = value else { return .null }
            let position = index < 0 ? array.count + index : index
            guard array.indices.contains(position) else { return .null }
            return apply(rest, to: array[position])
        case .project:
            guard case .array(let array) = value else { return .null }
            return .array(array.map { apply(rest, to: $0) }.filter { $0 != .null })
        }
    }
}
