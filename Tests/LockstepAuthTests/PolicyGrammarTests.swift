import LockstepAuth
import Testing

@Suite struct PolicyGrammarTests {
    /// Documents IAM refuses, with the part of our message that says what is wrong.
    @Test(arguments: [
        ("not json", "not valid JSON"),
        (#"[]"#, "must be a JSON object"),
        (#"{"Version": "2012-10-17"}"#, "must have a Statement"),
        (#"{"Version": "2019-01-01", "Statement": []}"#, "Version must be"),
        (#"{"Statement": []}"#, "Statement must not be empty"),
        (#"{"Statement": [{"Action": "*", "Resource": "*"}]}"#, "missing Effect"),
        (#"{"Statement": [{"Effect": "Permit", "Action": "*", "Resource": "*"}]}"#, "Effect must be Allow or Deny"),
        (#"{"Statement": [{"Effect": "Allow", "Resource": "*"}]}"#, "must have Action or NotAction"),
        (#"{"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "*", "Resource": "*"}]}"#, "can't have both Action and NotAction"),
        (#"{"Statement": [{"Effect": "Allow", "Action": "*"}]}"#, "must have Resource or NotResource"),
        (#"{"Statement": [{"Effect": "Allow", "Action": "GetSecretValue", "Resource": "*"}]}"#, "invalid value GetSecretValue"),
        (#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "secret:x"}]}"#, "invalid value secret:x"),
        (#"{"Statement": [{"Effect": "Allow", "Action": 7, "Resource": "*"}]}"#, "Statement[0].Action must be"),
        (#"{"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}"#, "non-empty list"),
        (#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}]}"#, "identity policy can't have Principal"),
        (#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Actions": "*"}]}"#, "unknown element Actions"),
        (#"{"Statement": [{"Sid": "a b", "Effect": "Allow", "Action": "*", "Resource": "*"}]}"#, "Sid must be"),
        (
            #"{"Statement": [{"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "*"}, {"Sid": "A", "Effect": "Deny", "Action": "*", "Resource": "*"}]}"#,
            "A is repeated"
        ),
        (
            #"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquality": {"aws:x": "1"}}}]}"#,
            "unknown operator StringEquality"
        ),
        (
            #"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"NumericLessThan": {"aws:x": "ten"}}}]}"#,
            "ten is not a number"
        ),
        (
            #"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": "soon"}}}]}"#,
            "soon is not a date"
        ),
        (
            #"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}}}]}"#,
            "not an IP address"
        ),
        (
            #"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "yes"}}}]}"#,
            "must be true or false"
        ),
        (
            #"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"nokey": "1"}}}]}"#,
            "invalid condition key nokey"
        ),
        (
            #"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:x": {"a": 1}}}}]}"#,
            "must be a value or a list of values"
        ),
        (
            #"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"ArnLike": {"aws:PrincipalArn": "user/x"}}}]}"#,
            "is not an ARN"
        ),
        (
            #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:secretsmanager:*:*:secret:${aws:username/*"}]}"#,
            "without its closing brace"
        ),
        (
            #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:secretsmanager:*:*:secret:${username}/*"}]}"#,
            "invalid policy variable ${username}"
        ),
        (
            #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:x": "${aws:username, none}"}}}]}"#,
            "isn't in single quotes"
        ),
    ])
    func malformedIdentityPolicies(document: String, problem: String) {
        #expect {
            try PolicyDocument(parsing: document, kind: .identity)
        } throws: { error in
            (error as? PolicyError)?.message.contains(problem) == true
        }
    }

    @Test(arguments: [
        (#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#, "must have a Principal"),
        (
            #"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1234:user/x"}, "Action": "*", "Resource": "*"}]}"#,
            "invalid principal"
        ),
        (
            #"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/*"}, "Action": "*", "Resource": "*"}]}"#,
            "invalid principal"
        ),
        (#"{"Statement": [{"Effect": "Allow", "Principal": {"Federated": "x"}, "Action": "*", "Resource": "*"}]}"#, "unsupported principal type"),
        (#"{"Statement": [{"Effect": "Allow", "Principal": "alice", "Action": "*", "Resource": "*"}]}"#, "Principal must be"),
        (
            #"{"Statement": [{"Effect": "Allow", "Principal": "*", "NotPrincipal": "*", "Action": "*", "Resource": "*"}]}"#,
            "both Principal and NotPrincipal"
        ),
    ])
    func malformedResourcePolicies(document: String, problem: String) {
        #expect {
            try PolicyDocument(parsing: document, kind: .resource)
        } throws: { error in
            (error as? PolicyError)?.message.contains(problem) == true
        }
    }

    @Test func singleStatementAndStringListsParse() throws {
        let document = try PolicyDocument(
            parsing:
                #"{"Version": "2012-10-17", "Id": "x", "Statement": {"Sid": "One", "Effect": "Deny", "Action": ["secretsmanager:A", "secretsmanager:B"], "NotResource": "*"}}"#,
            kind: .identity
        )
        #expect(document.statements.count == 1)
        #expect(document.statements[0].sid == "One")
        #expect(document.statements[0].effect == .deny)
        #expect(document.statements[0].actions.patterns.map(\.text) == ["secretsmanager:A", "secretsmanager:B"])
        #expect(document.statements[0].resources.negated)
        #expect(!document.readsResourceTags)
        let tagged = try PolicyDocument(parsing: allow(condition: #"{"StringEquals": {"aws:ResourceTag/team": "x"}}"#), kind: .identity)
        #expect(tagged.readsResourceTags)
    }

    /// Whether BlockPublicPolicy refuses a resource policy.
    @Test(arguments: [
        (resourceAllow(#""*""#), true),
        (resourceAllow(#"{"AWS": "*"}"#), true),
        (#"{"Statement": {"Effect": "Allow", "NotPrincipal": {"AWS": "111111111111"}, "Action": "*", "Resource": "*"}}"#, true),
        (resourceAllow(#""*""#, condition: #"{"StringEquals": {"aws:PrincipalAccount": "111111111111"}}"#), false),
        (resourceAllow(#""*""#, condition: #"{"StringNotEquals": {"aws:PrincipalAccount": "111111111111"}}"#), true),
        (resourceAllow(#""*""#, condition: #"{"StringLike": {"aws:PrincipalArn": "*"}}"#), true),
        (resourceAllow(#""*""#, condition: #"{"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}"#), false),
        (resourceAllow(#""*""#, condition: #"{"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}"#), true),
        (resourceAllow(#""*""#, condition: #"{"StringEquals": {"aws:ResourceTag/x": "y"}}"#), true),
        (resourceAllow(#"{"AWS": "111111111111"}"#), false),
        (resourceDeny(#""*""#), false),
        // A value every caller fills in with its own account narrows nothing.
        (resourceAllow(#""*""#, condition: #"{"StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}}"#), true),
    ])
    func publicPolicies(document: String, isPublic: Bool) throws {
        #expect(try PolicyDocument(parsing: document, kind: .resource).grantsPublicAccess == isPublic)
    }

    @Test func ipRanges() throws {
        let range = try #require(IPAddressRange(cidr: "192.168.0.0/16"))
        #expect(range.contains(try #require(IPAddressRange.parseAddress("192.168.44.1"))))
        #expect(range.contains(try #require(IPAddressRange.parseAddress("::ffff:192.168.1.1"))))
        #expect(!range.contains(try #require(IPAddressRange.parseAddress("192.169.0.1"))))
        #expect(IPAddressRange(cidr: "300.1.1.1") == nil)
        #expect(IPAddressRange(cidr: "::1/129") == nil)
    }
}
