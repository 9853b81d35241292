import Testing

@testable import LockstepCore

private let secret = SecretFilter.Attributes(
    name: "prod/MyDbPassword",
    description: "Primary database credentials for Billing",
    tags: [Tag(Key: "Team", Value: "Payments"), Tag(Key: "env", Value: "production")],
    primaryRegion: "eu-west-1",
    owningService: "rds"
)

private let bare = SecretFilter.Attributes(name: "dev/plain", description: nil, tags: [], primaryRegion: nil, owningService: nil)

private func matches(_ key: SecretFilter.Key, _ values: [String], _ attributes: SecretFilter.Attributes = secret) -> Bool {
    SecretFilter(key: key, values: values).matches(attributes)
}

@Suite struct FilterMatchingTests {
    @Test func nameIsACaseSensitivePrefix() {
        #expect(matches(.name, ["prod/"]))
        #expect(matches(.name, ["prod/MyDb"]))
        #expect(matches(.name, ["prod/MyDbPassword"]))
        #expect(!matches(.name, ["Prod/"]))
        #expect(!matches(.name, ["prod/mydb"]))
        #expect(!matches(.name, ["MyDb"]), "not a prefix")
        #expect(!matches(.name, ["prod/MyDbPassword2"]))
    }

    @Test func descriptionIsACaseInsensitiveWordPrefix() {
        #expect(matches(.description, ["database"]))
        #expect(matches(.description, ["DATA"]))
        #expect(matches(.description, ["cred data"]), "every word must start some word")
        #expect(matches(.description, ["billing primary"]))
        #expect(!matches(.description, ["base"]), "not the start of a word")
        #expect(!matches(.description, ["database foo"]))
        #expect(!matches(.description, ["database"], bare), "no description, no match")
    }

    @Test func tagKeyAndValueAreCaseSensitivePrefixes() {
        #expect(matches(.tagKey, ["Te"]))
        #expect(matches(.tagKey, ["env"]))
        #expect(!matches(.tagKey, ["te"]))
        #expect(!matches(.tagKey, ["Env"]))
        #expect(!matches(.tagKey, ["Payments"]), "tag-key does not look at values")

        #expect(matches(.tagValue, ["Pay"]))
        #expect(matches(.tagValue, ["prod"]))
        #expect(!matches(.tagValue, ["pay"]))
        #expect(!matches(.tagValue, ["Team"]), "tag-value does not look at keys")
        #expect(!matches(.tagValue, ["Pay"], bare))
    }

    @Test func primaryRegionIsACaseSensitivePrefix() {
        #expect(matches(.primaryRegion, ["eu-"]))
        #expect(matches(.primaryRegion, ["eu-west-1"]))
        #expect(!matches(.primaryRegion, ["EU"]))
        #expect(!matches(.primaryRegion, ["west"]))
        #expect(!matches(.primaryRegion, ["eu-"], bare))
    }

    @Test func owningServiceIsACaseSensitivePrefix() {
        #expect(matches(.owningService, ["rds"]))
        #expect(!matches(.owningService, ["RDS"]), "case-sensitive, as the API reference says")
        #expect(matches(.owningService, ["r"]))
        #expect(!matches(.owningService, ["aurora"]))
        #expect(!matches(.owningService, ["rds"], bare))
    }

    @Test func allSearchesNameDescriptionAndTagsByWord() {
        #expect(matches(.all, ["billing"]), "description")
        #expect(matches(.all, ["payments"]), "tag value, case-insensitive")
        #expect(matches(.all, ["TEAM"]), "tag key, case-insensitive")
        #expect(matches(.all, ["db"]), "camel-case word of the name")
        #expect(matches(.all, ["prod"]))
        #expect(matches(.all, ["pass my"]), "several words of one attribute")
        #expect(!matches(.all, ["xyz"]))
        #expect(!matches(.all, ["assword"]))
        #expect(matches(.all, ["plain"], bare))
    }

    @Test func allSplitsTheValueBeforeFoldingCase() {
        let one = SecretFilter.Attributes(name: "SecretOne61db85", description: nil, tags: [], primaryRegion: nil, owningService: nil)
        #expect(matches(.all, ["SecretOne"], one), "Secret and One each start a word")
        #expect(!matches(.all, ["secretone"], one), "one lower-case word, the start of no word")
        #expect(matches(.all, ["one61"], one))
        #expect(!matches(.all, ["61db"], one), "digits do not start a word")
        let app = SecretFilter.Attributes(name: "x", description: nil, tags: [Tag(Key: "AppBetaTeam", Value: "v")], primaryRegion: nil, owningService: nil)
        #expect(matches(.all, ["AppBeta"], app))
        #expect(matches(.all, ["beta app"], app), "words in any order")
        #expect(!matches(.all, ["AppBeta"], bare))
        let company = SecretFilter.Attributes(name: "COMPANYthings", description: nil, tags: [], primaryRegion: nil, owningService: nil)
        #expect(matches(.all, ["ythings"], company))
        #expect(matches(.all, ["compan"], company))
        #expect(!matches(.all, ["things"], company))
        #expect(matches(.description, ["Billing Primary"]))
        #expect(!matches(.all, ["Payments production"]), "all words must match within one attribute")
    }

