import Foundation
@testable import LockstepAudit
import LockstepAuth
import LockstepCore
import LockstepService
import LockstepStore
import Testing

/// A data directory with access control and audit on, and callers made from real identities and keys.
struct AccessHarness {
    static let accountA = "111111111111"
    static let accountB = "222222222222"

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID().uuidString)")
    let environment: LockstepEnvironment

    init(jsonLines: Bool = false) throws {
        var configuration = LockstepEnvironment.Configuration(dataDirectory: self.directory, account: Self.accountA, environment: [:])
        if jsonLines { configuration.audit.jsonLinesPath = self.directory.appendingPathComponent("audit.jsonl").path }
        self.environment = try LockstepEnvironment.open(configuration, create: true)
    }

    var identities: Identities { Identities(manager: self.environment.manager) }

    /// A user of `account` with these inline policies, as the server would see it after SigV4.
    func user(_ name: String, account: String = accountA, policies: [String] = []) async throws -> Caller {
        try await self.identities.create(.user, name: name, account: account)
        for (index, policy) in policies.enumerated() {
            try await self.identities.putPolicy(.user, name: name, account: account, policyName: "p\(index)", document: policy)
        }
        let key = try await AccessKeys(manager: self.environment.manager, cacheLifetime: 0).create(userName: name, account: account)
        return try #require(try await AccessKeys(manager: self.environment.manager, cacheLifetime: 0).credential(for: key.AccessKeyId)).caller
    }

    /// The administrator `init` creates.
    func admin() async throws -> Caller {
        let key = try await AccessKeys(manager: self.environment.manager, cacheLifetime: 0).create(userName: "admin", account: Self.accountA)
        return try #require(try await AccessKeys(manager: self.environment.manager, cacheLifetime: 0).credential(for: key.AccessKeyId)).caller
    }

    func context(_ caller: Caller, sourceIP: String = "10.0.0.5") -> RequestContext {
        RequestContext(
            caller: caller,
            region: "us-east-1",
            sourceIP: sourceIP,
            userAgent: "tests",
            secureTransport: false,
            requestID: UUID().uuidString
        )
    }

    /// Calls an operation; the response JSON or the error.
    @discardableResult
    func call(
        _ caller: Caller,
        _ operation: String,
        _ body: [String: Any],
        sourceIP: String = "10.0.0.5"
    ) async -> Result<[String: Any], SecretsManagerError> {
        let data = try! JSONSerialization.data(withJSONObject: body)
        do {
            let response = try await self.environment.dispatcher.invoke(operation, body: data, context: self.context(caller, sourceIP: sourceIP))
            return .success((try? JSONSerialization.jsonObject(with: response) as? [String: Any]) ?? [:])
        } catch {
            return .failure(error)
        }
    }

    func create(_ caller: Caller, _ name: String, value: String = "v-\(UUID().uuidString)", tags: [[String: String]]? = nil) async throws -> String {
        var body: [String: Any] = ["Name": name, "SecretString": value, "ClientRequestToken": UUID().uuidString]
        if let tags { body["Tags"] = tags }
        let created = try await self.call(caller, "CreateSecret", body).get()
        return try #require(created["ARN"] as? String)
    }

    func auditRecords() async throws -> [[String: Any]] {
        try await self.environment.auditLog.flush()
        return try await AuditLog.list(store: self.environment.auditStore, query: AuditQuery()).map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.record.utf8)) as? [String: Any])
        }
    }
}

