import Foundation
import LockstepCore

/// A condition context key such as `aws:SourceIp` or `secretsmanager:ResourceTag/env`.
///
/// Key names are case-insensitive, so the prefix is kept lower-cased (``canonical``); the tag key after
/// `ResourceTag/` or `RequestTag/` keeps its case, because tag keys are case-sensitive.
public struct ConditionKey: Sendable, Hashable, CustomStringConvertible {
    public let description: String
    /// `aws:sourceip`, `aws:resourcetag/Env`.
    public let canonical: String
    /// The tag key of `aws:ResourceTag/<k>`, `secretsmanager:ResourceTag/<k>` and `aws:RequestTag/<k>`.
    public let tagKey: String?
    public let readsResourceTags: Bool

    public init(_ name: String) {
        self.description = name
        if let slash = name.firstIndex(of: "/") {
            let prefix = name[..<slash].lowercased()
            let tag = String(name[name.index(after: slash)...])
            self.canonical = prefix + "/" + tag
            self.tagKey = tag
            self.readsResourceTags = prefix == "aws:resourcetag" || prefix == "secretsmanager:resourcetag"
        } else {
            self.canonical = name.lowercased()
            self.tagKey = nil
            self.readsResourceTags = false
        }
    }
}

/// What a condition reads: the values of a key in the request (nil when the request doesn't have the key).
public protocol ConditionContext {
    func values(for key: ConditionKey) -> [String]?
}

/// One `"Operator": {"key": values}` entry of a statement's Condition block, compiled.
public struct Condition: Sendable, Hashable {
    public enum Qualifier: String, Sendable, Hashable {
        case none = ""
        case forAnyValue = "ForAnyValue"
        case forAllValues = "ForAllValues"
    }

    enum Comparison: Sendable, Hashable {
        case equals
        case lessThan
        case lessThanEquals
        case greaterThan
        case greaterThanEquals

        func holds<T: Comparable>(_ request: T, _ policy: T) -> Bool {
            switch self {
            case .equals: return request == policy
            case .lessThan: return request < policy
            case .lessThanEquals: return request <= policy
            case .greaterThan: return request > policy
            case .greaterThanEquals: return request >= policy
            }
        }
    }

    /// The operator family with its compiled policy values.
    enum Test: Sendable, Hashable {
        case string([PolicyText])
        /// Fixed values are kept lower-cased.
        case stringIgnoreCase([PolicyText])
        case stringLike([PolicyPattern])
        case numeric(Comparison, [Double])
        case date(Comparison, [Date])
        case bool([String])
        case ip([IPAddressRange])
        case arn([[PolicyPattern]])
        case null([Bool])
    }

    public let operatorName: String
    public let key: ConditionKey
    public let qualifier: Qualifier
    public let ifExists: Bool
    let negated: Bool
    let test: Test

    /// Evaluates against the request: true when the condition holds.
    public func holds(in context: some ConditionContext) -> Bool {
        let values = context.values(for: self.key)
        if case .null(let expectAbsent) = self.test {
            let absent = values?.isEmpty ?? true
            return expectAbsent.contains(absent)
        }
        guard let values, !values.isEmpty else {
            if self.ifExists { return true }
            switch self.qualifier {
            case .forAllValues: return true
            case .forAnyValue: return false
            // A missing key never equals anything: positive operators fail, negated ones hold (as in IAM).
            case .none: return self.negated
            }
        }
        switch self.qualifier {
        case .forAllValues: return values.allSatisfy { self.single($0, context) }
        case .forAnyValue: return values.contains { self.single($0, context) }
        case .none: return self.negated ? values.allSatisfy { self.single($0, context) } : values.contains { self.single($0, context) }
        }
    }

