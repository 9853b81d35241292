import Foundation
import LockstepAuth
import Testing

/// Condition-key values of one test request, keyed by any spelling of the key name.
struct Facts: ConditionContext {
    var values: [String: [String]] = [:]

    init(_ values: [String: [String]] = [:]) {
        for (key, value) in values { self.values[ConditionKey(key).canonical] = value }
    }

    func values(for key: ConditionKey) -> [String]? { self.values[key.canonical] }
}

/// One row of the evaluation table: the policies in play, the request, and the decision IAM would reach.
struct EvaluationCase: CustomTestStringConvertible, Sendable {
    var name: String
    var identity: [String] = []
    var session: String? = nil
    var resourcePolicy: String? = nil
    var principal = Principals.alice
    var basis = IdentityPermissions.Basis.policies
    var action = "secretsmanager:GetSecretValue"
    var resource = Principals.secretA
    var resourceAccount = Principals.accountA
    var facts: [String: [String]] = [:]
    var expected: AuthorizationDecision

    var testDescription: String { self.name }
}

enum Principals {
    static let accountA = "111111111111"
    static let accountB = "222222222222"
    static let alice = Principal(account: accountA, userName: "alice", accessKeyId: "AKIAALICE00000000000")
    static let bob = Principal(account: accountB, userName: "bob", accessKeyId: "AKIABOB0000000000000")
    static let rotator = Principal(account: accountA, kind: .assumedRole(role: "rotator", session: "s1"), accessKeyId: "ASIAROT0000000000000")
    static let root = Principal(account: accountA, kind: .root, accessKeyId: "local")
    static let secretA = "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-AbCdEf"
    static let otherSecretA = "arn:aws:secretsmanager:us-east-1:111111111111:secret:dev/db-XyZ123"
}

/// `{"Version": ..., "Statement": [statements]}` for an identity policy.
func allow(_ action: String = "secretsmanager:*", resource: String = "*", condition: String? = nil) -> String {
    statement("Allow", action: action, resource: resource, condition: condition)
}

func deny(_ action: String = "secretsmanager:*", resource: String = "*", condition: String? = nil) -> String {
    statement("Deny", action: action, resource: resource, condition: condition)
}

