import Foundation
import LockstepCore

/// An IAM policy document, parsed and checked: identity policies (attached to users, roles and sessions) and
/// resource policies (attached to a secret).
///
/// Parsing compiles the document (wildcards, condition operators, principals), so evaluation does no string
/// parsing: identities keep their compiled policies in the credential cache.
public struct PolicyDocument: Sendable, Hashable {
    /// Where a document is used: a resource policy must name principals, an identity policy must not; a role's
    /// trust policy names principals and may leave out Resource (it is about the role).
    public enum Kind: Sendable, Hashable {
        case identity
        case resource
        case trust
    }

    public enum Effect: String, Sendable, Hashable {
        case allow = "Allow"
        case deny = "Deny"
    }

    /// Who a resource-policy statement is about.
    public enum PrincipalMatcher: Sendable, Hashable {
        /// `"*"` or `{"AWS": "*"}`: everyone, authenticated or not.
        case everyone
        /// `{"AWS": "123456789012"}` or `arn:aws:iam::123456789012:root`: any principal of the account.
        case account(String)
        /// A user, role or assumed-role session ARN (a role ARN also matches that role's sessions).
        case arn(String)
        /// `{"Service": "secretsmanager.amazonaws.com"}`.
        case service(String)
    }

    /// A list of patterns, or its complement (`NotAction`, `NotResource`).
    public struct PatternSet: Sendable, Hashable {
        public var patterns: [PolicyPattern]
        public var negated: Bool

        func matches(_ value: String, lowercased: Bool = false, context: some ConditionContext) -> Bool {
            self.patterns.contains { $0.matches(value, lowercased: lowercased, context: context) } != self.negated
        }
    }

    public struct Statement: Sendable, Hashable {
        public var sid: String?
        public var effect: Effect
        /// nil in identity policies. `negated` for NotPrincipal.
        public var principals: [PrincipalMatcher]?
        public var principalsNegated: Bool
        public var actions: PatternSet
        public var resources: PatternSet
        public var conditions: [Condition]
    }

    public var version: String?
    public var statements: [Statement]
    public let kind: Kind

    /// True when some statement reads a condition key that needs the secret's tags.
    public let readsResourceTags: Bool

    /// Parses and checks a document.
    ///
    /// - Throws: ``PolicyError`` naming what is wrong (shown to callers as MalformedPolicyDocumentException).
    public init(parsing text: String, kind: Kind) throws(PolicyError) {
        guard text.utf8.count <= 20_480 else { throw PolicyError("The policy document is longer than 20480 characters.") }
        let json: JSONValue
        do {
            json = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            throw PolicyError("The policy document is not valid JSON.")
        }
        try self.init(json: json, kind: kind)
    }

    init(json: JSONValue, kind: Kind) throws(PolicyError) {
        guard case .object(let members) = json else { throw PolicyError("The policy document must be a JSON object.") }
        self.kind = kind
        for key in members.keys where !["Version", "Id", "Statement"].contains(key) {
            throw PolicyError("Unknown policy element \(key); expected Version, Id and Statement.")
        }
        switch members["Version"] {
        case nil: self.version = nil
        case .string(let version) where version == "2012-10-17" || version == "2008-10-17": self.version = version
        default: throw PolicyError("Version must be \"2012-10-17\" or \"2008-10-17\".")
        }
        let rawStatements: [JSONValue]
        switch members["Statement"] {
        case .array(let list)?: rawStatements = list
        case .object(let one)?: rawStatements = [.object(one)]
        default: throw PolicyError("The policy document must have a Statement (an object or a list of objects).")
        }
        guard !rawStatements.isEmpty else { throw PolicyError("Statement must not be empty.") }
        var statements: [Statement] = []
        var sids = Set<String>()
        for (index, raw) in rawStatements.enumerated() {
            // Policy variables (${aws:username}) exist in grammar 2012-10-17 only; before it they are plain text.
            let statement = try Self.statement(raw, index: index, kind: kind, variables: self.version == "2012-10-17")
            if let sid = statement.sid {
                guard sids.insert(sid).inserted else { throw PolicyError("Statement ids (Sid) must be unique: \(sid) is repeated.") }
            }
            statements.append(statement)
        }
        self.statements = statements
        self.readsResourceTags = statements.contains { $0.conditions.contains { $0.key.readsResourceTags } }
    }

