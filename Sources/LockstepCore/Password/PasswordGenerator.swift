/// GetRandomPassword: random passwords from the system CSPRNG with AWS's character classes and options.
public struct PasswordGenerator: Sendable, Hashable {
    public static let lengthRange: ClosedRange<Int64> = 1...4096
    public static let defaultLength: Int64 = 32

    public static let lowercase = Array("abcdefghijklmnopqrstuvwxyz")
    public static let uppercase = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    public static let digits = Array("0123456789")
    public static let punctuation = Array("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

    public var length: Int
    public var excludeCharacters: Set<Character>
    public var excludeNumbers: Bool
    public var excludePunctuation: Bool
    public var excludeUppercase: Bool
    public var excludeLowercase: Bool
    public var includeSpace: Bool
    public var requireEachIncludedType: Bool

    /// Validates the options of a request. Defaults are AWS's: 32 characters, every class, one of each.
    public init(
        length: Int64? = nil,
        excludeCharacters: String? = nil,
        excludeNumbers: Bool? = nil,
        excludePunctuation: Bool? = nil,
        excludeUppercase: Bool? = nil,
        excludeLowercase: Bool? = nil,
        includeSpace: Bool? = nil,
        requireEachIncludedType: Bool? = nil
    ) throws(SecretsManagerError) {
        let length = length ?? Self.defaultLength
        guard Self.lengthRange.contains(length) else {
            throw .constraint("passwordLength", value: String(length), "Member must have value between 1 and 4096")
        }
        if let excludeCharacters, excludeCharacters.count > 4096 {
            throw .constraint("excludeCharacters", "Member must have length less than or equal to 4096")
        }
        self.length = Int(length)
        self.excludeCharacters = Set(excludeCharacters ?? "")
        self.excludeNumbers = excludeNumbers ?? false
        self.excludePunctuation = excludePunctuation ?? false
        self.excludeUppercase = excludeUppercase ?? false
        self.excludeLowercase = excludeLowercase ?? false
        self.includeSpace = includeSpace ?? false
        self.requireEachIncludedType = requireEachIncludedType ?? true
        // A space is an allowed character, not a character type: it is never required and never makes a length too
        // short. The types are what is left of the four classes after the exclusions.
        // Only spaces (every type excluded, IncludeSpace) is allowed: nothing documented forbids it.
        let classes = self.requiredClasses
        guard !self.characterClasses.isEmpty else {
            throw SecretsManagerError(.invalidParameter, "The password can't be generated because all character types are excluded.")
        }
        if self.requireEachIncludedType, classes.count > self.length {
            throw SecretsManagerError(
                .invalidParameter,
                "The password length is too short to include one character of each included type (\(classes.count) types)."
            )
        }
    }

    /// The character types in use (lower, upper, digits, punctuation), each without the excluded characters; a type
    /// the exclusions empty is dropped. `RequireEachIncludedType` asks for one character of each.
    public var requiredClasses: [[Character]] {
        var classes: [[Character]] = []
        if !self.excludeLowercase { classes.append(Self.lowercase) }
        if !self.excludeUppercase { classes.append(Self.uppercase) }
        if !self.excludeNumbers { classes.append(Self.digits) }
        if !self.excludePunctuation { classes.append(Self.punctuation) }
        return classes.map { $0.filter { !self.excludeCharacters.contains($0) } }.filter { !$0.isEmpty }
    }

    /// Every character a password may contain: the types in use, plus the space when `IncludeSpace` (and not excluded).
    public var characterClasses: [[Character]] {
        var classes = self.requiredClasses
        if self.includeSpace, !self.excludeCharacters.contains(" ") { classes.append([" "]) }
        return classes
    }

    /// A password from the system CSPRNG.
    public func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return self.generate(using: &generator)
    }

    /// A password from `generator` (tests pass a seeded one).
    public func generate<G: RandomNumberGenerator>(using generator: inout G) -> String {
        let alphabet = self.characterClasses.flatMap { $0 }
        var characters: [Character] = []
        characters.reserveCapacity(self.length)
        if self.requireEachIncludedType {
            for characterClass in self.requiredClasses { characters.append(characterClass.randomElement(using: &generator)!) }
        }
        while characters.count < self.length { characters.append(alphabet.randomElement(using: &generator)!) }
        characters.shuffle(using: &generator)
        return String(characters)
    }
}