func allowPolicy(_ action: String, _ resource: String = "*", condition: String? = nil) -> String {
    let condition = condition.map { #", "Condition": \#($0)"# } ?? ""
    return #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "\#(action)", "Resource": "\#(resource)"\#(condition)}]}"#
}

extension Result where Failure == SecretsManagerError {
    var errorCode: String? {
        if case .failure(let error) = self { return error.code.rawValue }
        return nil
    }
}

@Suite struct AccessControlTests {
    @Test func aUserWithoutPoliciesIsDeniedAndNothingChanges() async throws {
        let harness = try AccessHarness()
        let admin = try await harness.admin()
        let alice = try await harness.user("alice")
        let denied = await harness.call(alice, "CreateSecret", ["Name": "prod/db", "SecretString": "x", "ClientRequestToken": UUID().uuidString])
        guard case .failure(let error) = denied else {
            Issue.record("alice created a secret")
            return
        }
        #expect(error.code == .accessDenied)
        #expect(
            error.message.hasPrefix(
                "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: secretsmanager:CreateSecret on resource: arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-"
            )
        )
        #expect(error.message.hasSuffix("because no identity-based policy allows the secretsmanager:CreateSecret action"))
        let listed = try await harness.call(admin, "ListSecrets", [:]).get()
        #expect((listed["SecretList"] as? [Any])?.isEmpty == true)
        #expect(await harness.call(alice, "ListSecrets", [:]).errorCode == "AccessDeniedException")
        #expect(await harness.call(alice, "GetRandomPassword", [:]).errorCode == "AccessDeniedException")
    }

    @Test func identityPoliciesScopeByResourceAndHideWhatTheyDontAllow() async throws {
        let harness = try AccessHarness()
        let admin = try await harness.admin()
        _ = try await harness.create(admin, "prod/db", value: "prod-value")
        _ = try await harness.create(admin, "dev/db")
        let alice = try await harness.user(
            "alice",
            policies: [allowPolicy("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:*:*:secret:prod/*")]
        )
        let value = try await harness.call(alice, "GetSecretValue", ["SecretId": "prod/db"]).get()
        #expect(value["SecretString"] as? String == "prod-value")
        #expect(await harness.call(alice, "GetSecretValue", ["SecretId": "dev/db"]).errorCode == "AccessDeniedException")
        #expect(await harness.call(alice, "DescribeSecret", ["SecretId": "prod/db"]).errorCode == "AccessDeniedException")
        // A missing secret the caller could read is "not found"; one it couldn't is "denied" (no probing of names).
        #expect(await harness.call(alice, "GetSecretValue", ["SecretId": "prod/missing"]).errorCode == "ResourceNotFoundException")
        #expect(await harness.call(alice, "GetSecretValue", ["SecretId": "dev/missing"]).errorCode == "AccessDeniedException")
    }

    @Test func aResourcePolicyAloneGrantsWithinTheAccount() async throws {
        let harness = try AccessHarness()
        let admin = try await harness.admin()
        let arn = try await harness.create(admin, "shared/db")
        let bob = try await harness.user("bob")
        #expect(await harness.call(bob, "GetSecretValue", ["SecretId": "shared/db"]).errorCode == "AccessDeniedException")
        let policy =
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/bob"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#
        _ = try await harness.call(admin, "PutResourcePolicy", ["SecretId": arn, "ResourcePolicy": policy]).get()
        #expect(try await harness.call(bob, "GetSecretValue", ["SecretId": "shared/db"]).get()["ARN"] as? String == arn)
        let fetched = try await harness.call(admin, "GetResourcePolicy", ["SecretId": "shared/db"]).get()
        #expect(fetched["ResourcePolicy"] as? String == policy)
        _ = try await harness.call(admin, "DeleteResourcePolicy", ["SecretId": "shared/db"]).get()
        #expect(await harness.call(bob, "GetSecretValue", ["SecretId": "shared/db"]).errorCode == "AccessDeniedException")
        #expect(try await harness.call(admin, "GetResourcePolicy", ["SecretId": "shared/db"]).get()["ResourcePolicy"] == nil)
    }

    @Test func acrossAccountsBothPoliciesMustAllow() async throws {
        let harness = try AccessHarness()
        let admin = try await harness.admin()
        let arn = try await harness.create(admin, "shared/api", value: "api-key")
        let carol = try await harness.user("carol", account: AccessHarness.accountB, policies: [allowPolicy("secretsmanager:GetSecretValue")])
        let dave = try await harness.user("dave", account: AccessHarness.accountB)
        #expect(await harness.call(carol, "GetSecretValue", ["SecretId": arn]).errorCode == "AccessDeniedException")
        let policy =
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#
        _ = try await harness.call(admin, "PutResourcePolicy", ["SecretId": arn, "ResourcePolicy": policy]).get()
        #expect(try await harness.call(carol, "GetSecretValue", ["SecretId": arn]).get()["SecretString"] as? String == "api-key")
        // Dave's account is trusted but his own policies allow nothing.
        #expect(await harness.call(dave, "GetSecretValue", ["SecretId": arn]).errorCode == "AccessDeniedException")
        // By name, carol looks in her own account.
        #expect(await harness.call(carol, "GetSecretValue", ["SecretId": "shared/api"]).errorCode == "ResourceNotFoundException")
        // The resource policy allows only reads.
        #expect(
            await harness.call(carol, "PutSecretValue", ["SecretId": arn, "SecretString": "x", "ClientRequestToken": UUID().uuidString]).errorCode
                == "AccessDeniedException"
        )
    }

    @Test func anExplicitDenyInTheResourcePolicyBindsTheAdministrator() async throws {
        let harness = try AccessHarness()
        let admin = try await harness.admin()
        let arn = try await harness.create(admin, "locked/db", value: "before")
        let policy =
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"secretsmanager:PutSecretValue","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"192.168.0.0/16"}}}]}"#
        _ = try await harness.call(admin, "PutResourcePolicy", ["SecretId": arn, "ResourcePolicy": policy]).get()
        let put = await harness.call(admin, "PutSecretValue", ["SecretId": arn, "SecretString": "after", "ClientRequestToken": UUID().uuidString])
        guard case .failure(let error) = put else {
            Issue.record("the deny didn't apply")
            return
        }
        #expect(error.message.hasSuffix("with an explicit deny in a resource-based policy"))
        #expect(try await harness.call(admin, "GetSecretValue", ["SecretId": arn]).get()["SecretString"] as? String == "before")
        _ = try await harness.call(
            admin,
            "PutSecretValue",
            ["SecretId": arn, "SecretString": "after", "ClientRequestToken": UUID().uuidString],
            sourceIP: "192.168.1.9"
        ).get()
    }

    @Test func tagsAndVersionStagesInConditions() async throws {
        let harness = try AccessHarness()
        let admin = try await harness.admin()
        _ = try await harness.create(admin, "blue/db", tags: [["Key": "team", "Value": "blue"]])
        _ = try await harness.create(admin, "red/db", tags: [["Key": "team", "Value": "red"]])
        _ = try await harness.call(
            admin,
            "PutSecretValue",
            ["SecretId": "blue/db", "SecretString": "pending", "ClientRequestToken": UUID().uuidString, "VersionStages": ["AWSPENDING"]]
        ).get()
        let erin = try await harness.user(
            "erin",
            policies: [
                allowPolicy(
                    "secretsmanager:GetSecretValue",
                    condition: #"{"StringEquals": {"aws:ResourceTag/team": "blue", "secretsmanager:VersionStage": "AWSCURRENT"}}"#
                ),
                allowPolicy("secretsmanager:CreateSecret", condition: #"{"StringEquals": {"aws:RequestTag/team": "blue"}}"#),
            ]
        )
        #expect(await harness.call(erin, "GetSecretValue", ["SecretId": "blue/db"]).errorCode == nil)
        #expect(await harness.call(erin, "GetSecretValue", ["SecretId": "blue/db", "VersionStage": "AWSCURRENT"]).errorCode == nil)
        #expect(
            await harness.call(erin, "GetSecretValue", ["SecretId": "blue/db", "VersionStage": "AWSPENDING"]).errorCode == "AccessDeniedException"
        )
        #expect(await harness.call(erin, "GetSecretValue", ["SecretId": "red/db"]).errorCode == "AccessDeniedException")
        let token = UUID().uuidString
        #expect(
            await harness.call(erin, "CreateSecret", ["Name": "blue/new", "ClientRequestToken": token, "Tags": [["Key": "team", "Value": "blue"]]])
                .errorCode == nil
        )
        #expect(
            await harness.call(erin, "CreateSecret", ["Name": "red/new", "ClientRequestToken": token, "Tags": [["Key": "team", "Value": "red"]]])
                .errorCode == "AccessDeniedException"
        )
    }

    @Test func theRotationFunctionInConditions() async throws {
        let harness = try AccessHarness()
        let admin = try await harness.admin()
        _ = try await harness.create(admin, "app/db")
        let frank = try await harness.user(
            "frank",
            policies: [
                allowPolicy(
                    "secretsmanager:RotateSecret",
                    condition: #"{"StringEquals": {"secretsmanager:RotationLambdaARN": "postgres-single-user"}}"#
                )
            ]
        )
        let other = await harness.call(
            frank,
            "RotateSecret",
            ["SecretId": "app/db", "RotationLambdaARN": "mariadb-single-user", "ClientRequestToken": UUID().uuidString]
        )
        #expect(other.errorCode == "AccessDeniedException")
        let allowed = await harness.call(
            frank,
            "RotateSecret",
            ["SecretId": "app/db", "RotationLambdaARN": "postgres-single-user", "ClientRequestToken": UUID().uuidString]
        )
        #expect(allowed.errorCode == nil)
    }

    @Test func resourcePolicyValidation() async throws {
        let harness = try AccessHarness()
        let admin = try await harness.admin()
        let arn = try await harness.create(admin, "validate/db")
        let open =
            #"{"Version":"2012-10-17","Statement":[{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#
        #expect(
            await harness.call(admin, "PutResourcePolicy", ["SecretId": arn, "ResourcePolicy": open, "BlockPublicPolicy": true]).errorCode
                == "PublicPolicyException"
        )
        #expect(try await harness.call(admin, "GetResourcePolicy", ["SecretId": arn]).get()["ResourcePolicy"] == nil)
        #expect(
            await harness.call(admin, "PutResourcePolicy", ["SecretId": arn, "ResourcePolicy": #"{"Statement": []}"#]).errorCode
                == "MalformedPolicyDocumentException"
        )
        let validated = try await harness.call(admin, "ValidateResourcePolicy", ["ResourcePolicy": open]).get()
        #expect(validated["PolicyValidationPassed"] as? Bool == false)
        let errors = validated["ValidationErrors"] as? [[String: String]]
        #expect(errors?.first?["CheckName"] == "BROAD_ACCESS_CHECK")
        let broken = try await harness.call(
            admin,
            "ValidateResourcePolicy",
            ["SecretId": arn, "ResourcePolicy": #"{"Statement": {"Effect": "Allow"}}"#]
        ).get()
        #expect((broken["ValidationErrors"] as? [[String: String]])?.first?["CheckName"] == "SYNTAX_CHECK")
        let fine = try await harness.call(
            admin,
            "ValidateResourcePolicy",
            ["ResourcePolicy": #"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "*", "Resource": "*"}}"#]
        ).get()
        #expect(fine["PolicyValidationPassed"] as? Bool == true)
    }

    @Test func scopedCredentialsReachOnlyTheirSecrets() async throws {
        let harness = try AccessHarness()
        let admin = try await harness.admin()
        let app = try await harness.create(admin, "app/db")
        let master = try await harness.create(admin, "app/master")
        _ = try await harness.create(admin, "other/db")
        let credentials = try await Sessions(manager: harness.environment.manager).scopedCredentials(
            account: AccessHarness.accountA,
            region: "us-east-1",
            secretARNs: [app, master],
            sessionName: "rotation-app-db"
        )
        #expect(credentials.AccessKeyId.hasPrefix("ASIA"))
        let credential = try #require(
            try await AccessKeys(manager: harness.environment.manager, cacheLifetime: 0).credential(for: credentials.AccessKeyId)
        )
        #expect(credential.principal.arn == "arn:aws:sts::111111111111:assumed-role/LockstepRotator/rotation-app-db")
        #expect(throws: SecretsManagerError.self) { try credential.checkSessionToken(nil, now: Date()) }
        #expect(throws: SecretsManagerError.self) { try credential.checkSessionToken("wrong", now: Date()) }
        try credential.checkSessionToken(credentials.SessionToken.value, now: Date())
        #expect(throws: SecretsManagerError.self) {
            try credential.checkSessionToken(credentials.SessionToken.value, now: Date().addingTimeInterval(3600))
        }
        let rotator = credential.caller
        #expect(await harness.call(rotator, "GetSecretValue", ["SecretId": app]).errorCode == nil)
        #expect(
            await harness.call(
                rotator,
                "PutSecretValue",
                ["SecretId": app, "SecretString": "new", "ClientRequestToken": UUID().uuidString, "VersionStages": ["AWSPENDING"]]
            ).errorCode == nil
        )
        #expect(await harness.call(rotator, "GetSecretValue", ["SecretId": master]).errorCode == nil)
        #expect(await harness.call(rotator, "GetSecretValue", ["SecretId": "other/db"]).errorCode == "AccessDeniedException")
        #expect(await harness.call(rotator, "ListSecrets", [:]).errorCode == "AccessDeniedException")
    }

    @Test func aRotatorsCredentialsCoverItsSecretAndItsMasterSecret() async throws {
        let harness = try AccessHarness()
        let admin = try await harness.admin()
        let master = try await harness.create(admin, "db/master", value: #"{"username":"postgres","password":"m"}"#)
        let app = try await harness.create(admin, "db/app", value: #"{"username":"app","password":"a","masterarn":"\#(master)"}"#)
        _ = try await harness.create(admin, "db/unrelated")
        let credentials = try await Sessions(manager: harness.environment.manager).rotatorCredentials(
            secretId: "db/app",
            account: AccessHarness.accountA,
            region: "us-east-1",
            sessionName: "rotate-db-app"
        )
        let rotator = try #require(try await AccessKeys(manager: harness.environment.manager, cacheLifetime: 0).credential(for: credentials.AccessKeyId)).caller
        #expect(await harness.call(rotator, "GetSecretValue", ["SecretId": app]).errorCode == nil)
        #expect(await harness.call(rotator, "GetSecretValue", ["SecretId": master]).errorCode == nil)
        #expect(await harness.call(rotator, "GetSecretValue", ["SecretId": "db/unrelated"]).errorCode == "AccessDeniedException")
    }

    @Test func theServiceItselfIsNotSubjectToPoliciesButIsAudited() async throws {
        let harness = try AccessHarness()
        let admin = try await harness.admin()
        let arn = try await harness.create(admin, "svc/db", value: "svc-value")
        let lockdown = #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}"#
        _ = try await harness.call(admin, "PutResourcePolicy", ["SecretId": arn, "ResourcePolicy": lockdown]).get()
        #expect(await harness.call(admin, "GetSecretValue", ["SecretId": arn]).errorCode == "AccessDeniedException")
        let system = RequestContext.system(account: AccessHarness.accountA, region: "us-east-1")
        let body = try JSONSerialization.data(withJSONObject: ["SecretId": arn])
        let value = try await harness.environment.dispatcher.invoke("GetSecretValue", body: body, context: system)
        #expect(String(decoding: value, as: UTF8.self).contains("svc-value"))
        let last = try #require(try await harness.auditRecords().last)
        #expect((last["userIdentity"] as? [String: Any])?["type"] as? String == "AWSService")
        #expect((last["userIdentity"] as? [String: Any])?["invokedBy"] as? String == "secretsmanager.amazonaws.com")
    }

    @Test func assumingARoleFollowsItsTrustPolicy() async throws {
        let harness = try AccessHarness()
        let admin = try await harness.admin()
        _ = try await harness.create(admin, "reports/db", value: "report-value")
        let trust =
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/frank"},"Action":"sts:AssumeRole"}]}"#
        try await harness.identities.create(.role, name: "reader", account: AccessHarness.accountA, trustPolicy: trust)
        try await harness.identities.putPolicy(
            .role,
            name: "reader",
            account: AccessHarness.accountA,
            policyName: "read",
            document: allowPolicy("secretsmanager:GetSecretValue")
        )
        let frank = try await harness.user("frank")
        let grace = try await harness.user("grace", policies: [allowPolicy("sts:AssumeRole")])
        let sessions = Sessions(manager: harness.environment.manager)
        let role = "arn:aws:iam::111111111111:role/reader"
        await #expect(throws: SecretsManagerError.self) { try await sessions.assumeRole(caller: grace, roleARN: role, sessionName: "g1") }
        let assumed = try await sessions.assumeRole(caller: frank, roleARN: role, sessionName: "f1")
        #expect(assumed.AssumedRoleUser.Arn == "arn:aws:sts::111111111111:assumed-role/reader/f1")
        let session = try #require(
            try await AccessKeys(manager: harness.environment.manager, cacheLifetime: 0).credential(for: assumed.Credentials.AccessKeyId)
        ).caller
        #expect(try await harness.call(session, "GetSecretValue", ["SecretId": "reports/db"]).get()["SecretString"] as? String == "report-value")
        #expect(await harness.call(session, "DeleteSecret", ["SecretId": "reports/db"]).errorCode == "AccessDeniedException")
        // A session policy narrows the role further.
        let narrowed = try await sessions.assumeRole(
            caller: frank,
            roleARN: role,
            sessionName: "f2",
            policy: allowPolicy("secretsmanager:DescribeSecret")
        )
        let narrow = try #require(
            try await AccessKeys(manager: harness.environment.manager, cacheLifetime: 0).credential(for: narrowed.Credentials.AccessKeyId)
        ).caller
        #expect(await harness.call(narrow, "GetSecretValue", ["SecretId": "reports/db"]).errorCode == "AccessDeniedException")
    }

    @Test func malformedIdentityPoliciesAreRefused() async throws {
        let harness = try AccessHarness()
        try await harness.identities.create(.user, name: "henry", account: AccessHarness.accountA)
        await #expect {
            try await harness.identities.putPolicy(
                .user,
                name: "henry",
                account: AccessHarness.accountA,
                policyName: "bad",
                document: #"{"Statement": [{"Effect": "Allow", "Action": "*"}]}"#
            )
        } throws: { error in
            (error as? SecretsManagerError)?.code == .malformedPolicyDocument && (error as? SecretsManagerError)?.message.contains("Resource") == true
        }
    }
}