    private static func statement(_ raw: JSONValue, index: Int, kind: Kind, variables: Bool) throws(PolicyError) -> Statement {
        let name = "Statement[\(index)]"
        guard case .object(let members) = raw else { throw PolicyError("\(name) must be an object.") }
        let known: Set<String> = ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]
        for key in members.keys where !known.contains(key) { throw PolicyError("\(name) has an unknown element \(key).") }
        var sid: String?
        if let raw = members["Sid"] {
            guard case .string(let value) = raw, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw PolicyError("\(name).Sid must be a string of letters and digits.")
            }
            sid = value
        }
        let effect: Effect
        switch members["Effect"] {
        case .string(let value)? where Effect(rawValue: value) != nil: effect = Effect(rawValue: value)!
        case nil: throw PolicyError("\(name) is missing Effect (Allow or Deny).")
        default: throw PolicyError("\(name).Effect must be Allow or Deny.")
        }
        let (principals, principalsNegated) = try Self.principals(members, name: name, kind: kind)
        let actions = try Self.patterns(
            members,
            positive: "Action",
            negative: "NotAction",
            name: name,
            caseInsensitive: true,
            variables: false
        ) { action in
            action == "*" || (action.split(separator: ":", maxSplits: 1).count == 2 && !action.hasPrefix(":"))
        }
        let resources =
            kind == .trust && members["Resource"] == nil && members["NotResource"] == nil
            ? PatternSet(patterns: [.fixed(WildcardPattern("*"))], negated: false)
            : try Self.patterns(
                members,
                positive: "Resource",
                negative: "NotResource",
                name: name,
                caseInsensitive: false,
                variables: variables
            ) { $0 == "*" || $0.hasPrefix("arn:") }
        var conditions: [Condition] = []
        if let raw = members["Condition"] {
            conditions = try Condition.parseBlock(raw, statement: name, variables: variables)
        }
        return Statement(
            sid: sid,
            effect: effect,
            principals: principals,
            principalsNegated: principalsNegated,
            actions: actions,
            resources: resources,
            conditions: conditions
        )
    }

    private static func strings(_ raw: JSONValue, name: String) throws(PolicyError) -> [String] {
        switch raw {
        case .string(let value): return [value]
        case .array(let list) where !list.isEmpty:
            var result: [String] = []
            for element in list {
                guard case .string(let value) = element else { throw PolicyError("\(name) must be a string or a list of strings.") }
                result.append(value)
            }
            return result
        default: throw PolicyError("\(name) must be a string or a non-empty list of strings.")
        }
    }

    private static func patterns(
        _ members: [String: JSONValue],
        positive: String,
        negative: String,
        name: String,
        caseInsensitive: Bool,
        variables: Bool,
        isValid: (String) -> Bool
    ) throws(PolicyError) -> PatternSet {
        switch (members[positive], members[negative]) {
        case (.some, .some): throw PolicyError("\(name) can't have both \(positive) and \(negative).")
        case (nil, nil): throw PolicyError("\(name) must have \(positive) or \(negative).")
        case (let raw?, nil), (nil, let raw?):
            let element = members[positive] != nil ? positive : negative
            let values = try Self.strings(raw, name: "\(name).\(element)")
            for value in values where !isValid(value) {
                throw PolicyError("\(name).\(element) has an invalid value \(value).")
            }
            var patterns: [PolicyPattern] = []
            for value in values {
                patterns.append(try PolicyPattern(value, caseInsensitive: caseInsensitive, variables: variables, location: "\(name).\(element)"))
            }
            return PatternSet(patterns: patterns, negated: element == negative)
        }
    }

    private static func principals(
        _ members: [String: JSONValue],
        name: String,
        kind: Kind
    ) throws(PolicyError) -> ([PrincipalMatcher]?, Bool) {
        let raw: JSONValue
        let negated: Bool
        switch (members["Principal"], members["NotPrincipal"]) {
        case (.some, .some): throw PolicyError("\(name) can't have both Principal and NotPrincipal.")
        case (nil, nil):
            guard kind == .identity else { throw PolicyError("\(name) must have a Principal (a resource or trust policy says whom it is about).") }
            return (nil, false)
        case (let value?, nil):
            raw = value
            negated = false
        case (nil, let value?):
            raw = value
            negated = true
        }
        guard kind != .identity else { throw PolicyError("\(name): an identity policy can't have Principal or NotPrincipal.") }
        let element = negated ? "NotPrincipal" : "Principal"
        if case .string("*") = raw { return ([.everyone], negated) }
        guard case .object(let map) = raw, !map.isEmpty else {
            throw PolicyError("\(name).\(element) must be \"*\" or an object such as {\"AWS\": \"arn:aws:iam::123456789012:root\"}.")
        }
        var result: [PrincipalMatcher] = []
        for (type, value) in map {
            let values = try Self.strings(value, name: "\(name).\(element).\(type)")
            switch type {
            case "AWS":
                for value in values { result.append(try Self.awsPrincipal(value, name: "\(name).\(element)")) }
            case "Service":
                result += values.map { .service($0) }
            default:
                throw PolicyError("\(name).\(element) has an unsupported principal type \(type) (use AWS or Service).")
            }
        }
        return (result, negated)
    }

    private static func awsPrincipal(_ value: String, name: String) throws(PolicyError) -> PrincipalMatcher {
        if value == "*" { return .everyone }
        if value.count == 12, value.allSatisfy(\.isNumber) { return .account(value) }
        let parts = value.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1] == "aws", parts[2] == "iam" || parts[2] == "sts",
            parts[4].count == 12, parts[4].allSatisfy(\.isNumber), !value.contains("*"), !value.contains("?")
        else {
            throw PolicyError("\(name) has an invalid principal \(value): use an account id or an IAM user, role or assumed-role ARN.")
        }
        if parts[5] == "root" { return .account(String(parts[4])) }
        guard parts[5].hasPrefix("user/") || parts[5].hasPrefix("role/") || parts[5].hasPrefix("assumed-role/") else {
            throw PolicyError("\(name) has an invalid principal \(value): use an account id or an IAM user, role or assumed-role ARN.")
        }
        return .arn(value)
    }
}

/// A policy document that breaks the grammar; the message says what is wrong.
public struct PolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { self.message }
}
