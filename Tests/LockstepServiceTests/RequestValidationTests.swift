import LockstepCore
import Testing

@testable import LockstepService

/// The model's constraints on request members, as pure rules (the HTTP behaviour is in tests/security and
/// tests/compat/test_fidelity.py).
@Suite struct RequestValidationTests {
    func failure(_ request: some ValidatedRequest) -> SecretsManagerError? {
        do {
            try request.validated()
            return nil
        } catch {
            return error
        }
    }

    @Test func everyViolationIsReportedInAWSWordsWith1BasedPositions() {
        let request = TagResourceRequest(SecretId: "", Tags: [Tag(Key: "ok", Value: "v"), Tag(Key: String(repeating: "k", count: 129), Value: "v")])
        let error = failure(request)
        #expect(error?.code == .validation)
        #expect(error?.message.hasPrefix("2 validation errors detected: Value '' at 'secretId' failed to satisfy constraint: Member must have length greater than or equal to 1; ") == true)
        #expect(error?.message.contains("at 'tags.2.member.key' failed to satisfy constraint: Member must have length less than or equal to 128") == true)
    }

    @Test func controlCharactersAreRefusedAndShownEscaped() {
        let error = failure(GetSecretValueRequest(SecretId: "db", VersionStage: "AWSPREVIOUS\u{0}"))
        #expect(error?.message == "1 validation error detected: Value 'AWSPREVIOUS\\u0000' at 'versionStage' failed to satisfy constraint: Member must not contain control characters")
        #expect(failure(GetSecretValueRequest(SecretId: "db\u{85}")) != nil, "C1 controls too")
        #expect(failure(GetSecretValueRequest(SecretId: "prod/db-é✓")) == nil, "other Unicode is fine")
    }

    @Test func freeTextKeepsTabsAndLineBreaks() {
        #expect(failure(UpdateSecretRequest(SecretId: "a", Description: "one\n\ttwo\r\n")) == nil)
        #expect(failure(UpdateSecretRequest(SecretId: "a", Description: "bell\u{7}")) != nil)
    }

    @Test func lengthsCountUTF16UnitsAsAWSDoes() {
        // 64 emoji are 128 UTF-16 units: a tag key at the limit; one more is over it.
        #expect(failure(UntagResourceRequest(SecretId: "a", TagKeys: [String(repeating: "😀", count: 64)])) == nil)
        #expect(failure(UntagResourceRequest(SecretId: "a", TagKeys: [String(repeating: "😀", count: 65)])) != nil)
    }

    @Test func patternsEnumsAndListBounds() {
        #expect(failure(ReplicateSecretToRegionsRequest(SecretId: "a", AddReplicaRegions: [ReplicaRegionType(Region: "us-gov-west-1")])) == nil)
        #expect(failure(ReplicateSecretToRegionsRequest(SecretId: "a", AddReplicaRegions: [ReplicaRegionType(Region: "US-EAST-1")]))?.message.contains("regular expression pattern") == true)
        #expect(failure(ListSecretsRequest(SortOrder: "up"))?.message.contains("enum value set: [asc, desc]") == true)
        let many = (0..<21).map { "s\($0)" }
        let error = failure(BatchGetSecretValueRequest(SecretIdList: many))
        #expect(error?.message.contains("Member must have length less than or equal to 20") == true)
        #expect(error?.message.contains("...]") == true, "a long list is shown by its first members")
    }

    @Test func aRawRotateSecretMustCarryItsToken() {
        #expect(failure(RotateSecretRequest(SecretId: "a")) == .missingRotationClientRequestToken)
        #expect(failure(RotateSecretRequest(SecretId: "a", ClientRequestToken: String(repeating: "t", count: 36))) == nil)
    }
}