    /// One request value against the policy values: any match (then negated for the `Not` operators).
    /// Policy values with a variable the request can't fill in match nothing.
    private func single(_ value: String, _ context: some ConditionContext) -> Bool {
        let hit: Bool
        switch self.test {
        case .string(let expected): hit = expected.contains { $0.value(in: context) == value }
        case .stringIgnoreCase(let expected):
            let lowered = value.lowercased()
            hit = expected.contains { $0.value(in: context)?.lowercased() == lowered }
        case .stringLike(let patterns): hit = patterns.contains { $0.matches(value, context: context) }
        case .numeric(let comparison, let expected):
            guard let number = Double(value) else { return false }
            hit = expected.contains { comparison.holds(number, $0) }
        case .date(let comparison, let expected):
            guard let date = Self.parseDate(value) else { return false }
            hit = expected.contains { comparison.holds(date, $0) }
        case .bool(let expected): hit = expected.contains(value.lowercased())
        case .ip(let ranges):
            guard let address = IPAddressRange.parseAddress(value) else { return false }
            hit = ranges.contains { $0.contains(address) }
        case .arn(let patterns):
            let parts = Self.arnParts(value)
            hit = patterns.contains { pattern in
                pattern.count == parts.count && zip(pattern, parts).allSatisfy { $0.matches($1, context: context) }
            }
        case .null: hit = false
        }
        return self.negated ? !hit : hit
    }

    static func arnParts(_ arn: String) -> [String] {
        arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
    }

    /// An ARN pattern's six fields; with `skippingVariables`, colons inside `${...}` don't separate fields.
    static func arnParts(_ arn: String, skippingVariables: Bool) -> [String] {
        guard skippingVariables, arn.contains("${") else { return Self.arnParts(arn) }
        var parts: [String] = []
        var current = ""
        var inVariable = false
        for character in arn {
            if character == ":", !inVariable, parts.count < 5 {
                parts.append(current)
                current = ""
                continue
            }
            current.append(character)
            if current.hasSuffix("${") { inVariable = true } else if character == "}" { inVariable = false }
        }
        parts.append(current)
        return parts
    }

    /// ISO 8601 (with or without fractional seconds) or epoch seconds, as IAM accepts.
    static func parseDate(_ text: String) -> Date? {
        if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        if let date = UTCDate.parseISO8601(text) { return date }
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = fractional.date(from: text) { return date }
        let dayOnly = ISO8601DateFormatter()
        dayOnly.formatOptions = [.withFullDate]
        return dayOnly.date(from: text)
    }
}

extension Condition {
    /// Parses a statement's `Condition` block: `{"Operator": {"key": value-or-values}, ...}`.
    static func parseBlock(_ raw: JSONValue, statement: String, variables: Bool) throws(PolicyError) -> [Condition] {
        guard case .object(let operators) = raw else { throw PolicyError("\(statement).Condition must be an object.") }
        var result: [Condition] = []
        for (name, block) in operators.sorted(by: { $0.key < $1.key }) {
            guard case .object(let keys) = block, !keys.isEmpty else {
                throw PolicyError("\(statement).Condition.\(name) must be an object of condition keys.")
            }
            for (key, values) in keys.sorted(by: { $0.key < $1.key }) {
                result.append(try Condition(operator: name, key: key, values: values, statement: statement, variables: variables))
            }
        }
        return result
    }

