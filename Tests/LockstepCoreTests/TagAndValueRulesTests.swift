import Foundation
import LockstepCore
import Testing

@Suite struct SecretValueTests {
    @Test func noValueIsNil() throws {
        #expect(try SecretValue.from(string: nil, binary: nil) == nil)
    }

    @Test func stringAndBinary() throws {
        let string = try SecretValue.from(string: "hunter2", binary: nil)
        #expect(string == .string("hunter2"))
        #expect(string?.isString == true)
        #expect(string?.bytes == Data("hunter2".utf8))

        let binary = try SecretValue.from(string: nil, binary: Data([0, 1, 2]))
        #expect(binary == .binary(Data([0, 1, 2])))
        #expect(binary?.isString == false)
        #expect(binary?.bytes == Data([0, 1, 2]))
    }

    @Test func bothFormsAreRejectedWithoutEchoingTheValue() {
        let error = expectError(.invalidParameter) { try SecretValue.from(string: "topsecret-42", binary: Data("raw-77".utf8)) }
        #expect(error?.message.contains("topsecret-42") == false)
        #expect(error?.message.contains("raw-77") == false)
    }

    @Test func emptyValuesAreRejected() {
        expectError(.validation) { try SecretValue.from(string: "", binary: nil) }
        expectError(.validation) { try SecretValue.from(string: nil, binary: Data()) }
    }

    @Test func stringSizeLimitIsInBytes() throws {
        #expect(SecretValue.maximumBytes == 65_536)
        let largest = "S3cr3t!x" + String(repeating: "z", count: 65_536 - 8)
        #expect(try SecretValue.from(string: largest, binary: nil) == .string(largest))

        let tooLarge = largest + "q"
        let error = expectError(.validation) { try SecretValue.from(string: tooLarge, binary: nil) }
        #expect(error?.message.contains("S3cr3t!x") == false)
        #expect(error?.message.contains("zzzz") == false)

        // 21,846 three-byte characters are 65,538 bytes: too large though far fewer characters.
        let multiByte = String(repeating: "\u{20AC}", count: 21_846)
        expectError(.validation) { try SecretValue.from(string: multiByte, binary: nil) }
    }

    @Test func binarySizeLimit() throws {
        let largest = Data(repeating: 0xAB, count: 65_536)
        #expect(try SecretValue.from(string: nil, binary: largest) == .binary(largest))
        expectError(.validation) { try SecretValue.from(string: nil, binary: Data(repeating: 0xAB, count: 65_537)) }
    }
}

@Suite struct DeletionRulesTests {
    private let now = Date(timeIntervalSince1970: 1_711_700_000)
    private let day: TimeInterval = 86_400

    @Test func defaultWindowIsThirtyDays() throws {
        #expect(try DeletionRules.deletionDate(now: self.now, recoveryWindowInDays: nil, force: nil) == self.now + 30 * self.day)
        #expect(try DeletionRules.deletionDate(now: self.now, recoveryWindowInDays: nil, force: false) == self.now + 30 * self.day)
    }

    @Test(arguments: [7, 8, 15, 29, 30] as [Int64])
    func windowWithinRange(days: Int64) throws {
        let date = try DeletionRules.deletionDate(now: self.now, recoveryWindowInDays: days, force: false)
        #expect(date == self.now + TimeInterval(days) * self.day)
    }

    @Test(arguments: [-1, 0, 1, 6, 31, 365] as [Int64])
    func windowOutsideRange(days: Int64) {
        let error = expectError(.invalidParameter) {
            try DeletionRules.deletionDate(now: self.now, recoveryWindowInDays: days, force: nil)
        }
        #expect(error?.message == "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
    }

    @Test func forceDeletesNow() throws {
        #expect(try DeletionRules.deletionDate(now: self.now, recoveryWindowInDays: nil, force: true) == self.now)
    }

    @Test(arguments: [7, 30] as [Int64])
    func forceWithAWindowIsRejected(days: Int64) {
        let error = expectError(.invalidParameter) {
            try DeletionRules.deletionDate(now: self.now, recoveryWindowInDays: days, force: true)
        }
        #expect(error?.message == "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
    }

