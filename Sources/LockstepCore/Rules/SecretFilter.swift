/// ListSecrets / BatchGetSecretValue filters (spec §3.8).
///
/// Filters combine with AND; the values of one filter with OR. A value starting with `!` negates: the secret
/// matches only if no attribute matches the rest of the value. `name`, `tag-key`, `tag-value`, `primary-region` and
/// `owning-service` match a case-sensitive prefix of the whole attribute (AWS's API reference); `description` and
/// `all` match case-insensitively word by word: every word of the value must start some word of one attribute.
/// Both sides are split into words by ``words(_:)`` *before* case is folded, so `AppBeta` is the two words
/// `app` and `beta` (see `docs/aws-behaviour.md`).
public struct SecretFilter: Sendable, Hashable {
    public enum Key: String, Sendable, CaseIterable {
        case description, name
        case tagKey = "tag-key"
        case tagValue = "tag-value"
        case primaryRegion = "primary-region"
        case owningService = "owning-service"
        case all
    }

    /// The attributes of a secret that filters look at.
    public struct Attributes: Sendable, Hashable {
        public var name: String
        public var description: String?
        public var tags: [Tag]
        public var primaryRegion: String?
        public var owningService: String?

        public init(name: String, description: String?, tags: [Tag], primaryRegion: String?, owningService: String?) {
            self.name = name
            self.description = description
            self.tags = tags
            self.primaryRegion = primaryRegion
            self.owningService = owningService
        }
    }

    public var key: Key
    public var values: [String]

    public static let maximumFilters = 10
    public static let maximumValues = 10
    public static let maximumValueLength = 512

    /// Validates request filters.
    public static func parse(_ filters: [Filter]?) throws(SecretsManagerError) -> [SecretFilter] {
        guard let filters else { return [] }
        guard filters.count <= maximumFilters else {
            throw .constraint("filters", "Member must have length less than or equal to \(maximumFilters)")
        }
        var result: [SecretFilter] = []
        for filter in filters {
            guard let key = Key(rawValue: filter.Key) else {
                throw .constraint(
                    "filters.member.key",
                    value: filter.Key,
                    "Member must satisfy enum value set: [\(Key.allCases.map(\.rawValue).joined(separator: ", "))]"
                )
            }
            let values = filter.Values ?? []
            guard !values.isEmpty, values.count <= maximumValues else {
                throw SecretsManagerError(.invalidParameter, "A filter with key \(filter.Key) must have between 1 and \(maximumValues) values.")
            }
            for value in values where value.isEmpty || value.count > maximumValueLength {
                throw .constraint("filters.member.values", "Member must have length between 1 and \(maximumValueLength)")
            }
            result.append(SecretFilter(key: key, values: values))
        }
        return result
    }

    /// True when `attributes` pass every filter.
    public static func matches(_ filters: [SecretFilter], _ attributes: Attributes) -> Bool {
        filters.allSatisfy { $0.matches(attributes) }
    }

    public func matches(_ attributes: Attributes) -> Bool {
        let (strings, wordWise) = self.candidates(attributes)
        let positives = self.values.filter { !$0.hasPrefix("!") }
        let negatives = self.values.filter { $0.hasPrefix("!") }.map { String($0.dropFirst()) }
        let test = { (pattern: String) in strings.contains { Self.match(pattern, $0, wordWise: wordWise) } }
        if negatives.contains(where: test) { return false }
        return positives.isEmpty || positives.contains(where: test)
    }

    private func candidates(_ a: Attributes) -> (strings: [String], wordWise: Bool) {
        switch self.key {
        case .name: ([a.name], false)
        case .description: (a.description.map { [$0] } ?? [], true)
        case .tagKey: (a.tags.map(\.Key), false)
        case .tagValue: (a.tags.map(\.Value), false)
        case .primaryRegion: (a.primaryRegion.map { [$0] } ?? [], false)
        case .owningService: (a.owningService.map { [$0] } ?? [], false)
        case .all: ([a.name] + (a.description.map { [$0] } ?? []) + a.tags.map(\.Key) + a.tags.map(\.Value), true)
        }
    }

    static func match(_ pattern: String, _ value: String, wordWise: Bool) -> Bool {
        guard wordWise else { return value.hasPrefix(pattern) }
        let patternWords = words(pattern).map { $0.lowercased() }
        guard !patternWords.isEmpty else { return false }
        let valueWords = words(value).map { $0.lowercased() }
        return patternWords.allSatisfy { word in valueWords.contains { $0.hasPrefix(word) } }
    }

    /// Splits a string into words the way AWS's search does, case preserved (fold it afterwards):
    /// - any character that is not a letter or digit separates words (`My_Secret` → `My`, `Secret`);
    /// - a lower-case letter followed by an upper-case one starts a word (`credsDatabase` → `creds`, `Database`);
    /// - inside a run of capitals, the last capital before a lower-case letter starts the next word
    ///   (`COMPANYthings` → `COMPAN`, `Ythings`; `DBPassword` → `DB`, `Password`);
    /// - letters and digits do not separate (`one61db85` stays one word: AWS's recorded answers, where the user
    ///   guide's prose says otherwise).
    public static func words(_ string: String) -> [String] {
        var words: [String] = []
        var current: [Character] = []
        for character in string {
            guard character.isLetter || character.isNumber else {
                if !current.isEmpty { words.append(String(current)) }
                current = []
                continue
            }
            if let previous = current.last {
                if character.isUppercase, previous.isLowercase {
                    words.append(String(current))
                    current = []
                } else if character.isLowercase, previous.isUppercase, current.count >= 2, current[current.count - 2].isUppercase {
                    // `…NYt`: the Y begins the next word.
                    words.append(String(current.dropLast()))
                    current = [previous]
                }
            }
            current.append(character)
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }
}