    init(operator name: String, key: String, values raw: JSONValue, statement: String, variables: Bool) throws(PolicyError) {
        let location = "\(statement).Condition.\(name)"
        var base = Substring(name)
        var qualifier = Qualifier.none
        for candidate in [Qualifier.forAnyValue, .forAllValues] where base.hasPrefix(candidate.rawValue + ":") {
            qualifier = candidate
            base = base.dropFirst(candidate.rawValue.count + 1)
        }
        var ifExists = false
        if base.hasSuffix("IfExists") {
            ifExists = true
            base = base.dropLast("IfExists".count)
        }
        guard key.contains(":"), !key.hasPrefix(":"), !key.hasSuffix(":") else {
            throw PolicyError("\(location) has an invalid condition key \(key) (expected prefix:name, e.g. aws:SourceIp).")
        }
        var texts: [String] = []
        switch raw {
        case .array(let list) where !list.isEmpty:
            for element in list {
                guard let text = element.scalarText else { throw PolicyError("\(location).\(key) must be a value or a list of values.") }
                texts.append(text)
            }
        default:
            guard let text = raw.scalarText else { throw PolicyError("\(location).\(key) must be a value or a list of values.") }
            texts = [text]
        }
        func numbers() throws(PolicyError) -> [Double] {
            var result: [Double] = []
            for text in texts {
                guard let number = Double(text) else { throw PolicyError("\(location).\(key): \(text) is not a number.") }
                result.append(number)
            }
            return result
        }
        func dates() throws(PolicyError) -> [Date] {
            var result: [Date] = []
            for text in texts {
                guard let date = Condition.parseDate(text) else {
                    throw PolicyError("\(location).\(key): \(text) is not a date (ISO 8601 or epoch seconds).")
                }
                result.append(date)
            }
            return result
        }
        let comparisons: [(String, Comparison, Bool)] = [
            ("Equals", .equals, false), ("NotEquals", .equals, true), ("LessThan", .lessThan, false),
            ("LessThanEquals", .lessThanEquals, false), ("GreaterThan", .greaterThan, false),
            ("GreaterThanEquals", .greaterThanEquals, false),
        ]
        func strings(lowercased: Bool = false) throws(PolicyError) -> [PolicyText] {
            var result: [PolicyText] = []
            for text in texts {
                let value = try PolicyText(text, variables: variables, location: "\(location).\(key)")
                result.append(lowercased && !value.isTemplate ? .fixed(text.lowercased()) : value)
            }
            return result
        }
        func patterns(_ texts: [String]) throws(PolicyError) -> [PolicyPattern] {
            var result: [PolicyPattern] = []
            for text in texts { result.append(try PolicyPattern(text, variables: variables, location: "\(location).\(key)")) }
            return result
        }
        var negated = false
        let test: Test
        switch base {
        case "StringEquals": test = .string(try strings())
        case "StringNotEquals": (test, negated) = (.string(try strings()), true)
        case "StringEqualsIgnoreCase": test = .stringIgnoreCase(try strings(lowercased: true))
        case "StringNotEqualsIgnoreCase": (test, negated) = (.stringIgnoreCase(try strings(lowercased: true)), true)
        case "StringLike": test = .stringLike(try patterns(texts))
        case "StringNotLike": (test, negated) = (.stringLike(try patterns(texts)), true)
        case "Bool":
            guard texts.allSatisfy({ ["true", "false"].contains($0.lowercased()) }) else {
                throw PolicyError("\(location).\(key) must be true or false.")
            }
            test = .bool(texts.map { $0.lowercased() })
        case "IpAddress", "NotIpAddress":
            var ranges: [IPAddressRange] = []
            for text in texts {
                guard let range = IPAddressRange(cidr: text) else {
                    throw PolicyError("\(location).\(key): \(text) is not an IP address or CIDR range.")
                }
                ranges.append(range)
            }
            (test, negated) = (.ip(ranges), base == "NotIpAddress")
        case "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike":
            var arns: [[PolicyPattern]] = []
            for text in texts {
                // A variable's own colon (${aws:PrincipalAccount}) doesn't separate ARN fields.
                let parts = text == "*" ? Array(repeating: "*", count: 6) : Condition.arnParts(text, skippingVariables: variables)
                guard parts.count == 6 else {
                    throw PolicyError("\(location).\(key): \(text) is not an ARN (arn:partition:service:region:account:resource).")
                }
                arns.append(try patterns(parts))
            }
            (test, negated) = (.arn(arns), base.contains("Not"))
        case "Null":
            guard qualifier == .none, !ifExists, texts.allSatisfy({ ["true", "false"].contains($0.lowercased()) }) else {
                throw PolicyError("\(location).\(key) must be true or false, without qualifiers.")
            }
            test = .null(texts.map { $0.lowercased() == "true" })
        default:
            if base.hasPrefix("Numeric"), let match = comparisons.first(where: { "Numeric" + $0.0 == base }) {
                (test, negated) = (.numeric(match.1, try numbers()), match.2)
            } else if base.hasPrefix("Date"), let match = comparisons.first(where: { "Date" + $0.0 == base }) {
                (test, negated) = (.date(match.1, try dates()), match.2)
            } else {
                throw PolicyError("\(statement).Condition has an unknown operator \(name).")
            }
        }
        self.operatorName = name
        self.key = ConditionKey(key)
        self.qualifier = qualifier
        self.ifExists = ifExists
        self.negated = negated
        self.test = test
    }
}