@Suite struct AuditTrailTests {
    @Test func eachSecretOfABatchIsAuditedAsAGetSecretValueOfItsOwn() async throws {
        let harness = try AccessHarness()
        let admin = try await harness.admin()
        let value = "batch-plaintext-\(UUID().uuidString)"
        let open = try await harness.create(admin, "batch/open", value: value)
        let closed = try await harness.create(admin, "batch/closed", value: value + "-closed")
        // Bob may call BatchGetSecretValue (on `*`) but GetSecretValue only on the first secret.
        let bob = try await harness.user(
            "bob",
            policies: [allowPolicy("secretsmanager:BatchGetSecretValue"), allowPolicy("secretsmanager:GetSecretValue", open)]
        )
        let batch = try await harness.call(bob, "BatchGetSecretValue", ["SecretIdList": [open, closed, "batch/missing"]]).get()
        #expect((batch["SecretValues"] as? [[String: Any]])?.compactMap { $0["ARN"] as? String } == [open])
        // A secret Bob may not read is refused whether or not it exists: the answer doesn't disclose existence.
        #expect((batch["Errors"] as? [[String: Any]])?.compactMap { $0["ErrorCode"] as? String } == ["AccessDeniedException", "AccessDeniedException"])

        let records = try await harness.auditRecords().filter { ($0["userIdentity"] as? [String: Any])?["userName"] as? String == "bob" }
        #expect(records.compactMap { $0["eventName"] as? String } == ["GetSecretValue", "GetSecretValue", "GetSecretValue", "BatchGetSecretValue"])
        #expect(records.map { $0["errorCode"] as? String } == [nil, "AccessDeniedException", "AccessDeniedException", nil])
        let secretIds = records.prefix(3).map { ($0["requestParameters"] as? [String: Any])?["SecretId"] as? String }
        #expect(secretIds == [open, closed, "batch/missing"])
        #expect(records[0]["resources"].flatMap { ($0 as? [[String: Any]])?.first?["ARN"] as? String } == open)
        // Every member shares the batch's request id, and none of them holds a value.
        #expect(Set(records.compactMap { $0["requestID"] as? String }).count == 1)
        let text = String(decoding: try JSONSerialization.data(withJSONObject: records), as: UTF8.self)
        #expect(!text.contains(value))
    }

