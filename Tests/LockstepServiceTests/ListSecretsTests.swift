import Foundation
import LockstepCore
import LockstepService
import Testing

@Suite struct ListSecretsTests {
    @Test func pagesCoverEverySecretOnceInOrder() async throws {
        let h = try Harness()
        for index in 0..<25 {
            try await h.create(String(format: "app/secret-%02d", index))
            h.advance(days: 0.001)
        }
        var names: [String] = []
        var token: String?
        var pages = 0
        repeat {
            let page = try await h.manager.listSecrets(
                ListSecretsRequest(MaxResults: 10, NextToken: token, SortOrder: "asc", SortBy: "name"),
                context: h.context
            )
            names += page.SecretList.map(\.Name)
            token = page.NextToken
            pages += 1
        } while token != nil
        #expect(names == (0..<25).map { String(format: "app/secret-%02d", $0) })
        #expect(pages == 3)
        let oldestFirst = try await h.manager.listSecrets(ListSecretsRequest(MaxResults: 3), context: h.context)
        #expect(oldestFirst.SecretList.map(\.Name) == ["app/secret-00", "app/secret-01", "app/secret-02"], "AWS's default order")
        #expect(oldestFirst.SecretList.first?.SecretVersionsToStages?.values.first == ["AWSCURRENT"])
        let newestFirst = try await h.manager.listSecrets(ListSecretsRequest(MaxResults: 3, SortOrder: "desc"), context: h.context)
        #expect(newestFirst.SecretList.map(\.Name) == ["app/secret-24", "app/secret-23", "app/secret-22"])
    }

    @Test func batchGetWithFiltersListsOldestFirst() async throws {
        let h = try Harness()
        for index in 0..<4 {
            try await h.create("batch/s\(index)")
            h.advance(days: 0.001)
        }
        let batch = try await h.manager.batchGetSecretValue(
            BatchGetSecretValueRequest(Filters: [Filter(Key: "name", Values: ["batch/"])]),
            context: h.context
        )
        #expect(batch.SecretValues.map(\.Name) == ["batch/s0", "batch/s1", "batch/s2", "batch/s3"])
    }

    @Test func badTokensAndParametersAreRefused() async throws {
        let h = try Harness()
        try await h.create("a")
        #expect(
            await awsError { try await h.manager.listSecrets(ListSecretsRequest(NextToken: "garbage"), context: h.context) }?.code
                == .invalidNextToken
        )
        #expect(await awsError { try await h.manager.listSecrets(ListSecretsRequest(MaxResults: 101), context: h.context) }?.code == .validation)
        #expect(await awsError { try await h.manager.listSecrets(ListSecretsRequest(SortBy: "size"), context: h.context) }?.code == .validation)
        #expect(await awsError { try await h.manager.listSecrets(ListSecretsRequest(SortOrder: "up"), context: h.context) }?.code == .validation)
        let filter = [Filter(Key: "colour", Values: ["x"])]
        #expect(await awsError { try await h.manager.listSecrets(ListSecretsRequest(Filters: filter), context: h.context) }?.code == .validation)
        // A token from one query can't be replayed with other settings.
        try await h.create("b")
        let page = try await h.manager.listSecrets(ListSecretsRequest(MaxResults: 1, SortBy: "name"), context: h.context)
        let token = try #require(page.NextToken)
        #expect(
            await awsError {
                try await h.manager.listSecrets(ListSecretsRequest(MaxResults: 1, NextToken: token, SortBy: "created-date"), context: h.context)
            }?
            .code == .invalidNextToken
        )
    }

    @Test func filtersSelectByNameTagsDescriptionAndNegation() async throws {
        let h = try Harness()
        try await h.create("prod/db/main", tags: [Tag(Key: "env", Value: "production"), Tag(Key: "team", Value: "payments")])
        try await h.create("prod/cache", tags: [Tag(Key: "env", Value: "production")])
        try await h.create("dev/db/main", tags: [Tag(Key: "env", Value: "development")])
        _ = try await h.manager.updateSecret(
            UpdateSecretRequest(SecretId: "dev/db/main", Description: "Main Database for developers"),
            context: h.context
        )

        func names(_ filters: [Filter]) async throws -> Set<String> {
            Set(try await h.manager.listSecrets(ListSecretsRequest(Filters: filters), context: h.context).SecretList.map(\.Name))
        }
        #expect(try await names([Filter(Key: "name", Values: ["prod/"])]) == ["prod/db/main", "prod/cache"])
        #expect(try await names([Filter(Key: "name", Values: ["Prod/"])]) == [])
        #expect(try await names([Filter(Key: "name", Values: ["!prod/"])]) == ["dev/db/main"])
        #expect(try await names([Filter(Key: "tag-key", Values: ["team"])]) == ["prod/db/main"])
        #expect(try await names([Filter(Key: "tag-value", Values: ["dev"])]) == ["dev/db/main"])
        #expect(try await names([Filter(Key: "description", Values: ["database"])]) == ["dev/db/main"])
        #expect(try await names([Filter(Key: "all", Values: ["payments"])]) == ["prod/db/main"])
        #expect(
            try await names([Filter(Key: "name", Values: ["prod/", "dev/"]), Filter(Key: "tag-value", Values: ["production"])]) == [
                "prod/db/main", "prod/cache",
            ]
        )
        #expect(try await names([Filter(Key: "name", Values: ["prod/"]), Filter(Key: "tag-key", Values: ["!team"])]) == ["prod/cache"])
    }
}
