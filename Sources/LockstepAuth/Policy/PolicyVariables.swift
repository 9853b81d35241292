import Foundation

/// A policy value with variables, IAM grammar version 2012-10-17: `arn:aws:secretsmanager:*:*:secret:${aws:username}/*`
/// or `"secretsmanager:ResourceTag/owner": "${aws:username}"`. Each request fills them in from its own condition
/// keys; `${key, 'default'}` gives a value for a key the request doesn't have, and `${*}`, `${?}` and `${$}` stand
/// for those characters taken literally.
///
/// A variable whose key the request doesn't have (and that has no default) matches nothing: a Resource pattern
/// with `${aws:username}` never matches a role session, which has no user name. A value filled in is matched
/// literally: a `*` in it is a star, not a wildcard.
public struct PolicyTemplate: Sendable, Hashable {
    enum Piece: Sendable, Hashable {
        /// Policy text as written (wildcards keep their meaning in patterns).
        case text(String)
        /// `${*}`, `${?}`, `${$}`: the character itself.
        case literal(String)
        case variable(ConditionKey, default: String?)
    }

    let pieces: [Piece]
    /// The policy text as written.
    public let text: String

    /// The template of `text`; nil when it has no variable (then it is used as it is).
    ///
    /// - Throws: ``PolicyError`` for `${` without its `}`, and for a variable that isn't a condition key.
    static func parse(_ text: String, location: String) throws(PolicyError) -> PolicyTemplate? {
        guard text.contains("${") else { return nil }
        var pieces: [Piece] = []
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            if start.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<start.lowerBound]))) }
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw PolicyError("\(location): \(text) has a policy variable without its closing brace.")
            }
            pieces.append(try Self.variable(rest[start.upperBound..<end], in: text, location: location))
            rest = rest[rest.index(after: end)...]
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        return PolicyTemplate(pieces: pieces, text: text)
    }

    private static func variable(_ body: Substring, in text: String, location: String) throws(PolicyError) -> Piece {
        if ["*", "?", "$"].contains(body) { return .literal(String(body)) }
        var name = body
        var fallback: String?
        if let comma = body.firstIndex(of: ",") {
            name = body[..<comma]
            let value = body[body.index(after: comma)...].trimmingCharacters(in: .whitespaces)
            guard value.count >= 2, value.hasPrefix("'"), value.hasSuffix("'") else {
                throw PolicyError("\(location): \(text) has a policy variable default that isn't in single quotes.")
            }
            fallback = String(value.dropFirst().dropLast())
        }
        let key = name.trimmingCharacters(in: .whitespaces)
        guard let colon = key.firstIndex(of: ":"), colon != key.startIndex, key.index(after: colon) != key.endIndex,
            !key.contains(where: { $0.isWhitespace || $0 == "$" || $0 == "{" })
        else {
            throw PolicyError("\(location): \(text) has an invalid policy variable ${\(body)} (expected a key such as ${aws:username}).")
        }
        return .variable(ConditionKey(key), default: fallback)
    }

    /// The pieces with every variable filled in from `context`; nil when one has no single value and no default.
    func resolve(in context: some ConditionContext) -> [WildcardPattern.Piece]? {
        var result: [WildcardPattern.Piece] = []
        result.reserveCapacity(self.pieces.count)
        for piece in self.pieces {
            switch piece {
            case .text(let text): result.append(.wildcards(text))
            case .literal(let character): result.append(.literal(character))
            case .variable(let key, let fallback):
                // Multi-valued keys (aws:TagKeys) can't be variables: only a single value fills one in.
                if let values = context.values(for: key), values.count == 1 {
                    result.append(.literal(values[0]))
                } else if let fallback {
                    result.append(.literal(fallback))
                } else {
                    return nil
                }
            }
        }
        return result
    }

    /// The text with every variable filled in (for exact comparisons); nil as for ``resolve(in:)``.
    func filledIn(_ context: some ConditionContext) -> String? {
        self.resolve(in: context).map { pieces in
            pieces.map { piece -> String in
                switch piece {
                case .wildcards(let text), .literal(let text): return text
                }
            }.joined()
        }
    }
}

/// A policy string compared exactly (StringEquals and its relatives): fixed, or filled in per request.
enum PolicyText: Sendable, Hashable {
    case fixed(String)
    case template(PolicyTemplate)

    init(_ text: String, variables: Bool, location: String) throws(PolicyError) {
        if variables, let template = try PolicyTemplate.parse(text, location: location) {
            self = .template(template)
        } else {
            self = .fixed(text)
        }
    }

    func value(in context: some ConditionContext) -> String? {
        switch self {
        case .fixed(let text): return text
        case .template(let template): return template.filledIn(context)
        }
    }

    var isTemplate: Bool {
        if case .template = self { return true }
        return false
    }
}

/// A policy wildcard pattern (Resource, StringLike, ArnLike): compiled once, or compiled per request when it has
/// variables.
public enum PolicyPattern: Sendable, Hashable {
    case fixed(WildcardPattern)
    case template(PolicyTemplate, caseInsensitive: Bool)

    init(_ text: String, caseInsensitive: Bool = false, variables: Bool, location: String) throws(PolicyError) {
        if variables, let template = try PolicyTemplate.parse(text, location: location) {
            self = .template(template, caseInsensitive: caseInsensitive)
        } else {
            self = .fixed(WildcardPattern(text, caseInsensitive: caseInsensitive))
        }
    }

    func matches(_ value: String, lowercased: Bool = false, context: some ConditionContext) -> Bool {
        switch self {
        case .fixed(let pattern): return pattern.matches(value, lowercased: lowercased)
        case .template(let template, let caseInsensitive):
            guard let pieces = template.resolve(in: context) else { return false }
            return WildcardPattern(pieces: pieces, caseInsensitive: caseInsensitive).matches(value, lowercased: lowercased)
        }
    }

    /// The pattern as the policy writes it.
    public var text: String {
        switch self {
        case .fixed(let pattern): return pattern.text
        case .template(let template, _): return template.text
        }
    }

    /// True for a fixed `*`.
    public var matchesEverything: Bool {
        if case .fixed(let pattern) = self { return pattern.matchesEverything }
        return false
    }

    var isTemplate: Bool {
        if case .template = self { return true }
        return false
    }
}