    @Test func callsAllowedAndDeniedAndLifecycleEventsAreRecordedAndChained() async throws {
        let harness = try AccessHarness(jsonLines: true)
        let admin = try await harness.admin()
        let secretValue = "known-plaintext-\(UUID().uuidString)"
        let arn = try await harness.create(admin, "audited/db", value: secretValue)
        _ = try await harness.call(
            admin,
            "PutSecretValue",
            ["SecretId": arn, "SecretString": secretValue + "-2", "ClientRequestToken": UUID().uuidString]
        ).get()
        _ = try await harness.call(admin, "GetSecretValue", ["SecretId": "audited/db"]).get()
        _ = try await harness.call(admin, "GetRandomPassword", [:]).get()
        let alice = try await harness.user("alice")
        _ = await harness.call(alice, "GetSecretValue", ["SecretId": "audited/db"])
        _ = try await harness.call(admin, "DeleteSecret", ["SecretId": arn]).get()
        _ = try await harness.call(admin, "RestoreSecret", ["SecretId": arn]).get()
        _ = try await harness.call(admin, "DeleteSecret", ["SecretId": arn, "ForceDeleteWithoutRecovery": true]).get()
        let records = try await harness.auditRecords()
        let names = records.compactMap { $0["eventName"] as? String }
        #expect(
            names == [
                "CreateSecret", "PutSecretValue", "GetSecretValue", "GetRandomPassword", "GetSecretValue", "StartSecretVersionDelete",
                "StartSecretVersionDelete", "DeleteSecret", "CancelSecretVersionDelete", "CancelSecretVersionDelete", "RestoreSecret",
                "EndSecretVersionDelete", "EndSecretVersionDelete", "DeleteSecret",
            ]
        )
        let denied = records[4]
        #expect(denied["errorCode"] as? String == "AccessDeniedException")
        #expect((denied["userIdentity"] as? [String: Any])?["arn"] as? String == "arn:aws:iam::111111111111:user/alice")
        #expect(denied["sourceIPAddress"] as? String == "10.0.0.5")
        #expect(((denied["resources"] as? [[String: Any]])?.first?["ARN"] as? String) == arn)
        #expect(records[2]["readOnly"] as? Bool == true)
        #expect(records[2]["responseElements"] is NSNull)
        #expect((records[0]["responseElements"] as? [String: Any])?["ARN"] as? String == arn)
        #expect(records[5]["eventType"] as? String == "AwsServiceEvent")
        let verification = try await AuditLog.verify(store: harness.environment.auditStore, chain: harness.environment.auditLog.chain)
        #expect(verification.problem == nil)
        #expect(verification.records == Int64(records.count))

        // No value, generated password or token anywhere on disk: database, WAL, JSON lines.
        try await harness.environment.store.checkpoint()
        // The JSON-lines copy follows the store (in `serve`, between batches; here, one round of it).
        let jsonLines = harness.directory.appendingPathComponent("audit.jsonl").path
        try await harness.environment.auditLog.prepareMaintenance()
        await harness.environment.auditLog.maintain(final: true)
        #expect(((try? String(contentsOfFile: jsonLines, encoding: .utf8)) ?? "").split(separator: "\n").count == records.count)
        let files = try FileManager.default.contentsOfDirectory(atPath: harness.directory.path)
        for file in files {
            let bytes = try Data(contentsOf: harness.directory.appendingPathComponent(file))
            #expect(bytes.range(of: Data(secretValue.utf8)) == nil, "\(file) holds a secret value")
        }
    }
}
