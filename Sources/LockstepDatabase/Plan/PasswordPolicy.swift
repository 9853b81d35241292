import Foundation
public import LockstepCore

/// A server's rule for new passwords (MariaDB's `simple_password_check`, MySQL's `validate_password`, PostgreSQL's
/// `passwordcheck`), reduced to what can be compared with a ``PasswordGenerator``: a minimum length and minimum
/// counts per character type. Pure: ``check(_:)`` says whether every password the generator makes is accepted.
public struct PasswordPolicy: Sendable, Hashable {
    /// Where the rule comes from (`simple_password_check`, ...), for messages.
    public var source: String
    public var minimumLength = 0
    public var minimumLowercase = 0
    public var minimumUppercase = 0
    public var minimumDigits = 0
    /// Characters that are neither letters nor digits.
    public var minimumSpecial = 0
    /// PostgreSQL's passwordcheck: at least one letter and one character that is not a letter.
    public var requiresLetterAndNonLetter = false
    /// A dictionary check (cracklib): random passwords pass it, but it can't be decided here.
    public var dictionaryCheck = false

    public init(
        source: String,
        minimumLength: Int = 0,
        minimumLowercase: Int = 0,
        minimumUppercase: Int = 0,
        minimumDigits: Int = 0,
        minimumSpecial: Int = 0,
        requiresLetterAndNonLetter: Bool = false,
        dictionaryCheck: Bool = false
    ) {
        self.source = source
        self.minimumLength = minimumLength
        self.minimumLowercase = minimumLowercase
        self.minimumUppercase = minimumUppercase
        self.minimumDigits = minimumDigits
        self.minimumSpecial = minimumSpecial
        self.requiresLetterAndNonLetter = requiresLetterAndNonLetter
        self.dictionaryCheck = dictionaryCheck
    }

    /// Whether `generator`'s passwords satisfy this policy: `fail` when some requirement can never or not always
    /// be met in a way the generator guarantees to break (too short, a required type excluded, more required
    /// characters than the length), `warn` when it is met only by chance (more of a type than the one
    /// RequireEachIncludedType guarantees), `pass` when every generated password is accepted.
    public func check(_ generator: PasswordGenerator) -> PlanCheck {
        let name = "password-policy"
        let settings = Self.describe(generator)
        var failures: [String] = []
        var chances: [String] = []
        if generator.length < self.minimumLength {
            failures.append("it requires at least \(self.minimumLength) characters")
        }
        let alphabet = generator.alphabet
        let guaranteed = generator.requireEachIncludedType ? 1 : 0
        let types: [(String, Int, [Character])] = [
            ("lower-case letter", self.minimumLowercase, Self.available(PasswordGenerator.lowercase, in: generator)),
            ("upper-case letter", self.minimumUppercase, Self.available(PasswordGenerator.uppercase, in: generator)),
            ("digit", self.minimumDigits, Self.available(PasswordGenerator.digits, in: generator)),
            ("special character", self.minimumSpecial, Self.available(PasswordGenerator.punctuation, in: generator)),
        ]
        var requiredTotal = 0
        for (type, required, characters) in types where required > 0 {
            requiredTotal += required
            let plural = required == 1 ? type : type + "s"
            if characters.isEmpty {
                failures.append("it requires \(required) \(plural) and the generator uses none")
            } else if required > guaranteed {
                let odds = Self.probability(
                    atLeast: required - guaranteed,
                    of: characters.count,
                    in: alphabet.count,
                    draws: generator.length - generator.characterClasses.count * guaranteed
                )
                chances.append(
                    "it requires \(required) \(plural), the generator guarantees \(guaranteed) (about \(Self.percent(1 - odds)) of passwords would be refused)"
                )
            }
        }
        if requiredTotal > generator.length {
            failures.append("it requires \(requiredTotal) characters of given types, more than the length")
        }
        if self.requiresLetterAndNonLetter {
            let letters = generator.characterClasses.contains { $0.contains(where: \.isLetter) }
            let nonLetters = generator.alphabet.contains { !$0.isLetter }
            if !letters || !nonLetters {
                failures.append("it requires a letter and a character that is not a letter")
            } else if !generator.requireEachIncludedType {
                chances.append("it requires a letter and a non-letter, which RequireEachIncludedType=false does not guarantee")
            }
        }
        if !failures.isEmpty {
            return .fail(name, "\(self.source) refuses the passwords the rotator generates (\(settings)): " + failures.joined(separator: "; "))
        }
        if !chances.isEmpty {
            return .warn(name, "\(self.source) may refuse a generated password (\(settings)): " + chances.joined(separator: "; "))
        }
        let dictionary = self.dictionaryCheck ? "; its dictionary check rejects words, which random passwords are not" : ""
        return .pass(name, "\(self.source) accepts every password the rotator generates (\(settings))\(dictionary)")
    }

    /// `32 characters, each type, excluding :/@"'\`.
    public static func describe(_ generator: PasswordGenerator) -> String {
        var parts = ["\(generator.length) characters"]
        if generator.requireEachIncludedType { parts.append("at least one of each type") }
        if !generator.excludeCharacters.isEmpty {
            parts.append("excluding \(String(generator.excludeCharacters.sorted()))")
        }
        return parts.joined(separator: ", ")
    }

    private static func available(_ characters: [Character], in generator: PasswordGenerator) -> [Character] {
        generator.characterClasses.first { $0.allSatisfy(characters.contains) } ?? []
    }

    /// P(at least `k` of `draws` uniform draws from an alphabet of `size` fall among `favourable` characters).
    static func probability(atLeast k: Int, of favourable: Int, in size: Int, draws: Int) -> Double {
        guard k > 0 else { return 1 }
        guard draws >= k, size > 0 else { return 0 }
        let p = Double(favourable) / Double(size)
        var below = 0.0
        var term = pow(1 - p, Double(draws))  // P(0)
        for i in 0..<k {
            below += term
            term *= Double(draws - i) / Double(i + 1) * p / max(1e-300, 1 - p)
        }
        return max(0, min(1, 1 - below))
    }

    private static func percent(_ value: Double) -> String {
        value < 0.001 ? "less than 0.1%" : String(format: "%.1f%%", value * 100)
    }
}