    @Test(arguments: [0, 3, 31] as [Int64])
    func theWindowIsCheckedBeforeTheConflictWithForce(days: Int64) {
        let error = expectError(.invalidParameter) {
            try DeletionRules.deletionDate(now: self.now, recoveryWindowInDays: days, force: true)
        }
        #expect(error?.message == "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
    }

    @Test func dayResolutionTruncatesToMidnightUTC() {
        // 2024-03-29T13:45:12Z -> 2024-03-29T00:00:00Z
        let midnight = Date(timeIntervalSince1970: 1_711_670_400)
        #expect(DayResolution.truncate(midnight + 13 * 3600 + 45 * 60 + 12) == midnight)
        #expect(DayResolution.truncate(midnight) == midnight)
        #expect(DayResolution.truncate(midnight + self.day - 0.001) == midnight)
        #expect(DayResolution.truncate(Date(timeIntervalSince1970: -1)) == Date(timeIntervalSince1970: -86_400))
    }
}

@Suite struct TagRulesTests {
    @Test func keyAndValueLengths() throws {
        try TagRules.validate([
            Tag(Key: "k", Value: ""),
            Tag(Key: String(repeating: "k", count: 128), Value: String(repeating: "v", count: 256)),
        ])
        expectError(.validation) { try TagRules.validate([Tag(Key: "", Value: "v")]) }
        expectError(.validation) { try TagRules.validate([Tag(Key: String(repeating: "k", count: 129), Value: "v")]) }
        expectError(.validation) { try TagRules.validate([Tag(Key: "k", Value: String(repeating: "v", count: 257))]) }
    }

    @Test(arguments: ["aws:createdBy", "AWS:x", "Aws:x", "aWs:"])
    func awsPrefixIsReserved(key: String) {
        expectError(.invalidParameter) { try TagRules.validateKey(key) }
        expectError(.invalidParameter) { try TagRules.validate([Tag(Key: key, Value: "v")]) }
    }

    @Test(arguments: ["aws", "awsome", "my:aws:x", "aws-team", "aws_"])
    func keysThatAreNotTheReservedPrefix(key: String) throws {
        try TagRules.validateKey(key)
    }

    @Test func mergeAppendsAndOverwritesByCaseSensitiveKey() throws {
        let existing = [Tag(Key: "Env", Value: "prod"), Tag(Key: "Team", Value: "a")]
        let merged = try TagRules.merge(existing, with: [Tag(Key: "Env", Value: "dev"), Tag(Key: "env", Value: "test")])
        #expect(merged == [Tag(Key: "Env", Value: "dev"), Tag(Key: "Team", Value: "a"), Tag(Key: "env", Value: "test")])
    }

    @Test func mergeCanClearAValue() throws {
        let merged = try TagRules.merge([Tag(Key: "Env", Value: "prod")], with: [Tag(Key: "Env", Value: "")])
        #expect(merged == [Tag(Key: "Env", Value: "")])
    }

    @Test func mergeValidatesAddedTags() {
        expectError(.invalidParameter) { try TagRules.merge([], with: [Tag(Key: "aws:x", Value: "v")]) }
        expectError(.validation) { try TagRules.merge([], with: [Tag(Key: "", Value: "v")]) }
    }

    @Test func atMostFiftyTags() throws {
        let fifty = (1...50).map { Tag(Key: "k\($0)", Value: "v") }
        #expect(TagRules.maximumPerSecret == 50)
        #expect(try TagRules.merge([], with: fifty).count == 50)
        #expect(try TagRules.merge(Array(fifty.prefix(49)), with: [fifty[49]]).count == 50)
        // Overwriting a key of a full set is fine; a new key is one too many.
        #expect(try TagRules.merge(fifty, with: [Tag(Key: "k1", Value: "new")]).first == Tag(Key: "k1", Value: "new"))
        expectError(.limitExceeded) { try TagRules.merge(fifty, with: [Tag(Key: "K1", Value: "v")]) }
        expectError(.limitExceeded) { try TagRules.merge([], with: fifty + [Tag(Key: "k51", Value: "v")]) }
    }
}
