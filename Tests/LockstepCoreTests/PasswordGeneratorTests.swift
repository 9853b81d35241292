import LockstepCore
import Testing

private let lowercase = Set(PasswordGenerator.lowercase)
private let uppercase = Set(PasswordGenerator.uppercase)
private let digits = Set(PasswordGenerator.digits)
private let punctuation = Set(PasswordGenerator.punctuation)

/// Passwords drawn with seeds 0..<count.
private func passwords(_ generator: PasswordGenerator, count: Int = 50) -> [String] {
    (0..<count).map { seed in
        var rng = SeededGenerator(seed: UInt64(seed))
        return generator.generate(using: &rng)
    }
}

@Suite struct PasswordGeneratorTests {
    @Test func defaults() throws {
        let generator = try PasswordGenerator()
        #expect(generator.length == 32)
        #expect(generator.requireEachIncludedType)
        #expect(!generator.includeSpace)
        #expect(generator.generate().count == 32)
        #expect(PasswordGenerator.punctuation.count == 32)
        for password in passwords(generator) {
            #expect(password.count == 32)
            #expect(password.allSatisfy { lowercase.contains($0) || uppercase.contains($0) || digits.contains($0) || punctuation.contains($0) })
        }
    }

    @Test func eachIncludedTypeIsPresent() throws {
        // Four types in four characters: exactly one of each, for every seed.
        let generator = try PasswordGenerator(length: 4)
        for password in passwords(generator, count: 200) {
            #expect(password.contains(where: lowercase.contains), "\(password)")
            #expect(password.contains(where: uppercase.contains), "\(password)")
            #expect(password.contains(where: digits.contains), "\(password)")
            #expect(password.contains(where: punctuation.contains), "\(password)")
        }
    }

    @Test func aSpaceIsNotARequiredType() throws {
        // Four types fit in four characters whether or not a space may appear.
        let four = try PasswordGenerator(length: 4, includeSpace: true)
        #expect(four.requiredClasses.count == 4)
        for password in passwords(four, count: 200) {
            #expect(password.count == 4)
            #expect(password.contains(where: lowercase.contains) && password.contains(where: uppercase.contains), "\(password)")
            #expect(password.contains(where: digits.contains) && password.contains(where: punctuation.contains), "\(password)")
        }
        let one = try PasswordGenerator(length: 1, excludeNumbers: true, excludePunctuation: true, excludeUppercase: true, includeSpace: true)
        #expect(passwords(one).allSatisfy { $0.count == 1 })
        // An excluded space is never used, IncludeSpace or not.
        let noSpace = try PasswordGenerator(length: 4096, excludeCharacters: " ", includeSpace: true)
        #expect(passwords(noSpace, count: 3).allSatisfy { !$0.contains(" ") })
    }

    @Test func tooShortForEveryTypeIsRejected() throws {
        expectError(.invalidParameter) { try PasswordGenerator(length: 3) }
        expectError(.invalidParameter) { try PasswordGenerator(length: 3, includeSpace: true) }
        // Without the requirement, any length works.
        let one = try PasswordGenerator(length: 1, requireEachIncludedType: false)
        #expect(passwords(one).allSatisfy { $0.count == 1 })
    }

    @Test func excludeCharactersIsHonoured() throws {
        let excluded = Set("abcxyzABCXYZ0189!@#$%^&*()")
        let generator = try PasswordGenerator(length: 4096, excludeCharacters: String(excluded))
        for password in passwords(generator, count: 5) {
            #expect(password.count == 4096)
            #expect(!password.contains(where: excluded.contains))
            // The other characters of each class are still used.
            #expect(password.contains("d") && password.contains("D") && password.contains("2") && password.contains("~"))
        }
    }