func statement(_ effect: String, principal: String? = nil, action: String, resource: String, condition: String? = nil) -> String {
    var members = [#""Effect": "\#(effect)""#, #""Action": "\#(action)""#, #""Resource": "\#(resource)""#]
    if let principal { members.append(#""Principal": \#(principal)"#) }
    if let condition { members.append(#""Condition": \#(condition)"#) }
    return #"{"Version": "2012-10-17", "Statement": [{\#(members.joined(separator: ", "))}]}"#
}

func resourceAllow(_ principal: String, action: String = "secretsmanager:GetSecretValue", condition: String? = nil) -> String {
    statement("Allow", principal: principal, action: action, resource: "*", condition: condition)
}

func resourceDeny(_ principal: String, action: String = "secretsmanager:*", condition: String? = nil) -> String {
    statement("Deny", principal: principal, action: action, resource: "*", condition: condition)
}

let noIdentityPolicy = AuthorizationDecision.implicitDeny(missing: "identity-based policy")

let evaluationCases: [EvaluationCase] = [
    // Deny beats allow, wherever it is.
    .init(
        name: "explicit deny in the identity policy beats an allow",
        identity: [allow(), deny("secretsmanager:GetSecretValue")],
        expected: .explicitDeny(place: "an identity-based policy")
    ),
    .init(
        name: "explicit deny in the resource policy beats an identity allow",
        identity: [allow()],
        resourcePolicy: resourceDeny(#"{"AWS": "arn:aws:iam::111111111111:user/alice"}"#),
        expected: .explicitDeny(place: "a resource-based policy")
    ),
    .init(
        name: "a resource-policy deny binds even the account root",
        resourcePolicy: resourceDeny(#""*""#),
        principal: Principals.root,
        basis: .accountRoot,
        expected: .explicitDeny(place: "a resource-based policy")
    ),
    .init(
        name: "a deny in a session policy beats the role's allow",
        identity: [allow()],
        session: deny(),
        principal: Principals.rotator,
        expected: .explicitDeny(place: "a session policy")
    ),
    // One account: either policy suffices.
    .init(
        name: "same account, identity policy only",
        identity: [allow("secretsmanager:GetSecretValue", resource: Principals.secretA)],
        expected: .allow
    ),
    .init(
        name: "same account, resource policy only",
        resourcePolicy: resourceAllow(#"{"AWS": "arn:aws:iam::111111111111:user/alice"}"#),
        expected: .allow
    ),
    .init(
        name: "same account, a resource policy naming only the account delegates to identity policies",
        resourcePolicy: resourceAllow(#"{"AWS": "111111111111"}"#),
        expected: noIdentityPolicy
    ),
    .init(
        name: "same account, a resource policy naming the account plus an identity allow",
        identity: [allow("secretsmanager:GetSecretValue")],
        resourcePolicy: resourceAllow(#"{"AWS": "111111111111"}"#),
        expected: .allow
    ),
    .init(name: "same account, a resource policy for everyone", resourcePolicy: resourceAllow(#""*""#), expected: .allow),
    .init(name: "same account, nothing allows", expected: noIdentityPolicy),
    .init(name: "same account, allow for another action only", identity: [allow("secretsmanager:DescribeSecret")], expected: noIdentityPolicy),
    .init(
        name: "the account root needs no identity policy in its own account",
        principal: Principals.root,
        basis: .accountRoot,
        expected: .allow
    ),
    .init(
        name: "the service itself is not subject to policies",
        resourcePolicy: resourceDeny(#""*""#),
        principal: Principal(account: Principals.accountA, kind: .service("secretsmanager.amazonaws.com"), accessKeyId: "-"),
        basis: .service,
        expected: .allow
    ),
    // Across accounts: both must allow.
    .init(
        name: "cross account, identity policy only",
        identity: [allow()],
        principal: Principals.bob,
        expected: .implicitDeny(missing: "resource-based policy")
    ),
    .init(
        name: "cross account, resource policy only",
        resourcePolicy: resourceAllow(#"{"AWS": "222222222222"}"#),
        principal: Principals.bob,
        expected: noIdentityPolicy
    ),
    .init(
        name: "cross account, both allow",
        identity: [allow()],
        resourcePolicy: resourceAllow(#"{"AWS": "arn:aws:iam::222222222222:root"}"#),
        principal: Principals.bob,
        expected: .allow
    ),
    .init(
        name: "cross account, resource policy names another user",
        identity: [allow()],
        resourcePolicy: resourceAllow(#"{"AWS": "arn:aws:iam::222222222222:user/carol"}"#),
        principal: Principals.bob,
        expected: .implicitDeny(missing: "resource-based policy")
    ),
    .init(
        name: "cross account root still needs the resource policy",
        principal: Principal(account: Principals.accountB, kind: .root, accessKeyId: "x"),
        basis: .accountRoot,
        expected: .implicitDeny(missing: "resource-based policy")
    ),
    // NotPrincipal, NotAction, NotResource.
    .init(
        name: "NotPrincipal deny spares the named principal",
        identity: [allow()],
        resourcePolicy:
            #"{"Statement": {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111111111111:user/alice"}, "Action": "*", "Resource": "*"}}"#,
        expected: .allow
    ),
    .init(
        name: "NotPrincipal deny hits everyone else",
        identity: [allow()],
        resourcePolicy:
            #"{"Statement": {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111111111111:user/zoe"}, "Action": "*", "Resource": "*"}}"#,
        expected: .explicitDeny(place: "a resource-based policy")
    ),
    .init(
        name: "NotAction allows what it doesn't name",
        identity: [#"{"Statement": {"Effect": "Allow", "NotAction": "secretsmanager:DeleteSecret", "Resource": "*"}}"#],
        expected: .allow
    ),
    .init(
        name: "NotAction doesn't allow what it names",
        identity: [#"{"Statement": {"Effect": "Allow", "NotAction": "secretsmanager:Delete*", "Resource": "*"}}"#],
        action: "secretsmanager:DeleteSecret",
        expected: noIdentityPolicy
    ),
    .init(
        name: "NotResource allows other resources",
        identity: [#"{"Statement": {"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:secretsmanager:*:*:secret:dev/*"}}"#],
        expected: .allow
    ),
    .init(
        name: "NotResource excludes the resources it names",
        identity: [#"{"Statement": {"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:secretsmanager:*:*:secret:prod/*"}}"#],
        expected: noIdentityPolicy
    ),
    // Wildcards.
    .init(name: "action wildcard and case-insensitive action", identity: [allow("SecretsManager:get*")], expected: .allow),
    .init(name: "action ? wildcard", identity: [allow("secretsmanager:GetSecretValu?")], expected: .allow),
    .init(name: "action wildcard doesn't cross into another action", identity: [allow("secretsmanager:Describe*")], expected: noIdentityPolicy),
    .init(
        name: "resource * and ? wildcards",
        identity: [allow(resource: "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-??????")],
        expected: .allow
    ),
    .init(
        name: "resource wildcards are case-sensitive",
        identity: [allow(resource: "arn:aws:secretsmanager:*:*:secret:PROD/*")],
        expected: noIdentityPolicy
    ),
    .init(
        name: "resource pattern for another secret",
        identity: [allow(resource: "arn:aws:secretsmanager:*:*:secret:dev/*")],
        expected: noIdentityPolicy
    ),
    .init(name: "Action * allows everything", identity: [allow("*")], action: "secretsmanager:PutResourcePolicy", expected: .allow),
]

let conditionCases: [EvaluationCase] = [
    // String family.
    .init(
        name: "StringEquals holds",
        identity: [allow(condition: #"{"StringEquals": {"aws:PrincipalAccount": "111111111111"}}"#)],
        facts: ["aws:PrincipalAccount": ["111111111111"]],
        expected: .allow
    ),
    .init(
        name: "StringEquals fails",
        identity: [allow(condition: #"{"StringEquals": {"aws:PrincipalAccount": "999999999999"}}"#)],
        facts: ["aws:PrincipalAccount": ["111111111111"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "StringEquals with several values is an OR",
        identity: [allow(condition: #"{"StringEquals": {"secretsmanager:Name": ["a", "prod/db"]}}"#)],
        facts: ["secretsmanager:Name": ["prod/db"]],
        expected: .allow
    ),
    .init(
        name: "StringEquals is case-sensitive",
        identity: [allow(condition: #"{"StringEquals": {"secretsmanager:Name": "PROD/DB"}}"#)],
        facts: ["secretsmanager:Name": ["prod/db"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "StringEqualsIgnoreCase",
        identity: [allow(condition: #"{"StringEqualsIgnoreCase": {"secretsmanager:Name": "PROD/DB"}}"#)],
        facts: ["secretsmanager:Name": ["prod/db"]],
        expected: .allow
    ),
    .init(
        name: "StringNotEquals holds for another value",
        identity: [allow(condition: #"{"StringNotEquals": {"secretsmanager:Name": "x"}}"#)],
        facts: ["secretsmanager:Name": ["prod/db"]],
        expected: .allow
    ),
    .init(
        name: "StringNotEquals fails for the value",
        identity: [allow(condition: #"{"StringNotEquals": {"secretsmanager:Name": "prod/db"}}"#)],
        facts: ["secretsmanager:Name": ["prod/db"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "StringNotEqualsIgnoreCase",
        identity: [allow(condition: #"{"StringNotEqualsIgnoreCase": {"secretsmanager:Name": "PROD/DB"}}"#)],
        facts: ["secretsmanager:Name": ["prod/db"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "StringLike",
        identity: [allow(condition: #"{"StringLike": {"secretsmanager:Name": "prod/*"}}"#)],
        facts: ["secretsmanager:Name": ["prod/db"]],
        expected: .allow
    ),
    .init(
        name: "StringNotLike",
        identity: [allow(condition: #"{"StringNotLike": {"secretsmanager:Name": "prod/*"}}"#)],
        facts: ["secretsmanager:Name": ["prod/db"]],
        expected: noIdentityPolicy
    ),
    // ARN family.
    .init(
        name: "ArnEquals",
        identity: [allow(condition: #"{"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/alice"}}"#)],
        facts: ["aws:PrincipalArn": ["arn:aws:iam::111111111111:user/alice"]],
        expected: .allow
    ),
    .init(
        name: "ArnLike per component",
        identity: [allow(condition: #"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/a*"}}"#)],
        facts: ["aws:PrincipalArn": ["arn:aws:iam::111111111111:user/alice"]],
        expected: .allow
    ),
    .init(
        name: "ArnNotLike",
        identity: [allow(condition: #"{"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/a*"}}"#)],
        facts: ["aws:PrincipalArn": ["arn:aws:iam::111111111111:user/alice"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "ArnLike: components match one by one",
        identity: [allow(condition: #"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}}"#)],
        facts: ["aws:PrincipalArn": ["arn:aws:sts::111111111111:assumed-role/r/s"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "ArnLike: a value that isn't an ARN never matches",
        identity: [allow(condition: #"{"ArnLike": {"aws:PrincipalArn": "arn:*:*:*:*:*"}}"#)],
        facts: ["aws:PrincipalArn": ["alice"]],
        expected: noIdentityPolicy
    ),
    // Bool and Null.
    .init(
        name: "Bool SecureTransport denies plain HTTP",
        identity: [allow(), deny(condition: #"{"Bool": {"aws:SecureTransport": "false"}}"#)],
        facts: ["aws:SecureTransport": ["false"]],
        expected: .explicitDeny(place: "an identity-based policy")
    ),
    .init(
        name: "Bool SecureTransport passes TLS",
        identity: [allow(), deny(condition: #"{"Bool": {"aws:SecureTransport": false}}"#)],
        facts: ["aws:SecureTransport": ["true"]],
        expected: .allow
    ),
    .init(
        name: "Null true: the key is absent",
        identity: [allow(condition: #"{"Null": {"secretsmanager:VersionId": "true"}}"#)],
        expected: .allow
    ),
    .init(
        name: "Null true fails when present",
        identity: [allow(condition: #"{"Null": {"secretsmanager:VersionId": "true"}}"#)],
        facts: ["secretsmanager:VersionId": ["v1"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "Null false: the key is present",
        identity: [allow(condition: #"{"Null": {"aws:RequestTag/env": "false"}}"#)],
        facts: ["aws:RequestTag/env": ["prod"]],
        expected: .allow
    ),
    // Numeric family.
    .init(
        name: "NumericLessThan",
        identity: [allow(condition: #"{"NumericLessThan": {"test:n": "10"}}"#)],
        facts: ["test:n": ["9"]],
        expected: .allow
    ),
    .init(
        name: "NumericLessThan at the bound",
        identity: [allow(condition: #"{"NumericLessThan": {"test:n": 10}}"#)],
        facts: ["test:n": ["10"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "NumericLessThanEquals",
        identity: [allow(condition: #"{"NumericLessThanEquals": {"test:n": 10}}"#)],
        facts: ["test:n": ["10"]],
        expected: .allow
    ),
    .init(
        name: "NumericGreaterThanEquals",
        identity: [allow(condition: #"{"NumericGreaterThanEquals": {"test:n": "10.5"}}"#)],
        facts: ["test:n": ["10"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "NumericEquals",
        identity: [allow(condition: #"{"NumericEquals": {"test:n": "30"}}"#)],
        facts: ["test:n": ["30.0"]],
        expected: .allow
    ),
    .init(
        name: "NumericNotEquals",
        identity: [allow(condition: #"{"NumericNotEquals": {"test:n": "30"}}"#)],
        facts: ["test:n": ["30"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "Numeric with a non-number in the request",
        identity: [allow(condition: #"{"NumericGreaterThan": {"test:n": "1"}}"#)],
        facts: ["test:n": ["many"]],
        expected: noIdentityPolicy
    ),
    // Date family.
    .init(
        name: "DateLessThan: before the deadline",
        identity: [allow(condition: #"{"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}"#)],
        facts: ["aws:CurrentTime": ["2026-11-29T04:00:00Z"]],
        expected: .allow
    ),
    .init(
        name: "DateLessThan: after the deadline",
        identity: [allow(condition: #"{"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}"#)],
        facts: ["aws:CurrentTime": ["2026-11-29T04:00:00Z"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "DateGreaterThanEquals with epoch seconds",
        identity: [allow(condition: #"{"DateGreaterThanEquals": {"aws:CurrentTime": "1700000000"}}"#)],
        facts: ["aws:CurrentTime": ["2026-11-29T04:00:00Z"]],
        expected: .allow
    ),
    .init(
        name: "DateNotEquals",
        identity: [allow(condition: #"{"DateNotEquals": {"aws:CurrentTime": "2026-11-29T04:00:00Z"}}"#)],
        facts: ["aws:CurrentTime": ["2026-11-29T04:00:00Z"]],
        expected: noIdentityPolicy
    ),
    // IP family.
    .init(
        name: "IpAddress in the range",
        identity: [allow(condition: #"{"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.1.7"]}}"#)],
        facts: ["aws:SourceIp": ["10.1.2.3"]],
        expected: .allow
    ),
    .init(
        name: "IpAddress outside the range",
        identity: [allow(condition: #"{"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}"#)],
        facts: ["aws:SourceIp": ["11.0.0.1"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "IpAddress IPv6 range",
        identity: [allow(condition: #"{"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}"#)],
        facts: ["aws:SourceIp": ["2001:db8:1::5"]],
        expected: .allow
    ),
    .init(
        name: "NotIpAddress denies outsiders",
        identity: [allow(), deny(condition: #"{"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}}"#)],
        facts: ["aws:SourceIp": ["203.0.113.9"]],
        expected: .explicitDeny(place: "an identity-based policy")
    ),
    .init(
        name: "NotIpAddress spares insiders",
        identity: [allow(), deny(condition: #"{"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}}"#)],
        facts: ["aws:SourceIp": ["127.0.0.1"]],
        expected: .allow
    ),
    // Multivalued keys.
    .init(
        name: "ForAnyValue: one tag key matches",
        identity: [allow(condition: #"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}"#)],
        facts: ["aws:TagKeys": ["team", "env"]],
        expected: .allow
    ),
    .init(
        name: "ForAnyValue: no tag key matches",
        identity: [allow(condition: #"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}"#)],
        facts: ["aws:TagKeys": ["team"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "ForAnyValue: missing key fails",
        identity: [allow(condition: #"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}"#)],
        expected: noIdentityPolicy
    ),
    .init(
        name: "ForAllValues: every tag key allowed",
        identity: [allow(condition: #"{"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}"#)],
        facts: ["aws:TagKeys": ["team", "env"]],
        expected: .allow
    ),
    .init(
        name: "ForAllValues: one tag key not allowed",
        identity: [allow(condition: #"{"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}"#)],
        facts: ["aws:TagKeys": ["team", "env"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "ForAllValues: missing key holds",
        identity: [allow(condition: #"{"ForAllValues:StringLike": {"aws:TagKeys": ["e*"]}}"#)],
        expected: .allow
    ),
    // Missing keys, with and without IfExists.
    .init(
        name: "missing key: a positive operator fails",
        identity: [allow(condition: #"{"StringEquals": {"secretsmanager:VersionStage": "AWSCURRENT"}}"#)],
        expected: noIdentityPolicy
    ),
    .init(
        name: "missing key: IfExists holds",
        identity: [allow(condition: #"{"StringEqualsIfExists": {"secretsmanager:VersionStage": "AWSCURRENT"}}"#)],
        expected: .allow
    ),
    .init(
        name: "present key: IfExists still compares",
        identity: [allow(condition: #"{"StringEqualsIfExists": {"secretsmanager:VersionStage": "AWSCURRENT"}}"#)],
        facts: ["secretsmanager:VersionStage": ["AWSPREVIOUS"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "missing key: a negated operator holds",
        identity: [allow(condition: #"{"StringNotEquals": {"secretsmanager:VersionStage": "AWSPENDING"}}"#)],
        expected: .allow
    ),
    .init(
        name: "missing key in a deny with IfExists denies",
        identity: [allow(), deny(condition: #"{"BoolIfExists": {"aws:SecureTransport": "false"}}"#)],
        expected: .explicitDeny(place: "an identity-based policy")
    ),
    .init(
        name: "all conditions must hold (AND across keys)",
        identity: [allow(condition: #"{"StringEquals": {"secretsmanager:Name": "prod/db", "aws:PrincipalAccount": "999999999999"}}"#)],
        facts: ["secretsmanager:Name": ["prod/db"], "aws:PrincipalAccount": ["111111111111"]],
        expected: noIdentityPolicy
    ),
    // Tag-based access (ABAC).
    .init(
        name: "ABAC: the secret's team tag matches",
        identity: [allow(condition: #"{"StringEquals": {"aws:ResourceTag/team": "blue"}}"#)],
        facts: ["aws:ResourceTag/team": ["blue"]],
        expected: .allow
    ),
    .init(
        name: "ABAC: another team's secret",
        identity: [allow(condition: #"{"StringEquals": {"aws:ResourceTag/team": "blue"}}"#)],
        facts: ["aws:ResourceTag/team": ["red"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "ABAC: untagged secret",
        identity: [allow(condition: #"{"StringEquals": {"secretsmanager:ResourceTag/team": "blue"}}"#)],
        expected: noIdentityPolicy
    ),
    .init(
        name: "ABAC: tag keys are case-sensitive",
        identity: [allow(condition: #"{"StringEquals": {"aws:resourcetag/Team": "blue"}}"#)],
        facts: ["aws:ResourceTag/team": ["blue"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "ABAC: tags on create must carry the caller's team",
        identity: [allow("secretsmanager:CreateSecret", condition: #"{"StringEquals": {"aws:RequestTag/team": "blue"}}"#)],
        action: "secretsmanager:CreateSecret",
        facts: ["aws:RequestTag/team": ["blue"]],
        expected: .allow
    ),
    // VersionStage.
    .init(
        name: "VersionStage: AWSCURRENT allowed",
        identity: [allow(condition: #"{"StringEquals": {"secretsmanager:VersionStage": "AWSCURRENT"}}"#)],
        facts: ["secretsmanager:VersionStage": ["AWSCURRENT"]],
        expected: .allow
    ),
    .init(
        name: "VersionStage: AWSPENDING denied",
        identity: [allow(), deny(condition: #"{"StringEquals": {"secretsmanager:VersionStage": "AWSPENDING"}}"#)],
        facts: ["secretsmanager:VersionStage": ["AWSPENDING"]],
        expected: .explicitDeny(place: "an identity-based policy")
    ),
    // Sessions.
    .init(
        name: "session policy narrows the role",
        identity: [allow()],
        session: allow(resource: Principals.otherSecretA),
        principal: Principals.rotator,
        expected: .implicitDeny(missing: "session policy")
    ),
    .init(
        name: "session policy within the role",
        identity: [allow()],
        session: allow(resource: Principals.secretA),
        principal: Principals.rotator,
        expected: .allow
    ),
    .init(
        name: "a resource policy can't widen a session",
        session: allow(resource: Principals.otherSecretA),
        resourcePolicy: resourceAllow(#"{"AWS": "arn:aws:iam::111111111111:role/rotator"}"#),
        principal: Principals.rotator,
        expected: .implicitDeny(missing: "session policy")
    ),
    .init(
        name: "a resource policy naming the role allows its session",
        resourcePolicy: resourceAllow(#"{"AWS": "arn:aws:iam::111111111111:role/rotator"}"#),
        principal: Principals.rotator,
        expected: .allow
    ),
]

/// Policy variables (grammar 2012-10-17): filled in from the request's own keys.
let variableCases: [EvaluationCase] = [
    .init(
        name: "${aws:username} in Resource: a user's own prefix",
        identity: [allow(resource: "arn:aws:secretsmanager:*:*:secret:${aws:username}/*")],
        facts: ["aws:username": ["prod"]],
        expected: .allow
    ),
    .init(
        name: "${aws:username} in Resource: another user's prefix",
        identity: [allow(resource: "arn:aws:secretsmanager:*:*:secret:${aws:username}/*")],
        facts: ["aws:username": ["dev"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "${aws:username} for a caller without a user name (a role session) matches nothing",
        identity: [allow(resource: "arn:aws:secretsmanager:*:*:secret:${aws:username}/*")],
        principal: Principals.rotator,
        expected: noIdentityPolicy
    ),
    .init(
        name: "a default fills in a missing key",
        identity: [allow(resource: "arn:aws:secretsmanager:*:*:secret:${aws:username, 'prod'}/*")],
        principal: Principals.rotator,
        expected: .allow
    ),
    .init(
        name: "a filled-in value is literal: a * in it is no wildcard",
        identity: [allow(resource: "arn:aws:secretsmanager:*:*:secret:${aws:username}")],
        facts: ["aws:username": ["*"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "grammar 2008-10-17 has no variables: the text is literal",
        identity: [
            #"{"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:secretsmanager:*:*:secret:${aws:username}/*"}}"#
        ],
        facts: ["aws:username": ["prod"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "ABAC: the secret's owner tag equals the caller's user name",
        identity: [allow(condition: #"{"StringEquals": {"secretsmanager:ResourceTag/owner": "${aws:username}"}}"#)],
        facts: ["aws:username": ["alice"], "secretsmanager:ResourceTag/owner": ["alice"]],
        expected: .allow
    ),
    .init(
        name: "ABAC: another user's secret",
        identity: [allow(condition: #"{"StringEquals": {"secretsmanager:ResourceTag/owner": "${aws:username}"}}"#)],
        facts: ["aws:username": ["alice"], "secretsmanager:ResourceTag/owner": ["bob"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "ABAC without a user name: the variable matches nothing, StringNotEquals holds",
        identity: [allow(), deny(condition: #"{"StringNotEquals": {"secretsmanager:ResourceTag/owner": "${aws:username}"}}"#)],
        principal: Principals.rotator,
        facts: ["secretsmanager:ResourceTag/owner": ["alice"]],
        expected: .explicitDeny(place: "an identity-based policy")
    ),
    .init(
        name: "${*} is a literal star in StringLike",
        identity: [allow(condition: #"{"StringLike": {"secretsmanager:Name": "a${*}b"}}"#)],
        facts: ["secretsmanager:Name": ["a*b"]],
        expected: .allow
    ),
    .init(
        name: "${*} is not a wildcard",
        identity: [allow(condition: #"{"StringLike": {"secretsmanager:Name": "a${*}b"}}"#)],
        facts: ["secretsmanager:Name": ["axxb"]],
        expected: noIdentityPolicy
    ),
    .init(
        name: "a variable's colon doesn't split an ARN pattern",
        identity: [allow(condition: #"{"ArnLike": {"secretsmanager:SecretId": "arn:aws:secretsmanager:*:${aws:PrincipalAccount}:secret:*"}}"#)],
        facts: ["aws:PrincipalAccount": ["111111111111"], "secretsmanager:SecretId": [Principals.secretA]],
        expected: .allow
    ),
    .init(
        name: "an ARN pattern with the caller's account refuses another account's secret",
        identity: [allow(condition: #"{"ArnLike": {"secretsmanager:SecretId": "arn:aws:secretsmanager:*:${aws:PrincipalAccount}:secret:*"}}"#)],
        facts: ["aws:PrincipalAccount": ["222222222222"], "secretsmanager:SecretId": [Principals.secretA]],
        expected: noIdentityPolicy
    ),
]

@Suite struct PolicyEvaluationTests {
    static func decide(_ row: EvaluationCase) throws -> AuthorizationDecision {
        let identity = IdentityPermissions(
            basis: row.basis,
            policies: try row.identity.map { try PolicyDocument(parsing: $0, kind: .identity) },
            sessionPolicy: try row.session.map { try PolicyDocument(parsing: $0, kind: .identity) }
        )
        let resourcePolicy = try row.resourcePolicy.map { try PolicyDocument(parsing: $0, kind: .resource) }
        let request = AuthorizationRequest(
            principal: row.principal,
            action: row.action,
            resource: row.resource,
            resourceAccount: row.resourceAccount
        )
        return PolicyEvaluator.decide(request, identity: identity, resourcePolicy: resourcePolicy, context: Facts(row.facts))
    }

    @Test(arguments: evaluationCases)
    func evaluation(_ row: EvaluationCase) throws {
        #expect(try Self.decide(row) == row.expected)
    }

    @Test(arguments: conditionCases)
    func conditions(_ row: EvaluationCase) throws {
        #expect(try Self.decide(row) == row.expected)
    }

    @Test(arguments: variableCases)
    func variables(_ row: EvaluationCase) throws {
        #expect(try Self.decide(row) == row.expected)
    }

    @Test func accessDeniedMessageNamesPrincipalActionAndResource() {
        let request = AuthorizationRequest(
            principal: Principals.alice,
            action: "secretsmanager:GetSecretValue",
            resource: Principals.secretA,
            resourceAccount: Principals.accountA
        )
        #expect(
            PolicyEvaluator.message(for: noIdentityPolicy, request)
                == "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: secretsmanager:GetSecretValue on resource: \(Principals.secretA) because no identity-based policy allows the secretsmanager:GetSecretValue action"
        )
        #expect(
            PolicyEvaluator.message(for: .explicitDeny(place: "a resource-based policy"), request).hasSuffix(
                "with an explicit deny in a resource-based policy"
            )
        )
    }

    @Test func principalARNs() {
        #expect(Principals.rotator.arn == "arn:aws:sts::111111111111:assumed-role/rotator/s1")
        #expect(Principals.rotator.roleARN == "arn:aws:iam::111111111111:role/rotator")
        #expect(Principals.root.arn == "arn:aws:iam::111111111111:root")
        #expect(Principals.alice.identityType == "IAMUser")
    }
}

@Suite struct WildcardTests {
    @Test(arguments: [
        ("*", "anything", true), ("a*", "abc", true), ("a*c", "abbbc", true), ("a*c", "abbbd", false), ("a?c", "abc", true),
        ("a?c", "ac", false), ("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false), ("", "", true), ("abc", "abc", true),
        ("abc", "abcd", false), ("*.json", "x.json", true), ("pr?d/*", "prod/db", true),
    ])
    func matching(pattern: String, subject: String, expected: Bool) {
        #expect(WildcardPattern(pattern).matches(subject) == expected)
    }

    @Test func caseInsensitivePatterns() {
        #expect(WildcardPattern("SecretsManager:Get*", caseInsensitive: true).matches("secretsmanager:getsecretvalue"))
        #expect(!WildcardPattern("SecretsManager:Get*").matches("secretsmanager:getsecretvalue"))
    }
}

@Suite struct TrustPolicyTests {
    static let role = "arn:aws:iam::111111111111:role/reader"

    static func decide(
        _ trust: String,
        _ principal: Principal,
        basis: IdentityPermissions.Basis = .policies,
        identity: [String] = []
    ) throws
        -> AuthorizationDecision
    {
        let request = AuthorizationRequest(principal: principal, action: "sts:AssumeRole", resource: role, resourceAccount: "111111111111")
        let permissions = IdentityPermissions(basis: basis, policies: try identity.map { try PolicyDocument(parsing: $0, kind: .identity) })
        return PolicyEvaluator.decideTrust(
            request,
            identity: permissions,
            trustPolicy: try PolicyDocument(parsing: trust, kind: .trust),
            context: Facts()
        )
    }

    static let trustsAlice =
        #"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:user/alice"}, "Action": "sts:AssumeRole"}}"#
    static let trustsAccount = #"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "sts:AssumeRole"}}"#

    @Test func aNamedPrincipalNeedsNothingElse() throws {
        #expect(try Self.decide(Self.trustsAlice, Principals.alice) == .allow)
    }

    @Test func anIdentityPolicyAloneCannotAssumeARole() throws {
        let grace = Principal(account: "111111111111", userName: "grace", accessKeyId: "AKIAGRACE00000000000")
        #expect(try Self.decide(Self.trustsAlice, grace, identity: [allow("sts:AssumeRole")]) == .implicitDeny(missing: "trust policy"))
    }

    @Test func anAccountPrincipalDelegatesToIdentityPolicies() throws {
        #expect(try Self.decide(Self.trustsAccount, Principals.alice) == .implicitDeny(missing: "identity-based policy"))
        #expect(try Self.decide(Self.trustsAccount, Principals.alice, identity: [allow("sts:AssumeRole")]) == .allow)
        #expect(try Self.decide(Self.trustsAccount, Principals.root, basis: .accountRoot) == .allow)
        #expect(try Self.decide(Self.trustsAccount, Principals.bob, identity: [allow("sts:AssumeRole")]) == .implicitDeny(missing: "trust policy"))
    }
}
