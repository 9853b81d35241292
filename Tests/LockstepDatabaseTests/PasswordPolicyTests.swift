import LockstepCore
import Testing

@testable import LockstepDatabase

/// A server's password policy against the generator the rotators use, and the TLS verdicts: pure, no server.
struct PasswordPolicyTests {
    /// The PostgreSQL rotator's generator: 32 characters, each type, AWS's exclusions.
    static let postgres = try! PasswordGenerator(length: 32, excludeCharacters: ":/@\"'\\", requireEachIncludedType: true)

    @Test func simplePasswordCheckDefaultsAcceptEveryGeneratedPassword() {
        let policy = PasswordPolicy(
            source: "simple_password_check",
            minimumLength: 8,
            minimumLowercase: 1,
            minimumUppercase: 1,
            minimumDigits: 1,
            minimumSpecial: 1
        )
        let check = policy.check(Self.postgres)
        #expect(check.status == .pass)
        #expect(check.reason.contains("32 characters, at least one of each type"))
    }

    @Test func aMinimumLongerThanThePasswordFails() {
        let check = PasswordPolicy(source: "simple_password_check", minimumLength: 40).check(Self.postgres)
        #expect(check.status == .fail)
        #expect(check.reason.contains("requires at least 40 characters"))
        #expect(check.check == "password-policy")
    }

    @Test func anExcludedTypeThePolicyRequiresFails() throws {
        let generator = try PasswordGenerator(length: 32, excludePunctuation: true)
        let check = PasswordPolicy(source: "validate_password", minimumSpecial: 1).check(generator)
        #expect(check.status == .fail)
        #expect(check.reason.contains("requires 1 special character and the generator uses none"))
    }

    @Test func moreOfATypeThanGuaranteedIsAWarningWithTheOdds() {
        let check = PasswordPolicy(source: "simple_password_check", minimumDigits: 2).check(Self.postgres)
        #expect(check.status == .warn)
        #expect(check.reason.contains("guarantees 1"))
        #expect(check.reason.contains("% of passwords would be refused"))
    }

    @Test func withoutRequireEachIncludedTypeNothingIsGuaranteed() throws {
        let generator = try PasswordGenerator(length: 16, requireEachIncludedType: false)
        #expect(PasswordPolicy(source: "p", minimumDigits: 1).check(generator).status == .warn)
        #expect(PasswordPolicy(source: "p", requiresLetterAndNonLetter: true).check(generator).status == .warn)
    }

    @Test func requirementsBeyondTheLengthFail() throws {
        let generator = try PasswordGenerator(length: 8)
        let check = PasswordPolicy(source: "p", minimumLowercase: 3, minimumUppercase: 3, minimumDigits: 3).check(generator)
        #expect(check.status == .fail)
        #expect(check.reason.contains("more than the length"))
    }

    @Test func letterAndNonLetter() throws {
        let lettersOnly = try PasswordGenerator(length: 12, excludeNumbers: true, excludePunctuation: true)
        #expect(PasswordPolicy(source: "passwordcheck", minimumLength: 8, requiresLetterAndNonLetter: true).check(lettersOnly).status == .fail)
        #expect(PasswordPolicy(source: "passwordcheck", minimumLength: 8, requiresLetterAndNonLetter: true).check(Self.postgres).status == .pass)
    }

    @Test func dictionaryChecksPassRandomPasswords() {
        let check = PasswordPolicy(source: "cracklib_password_check", dictionaryCheck: true).check(Self.postgres)
        #expect(check.status == .pass)
        #expect(check.reason.contains("dictionary"))
    }

    @Test func binomialTail() {
        // P(at least 1 of 2 fair coin flips) = 3/4; P(at least 2) = 1/4; impossible and certain cases.
        #expect(abs(PasswordPolicy.probability(atLeast: 1, of: 1, in: 2, draws: 2) - 0.75) < 1e-9)
        #expect(abs(PasswordPolicy.probability(atLeast: 2, of: 1, in: 2, draws: 2) - 0.25) < 1e-9)
        #expect(PasswordPolicy.probability(atLeast: 3, of: 1, in: 2, draws: 2) == 0)
        #expect(PasswordPolicy.probability(atLeast: 0, of: 1, in: 2, draws: 2) == 1)
    }

    @Test(arguments: [
        (DatabaseTLS.required, false, PlanStatus.pass),
        (.preferred, true, .warn),
        (.preferred, false, .warn),
        (.disabled, false, .warn),
    ])
    func tlsVerdicts(tls: DatabaseTLS, encrypted: Bool, expected: PlanStatus) {
        let check = tls.planCheck(login: "AWSCURRENT", encrypted: encrypted)
        #expect(check.status == expected)
        #expect(check.check == "tls")
        #expect(check.reason.hasPrefix("AWSCURRENT: "))
    }

    @Test func statusesOrderPassWarnFail() {
        #expect([PlanStatus.warn, .fail, .pass].max() == .fail)
        #expect([PlanStatus.pass, .warn].max() == .warn)
    }
}