    @Test func excludedClassesNeverAppear() throws {
        let cases: [(PasswordGenerator, Set<Character>)] = [
            (try PasswordGenerator(length: 512, excludeNumbers: true), digits),
            (try PasswordGenerator(length: 512, excludePunctuation: true), punctuation),
            (try PasswordGenerator(length: 512, excludeUppercase: true), uppercase),
            (try PasswordGenerator(length: 512, excludeLowercase: true), lowercase),
        ]
        for (generator, forbidden) in cases {
            #expect(generator.characterClasses.count == 3)
            for password in passwords(generator, count: 10) {
                #expect(!password.contains(where: forbidden.contains))
                #expect(password.count == 512)
            }
        }
    }

    @Test func onlyTheRemainingClass() throws {
        let generator = try PasswordGenerator(length: 64, excludeNumbers: true, excludePunctuation: true, excludeUppercase: true)
        #expect(passwords(generator).allSatisfy { $0.allSatisfy(lowercase.contains) })
        let one = try PasswordGenerator(length: 1, excludeNumbers: true, excludePunctuation: true, excludeUppercase: true)
        #expect(passwords(one).allSatisfy { $0.count == 1 })
    }

    @Test func spaceOnlyWhenIncluded() throws {
        let without = try PasswordGenerator(length: 4096)
        #expect(passwords(without, count: 5).allSatisfy { !$0.contains(" ") })
        let with = try PasswordGenerator(length: 4096, includeSpace: true, requireEachIncludedType: false)
        #expect(passwords(with, count: 5).allSatisfy { $0.contains(" ") })
        let spaceOnly = try PasswordGenerator(
            length: 8,
            excludeNumbers: true,
            excludePunctuation: true,
            excludeUppercase: true,
            excludeLowercase: true,
            includeSpace: true
        )
        #expect(passwords(spaceOnly).allSatisfy { $0 == "        " })
    }

    @Test func everythingExcludedIsRejected() {
        expectError(.invalidParameter) {
            try PasswordGenerator(excludeNumbers: true, excludePunctuation: true, excludeUppercase: true, excludeLowercase: true)
        }
        let everyCharacter = String(
            PasswordGenerator.lowercase + PasswordGenerator.uppercase + PasswordGenerator.digits + PasswordGenerator.punctuation
        )
        expectError(.invalidParameter) { try PasswordGenerator(excludeCharacters: everyCharacter) }
        expectError(.invalidParameter) {
            try PasswordGenerator(excludeCharacters: "0123456789", excludePunctuation: true, excludeUppercase: true, excludeLowercase: true)
        }
    }

    @Test func aClassEmptiedByExcludeCharactersIsDropped() throws {
        let generator = try PasswordGenerator(length: 3, excludeCharacters: "0123456789")
        #expect(generator.characterClasses.count == 3)
        #expect(passwords(generator).allSatisfy { !$0.contains(where: digits.contains) })
    }

    @Test(arguments: [1, 2, 4096] as [Int64])
    func lengthWithinBounds(length: Int64) throws {
        let generator = try PasswordGenerator(length: length, requireEachIncludedType: false)
        var rng = SeededGenerator(seed: 3)
        #expect(generator.generate(using: &rng).count == Int(length))
    }

    @Test(arguments: [0, -1, 4097, 100_000] as [Int64])
    func lengthOutOfBounds(length: Int64) {
        expectError(.validation) { try PasswordGenerator(length: length, requireEachIncludedType: false) }
    }

    @Test func excludeCharactersLength() throws {
        _ = try PasswordGenerator(excludeCharacters: String(repeating: "a", count: 4096))
        expectError(.validation) { try PasswordGenerator(excludeCharacters: String(repeating: "a", count: 4097)) }
    }

    @Test func sameSeedSamePasswordOtherSeedOtherPassword() throws {
        let generator = try PasswordGenerator()
        var a = SeededGenerator(seed: 99)
        var b = SeededGenerator(seed: 99)
        var c = SeededGenerator(seed: 100)
        let first = generator.generate(using: &a)
        #expect(first == generator.generate(using: &b))
        #expect(first != generator.generate(using: &c))
        #expect(Set(passwords(generator, count: 100)).count == 100)
    }
}
