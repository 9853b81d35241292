import LockstepCore
import Testing

private let invalidNameMessage =
    "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"

@Suite struct SecretNameTests {
    @Test(arguments: [
        "a", "prod/db/password", "AZaz09/_+=.@-", "my-secret", "user@example.com", "a=b+c",
        String(repeating: "n", count: 512),
    ])
    func validNames(name: String) throws {
        try SecretName.validate(name)
    }

    @Test(arguments: [
        "", String(repeating: "n", count: 513), "has space", "bang!", "colon:name", "star*", "caf\u{e9}", "tab\t", "back\\slash",
        "semi;colon", "pct%", "quote\"",
    ])
    func invalidNames(name: String) {
        let error = expectError(.validation) { try SecretName.validate(name) }
        #expect(error == .invalidName)
        #expect(error?.message == invalidNameMessage)
        #expect(error?.code.rawValue == "ValidationException")
    }

    @Test func lengthIsCountedInBytesUpTo512() {
        #expect(SecretName.maximumLength == 512)
        // 511 allowed bytes plus one non-ASCII character is rejected for the character, not the length.
        expectError(.validation) { try SecretName.validate(String(repeating: "a", count: 511) + "\u{e9}") }
    }
}

@Suite struct SecretARNTests {
    private let region = "us-east-1"
    private let account = "123456789012"

    @Test func makeFollowsTheAWSFormat() throws {
        var generator = SeededGenerator(seed: 42)
        let arn = SecretARN.make(region: self.region, account: self.account, name: "prod/db", using: &generator)
        let text = arn.description
        let prefix = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-"
        #expect(text.hasPrefix(prefix))
        let suffix = text.dropFirst(prefix.count)
        #expect(suffix.count == SecretARN.suffixLength)
        #expect(suffix.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(arn.hasSuffix)
        #expect(arn.nameWithoutSuffix == "prod/db")
        #expect(arn.partition == "aws")
        #expect(SecretARN.parse(text) == arn)
    }

    @Test func makeIsDeterministicForASeedAndVariesAcrossSeeds() {
        var a = SeededGenerator(seed: 7)
        var b = SeededGenerator(seed: 7)
        var c = SeededGenerator(seed: 8)
        let first = SecretARN.make(region: self.region, account: self.account, name: "x", using: &a)
        #expect(first == SecretARN.make(region: self.region, account: self.account, name: "x", using: &b))
        #expect(first != SecretARN.make(region: self.region, account: self.account, name: "x", using: &c))
    }

    @Test func systemRandomSuffixesDiffer() {
        let arns = Set((0..<20).map { _ in SecretARN.make(region: self.region, account: self.account, name: "x").description })
        #expect(arns.count == 20)
    }

    @Test func nameWithDashesKeepsThemAll() {
        var generator = SeededGenerator(seed: 1)
        let arn = SecretARN.make(region: self.region, account: self.account, name: "my-db-pass-word1", using: &generator)
        #expect(arn.nameWithoutSuffix == "my-db-pass-word1")
        #expect(SecretARN.parse(arn.description)?.nameWithoutSuffix == "my-db-pass-word1")
    }

    @Test func parseFullARN() throws {
        let arn = try #require(SecretARN.parse("arn:aws:secretsmanager:eu-west-2:111122223333:secret:app/token-AbC123"))
        #expect(arn.partition == "aws")
        #expect(arn.region == "eu-west-2")
        #expect(arn.account == "111122223333")
        #expect(arn.resource == "app/token-AbC123")
        #expect(arn.hasSuffix)
        #expect(arn.nameWithoutSuffix == "app/token")
        #expect(arn.description == "arn:aws:secretsmanager:eu-west-2:111122223333:secret:app/token-AbC123")
    }

    @Test func parsePartialARN() throws {
        let arn = try #require(SecretARN.parse("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db"))
        #expect(arn.resource == "prod/db")
        #expect(!arn.hasSuffix)
        #expect(arn.nameWithoutSuffix == nil)
    }

    @Test func parseOtherPartition() throws {
        let text = "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x-AbCdEf"
        let arn = try #require(SecretARN.parse(text))
        #expect(arn.partition == "aws-cn")
        #expect(arn.description == text)
    }

