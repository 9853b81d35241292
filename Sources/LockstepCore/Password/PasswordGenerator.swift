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
        let classes = self.characterClasses
        guard !self.alphabet.isEmpty else {
            throw SecretsManagerError(.invalidParameter, "The password can't be generated because all character types are excluded.")
        }
        // A space is a character the password may hold, not a type it must: it never makes a length too short.
        if self.requireEachIncludedType, classes.count > self.length {
            throw SecretsManagerError(
                .invalidParameter,
                "The password length is too short to include one character of each included type (\(classes.count) types)."
            )
        }
    }

    /// The character types in use (lower case, upper case, digits, punctuation), each without the excluded
    /// characters; empty ones are dropped. With RequireEachIncludedType the password holds one of each.
    public var characterClasses: [[Character]] {
        var classes: [[Character]] = []
        if !self.excludeLowercase { classes.append(Self.lowercase) }
        if !self.excludeUppercase { classes.append(Self.uppercase) }
        if !self.excludeNumbers { classes.append(Self.digits) }
        if !self.excludePunctuation { classes.append(Self.punctuation) }
        return classes.map { $0.filter { !self.excludeCharacters.contains($0) } }.filter { !$0.isEmpty }
    }

    /// Every character the password may hold: the types in use and, with IncludeSpace, the space.
    public var alphabet: [Character] {
        let space: [Character] = self.includeSpace && !self.excludeCharacters.contains(" ") ? [" "] : []
        return self.characterClasses.flatMap { $0 } + space
    }

    /// A password from the system CSPRNG.
    public func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return self.generate(using: &generator)
    }

    /// A password from `generator` (tests pass a seeded one).
    public func generate<G: RandomNumberGenerator>(using generator: inout G) -> String {
        let classes = self.characterClasses
        let alphabet = self.alphabet
        var characters: [Character] = []
        characters.reserveCapacity(self.length)
        if self.requireEachIncludedType {
            for characterClass in classes { characters.append(characterClass.randomElement(using: &generator)!) }
        }
        while characters.count < self.length { characters.append(alphabet.randomElement(using: &generator)!) }
        characters.shuffle(using: &generator)
        return String(characters)
    }
}