    @Test func negationExcludes() {
        #expect(!matches(.name, ["!prod/"]))
        #expect(matches(.name, ["!dev/"]))
        #expect(!matches(.tagKey, ["!Team"]), "some tag key matches, so the secret is excluded")
        #expect(matches(.tagKey, ["!Owner"]))
        #expect(matches(.tagKey, ["!Team"], bare))
        #expect(!matches(.description, ["!DATABASE"]))
        #expect(matches(.description, ["!database"], bare), "a missing attribute matches a negation")
        #expect(!matches(.all, ["!billing"]))
        // A negation vetoes even when a positive value of the same filter matches.
        #expect(!matches(.name, ["prod/", "!prod/My"]))
        #expect(matches(.name, ["prod/", "!prod/Other"]))
    }

    @Test func valuesOfOneFilterAreOred() {
        #expect(matches(.tagValue, ["nope", "Pay"]))
        #expect(matches(.name, ["dev/", "prod/"]))
        #expect(!matches(.name, ["dev/", "test/"]))
    }

    @Test func filtersAreAnded() {
        let both = [SecretFilter(key: .name, values: ["prod/"]), SecretFilter(key: .tagKey, values: ["Team"])]
        #expect(SecretFilter.matches(both, secret))
        let oneFails = [SecretFilter(key: .name, values: ["prod/"]), SecretFilter(key: .tagKey, values: ["Owner"])]
        #expect(!SecretFilter.matches(oneFails, secret))
        #expect(SecretFilter.matches([], secret), "no filter matches everything")
        #expect(SecretFilter.matches([], bare))
    }

    @Test func words() {
        #expect(SecretFilter.words("MyDbPassword") == ["My", "Db", "Password"])
        #expect(SecretFilter.words("prod/db_user-1.x") == ["prod", "db", "user", "1", "x"])
        #expect(SecretFilter.words("DBPassword") == ["DB", "Password"])
        #expect(SecretFilter.words("COMPANYthings") == ["COMPAN", "Ythings"])
        #expect(SecretFilter.words("credsDatabase#892") == ["creds", "Database", "892"], "the user guide's example")
        #expect(SecretFilter.words("My_Secret") == ["My", "Secret"], "the user guide's example")
        #expect(SecretFilter.words("SecretOne61db85") == ["Secret", "One61db85"], "letters and digits stay together")
        #expect(SecretFilter.words("ABC") == ["ABC"])
        #expect(SecretFilter.words("  ") == [])
        #expect(SecretFilter.words("") == [])
        #expect(SecretFilter.words("a1B") == ["a1B"])
        #expect(SecretFilter.words("abcDef ghi") == ["abc", "Def", "ghi"])
    }
}

@Suite struct FilterParsingTests {
    @Test func noFiltersParseToNone() throws {
        #expect(try SecretFilter.parse(nil).isEmpty)
        #expect(try SecretFilter.parse([]).isEmpty)
    }

    @Test func everyKeyParses() throws {
        let keys = ["description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all"]
        let parsed = try SecretFilter.parse(keys.map { Filter(Key: $0, Values: ["x"]) })
        #expect(parsed.map(\.key) == [.description, .name, .tagKey, .tagValue, .primaryRegion, .owningService, .all])
        #expect(parsed.allSatisfy { $0.values == ["x"] })
    }

    @Test(arguments: ["Name", "tag_key", "tags", "", "region"])
    func invalidKeysAreRejected(key: String) {
        let error = expectError(.validation) { try SecretFilter.parse([Filter(Key: key, Values: ["x"])]) }
        #expect(error?.message.contains("enum value set") == true)
    }

    @Test func atMostTenFilters() throws {
        let ten = Array(repeating: Filter(Key: "name", Values: ["x"]), count: 10)
        #expect(try SecretFilter.parse(ten).count == 10)
        expectError(.validation) { try SecretFilter.parse(ten + [Filter(Key: "name", Values: ["y"])]) }
    }

    @Test func valueCountBetweenOneAndTen() throws {
        #expect(try SecretFilter.parse([Filter(Key: "name", Values: (1...10).map { "v\($0)" })]).count == 1)
        expectError(.invalidParameter) { try SecretFilter.parse([Filter(Key: "name", Values: (1...11).map { "v\($0)" })]) }
        expectError(.invalidParameter) { try SecretFilter.parse([Filter(Key: "name", Values: [])]) }
        expectError(.invalidParameter) { try SecretFilter.parse([Filter(Key: "name", Values: nil)]) }
    }

    @Test func valueLengthBetweenOneAnd512() throws {
        _ = try SecretFilter.parse([Filter(Key: "description", Values: [String(repeating: "d", count: 512)])])
        expectError(.validation) { try SecretFilter.parse([Filter(Key: "description", Values: [""])]) }
        expectError(.validation) { try SecretFilter.parse([Filter(Key: "description", Values: [String(repeating: "d", count: 513)])]) }
    }
}