    @Test func resourceWithColonsIsKeptWhole() throws {
        let arn = try #require(SecretARN.parse("arn:aws:secretsmanager:us-east-1:123456789012:secret:a:b:c-AbCdEf"))
        #expect(arn.resource == "a:b:c-AbCdEf")
        #expect(arn.account == "123456789012")
        #expect(arn.nameWithoutSuffix == "a:b:c")
    }

    @Test(arguments: [
        "prod/db",
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager",
        "arn:aws:secretsmanager:us-east-1:123456789012:other:x-AbCdEf",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:",
        "arn:aws:secretsmanager:us-east-1:123456789012",
        "arn::secretsmanager:us-east-1:123456789012:secret:x",
        "ARN:aws:secretsmanager:us-east-1:123456789012:secret:x",
        "",
    ])
    func nonSecretARNsAreRejected(text: String) {
        #expect(SecretARN.parse(text) == nil)
    }

    @Test(arguments: [
        "name-abc",  // too short a suffix
        "name_AbCdEf",  // no dash
        "-AbCdEf",  // nothing before the suffix
        "name-Ab_dEf",  // not alphanumeric
        "name-AbCdEfG",  // seven characters after the dash
        "nameAbCdEf",
    ])
    func resourcesWithoutSuffix(resource: String) {
        let arn = SecretARN(region: self.region, account: self.account, resource: resource)
        #expect(!arn.hasSuffix)
        #expect(arn.nameWithoutSuffix == nil)
    }

    @Test(arguments: ["\u{e9}\u{e9}\u{e9}\u{e9}", "\u{1F511}\u{1F511}", "x-\u{e9}\u{e9}\u{e9}", "\u{e9}-abcdef"])
    func nonASCIIResourcesDoNotCrash(resource: String) throws {
        let arn = try #require(SecretARN.parse("arn:aws:secretsmanager:us-east-1:123456789012:secret:\(resource)"))
        #expect(arn.resource == resource)
        if resource == "\u{e9}-abcdef" {
            #expect(arn.nameWithoutSuffix == "\u{e9}")
        } else {
            #expect(!arn.hasSuffix)
        }
    }

    @Test func inRegionChangesOnlyTheRegion() throws {
        let arn = try #require(SecretARN.parse("arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf"))
        let replica = arn.inRegion("ap-southeast-2")
        #expect(replica.description == "arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:app-AbCdEf")
        #expect(replica.resource == arn.resource)
        #expect(replica.account == arn.account)
        #expect(replica.partition == arn.partition)
    }
}

@Suite struct IdentifierTests {
    @Test(arguments: [32, 36, 64])
    func validTokenLengths(length: Int) throws {
        try VersionIdentifier.validate(String(repeating: "a", count: length))
    }

    @Test func uuidIsAValidToken() throws {
        try VersionIdentifier.validate("EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE")
    }

    @Test(arguments: [0, 1, 31, 65, 200])
    func invalidTokenLengths(length: Int) {
        let error = expectError(.validation) { try VersionIdentifier.validate(String(repeating: "a", count: length)) }
        #expect(error?.message.contains("ClientRequestToken") == true)
        let bound = length > 64 ? "less than or equal to 64" : "greater than or equal to 32"
        #expect(error?.message.contains("Member must have length \(bound)") == true)
    }

    @Test func parameterNameIsReported() {
        let error = expectError(.validation) { try VersionIdentifier.validate("short", parameter: "VersionId") }
        #expect(error?.message.contains("'VersionId'") == true)
    }

    @Test(arguments: [" ", "\u{7F}", "\n", "\u{e9}"])
    func nonPrintableCharactersAreRejected(character: String) {
        let token = String(repeating: "a", count: 31) + character
        #expect(token.count == 32)
        expectError(.invalidParameter) { try VersionIdentifier.validate(token) }
    }

    @Test func stagingLabelLength() throws {
        try StagingLabel.validate("A")
        try StagingLabel.validate(String(repeating: "L", count: 256))
        expectError(.validation) { try StagingLabel.validate("") }
        expectError(.validation) { try StagingLabel.validate(String(repeating: "L", count: 257)) }
        #expect(StagingLabel.maximumPerVersion == 20)
        #expect([StagingLabel.current, StagingLabel.pending, StagingLabel.previous] == ["AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"])
    }
}
