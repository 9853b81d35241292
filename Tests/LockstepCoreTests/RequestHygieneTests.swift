import Foundation
import Testing

@testable import LockstepCore

/// The pure rules the server applies to request data: region names, duplicate JSON members, log values.
@Suite struct RequestHygieneTests {
    @Test(arguments: ["us-east-1", "eu-west-1", "us-gov-west-1", "ap-southeast-5", "eu-isoe-west-1", "cn-north-1", "il-central-1"])
    func regionNamesOfAWSsForm(name: String) {
        #expect(RegionName.isValid(name))
    }

    @Test(arguments: [
        "", "*", "US-EAST-1", "x:000000000000:secret:teamA", "us-east-1\u{0}", "us-east", "us-1", "use-east-1", "us--1", "us-east-1a",
        "us-east-", "-us-east-1", "us-ea5t-1", "us-east-1 ", "us-éast-1", "us-east-١",
    ])
    func otherNamesAreNotRegions(name: String) {
        #expect(!RegionName.isValid(name))
    }

    func duplicate(_ json: String) -> String? { JSONDuplicateKeys.firstDuplicate(in: Data(json.utf8)) }

    @Test func duplicateMembersAtAnyDepth() {
        #expect(self.duplicate(#"{"SecretId":"a","SecretId":"b"}"#) == "SecretId")
        #expect(self.duplicate(#"{"a":{"b":1,"c":[{"d":1},{"d":2,"d":3}]}}"#) == "d")
        #expect(self.duplicate(#"{"a":{"b":1},"a":2}"#) == "a")
        #expect(self.duplicate(#"[{"x":1},{"x":1}]"#) == nil)
        #expect(self.duplicate(#"{"a":{"a":{"a":1}}}"#) == nil)
        #expect(self.duplicate(#"{"Tags":[{"Key":"k","Value":"v"},{"Key":"k","Value":"v"}]}"#) == nil)
        #expect(self.duplicate(#"{"a":"{\"a\":1,\"a\":2}","b":"a"}"#) == nil)  // strings that look like JSON are values
        #expect(self.duplicate(#" { "a" : 1 , "a" : 2 } "#) == "a")
        #expect(self.duplicate("") == nil)
        #expect(self.duplicate("{") == nil)
        #expect(self.duplicate(#"{"a":1,"a""#) == "a")  // unclosed: still found
    }

    @Test func escapedNamesAreComparedDecoded() {
        #expect(self.duplicate(#"{"SecretId":"a","Secret\u0049d":"b"}"#) == "SecretId")
        #expect(self.duplicate(#"{"Secret\u0049d":"a","Secret\u0069d":"b"}"#) == nil)
        #expect(self.duplicate(#"{"a\"b":1,"a\u0022b":2}"#) == "a\"b")
        #expect(self.duplicate(#"{"\ud83d\ude00":1,"😀":2}"#) == "😀")
        #expect(self.duplicate(#"{"a\/b":1,"a/b":2}"#) == "a/b")
        #expect(self.duplicate(#"{"ab":1,"a\u0062c":2}"#) == nil)
    }

    @Test func largeObjectsAreCheckedInLinearTime() {
        let members = (0..<50_000).map { #""k\#($0)":\#($0)"# }
        #expect(self.duplicate("{" + members.joined(separator: ",") + "}") == nil)
        #expect(self.duplicate("{" + members.joined(separator: ",") + #","k49999":0}"#) == "k49999")
        #expect(self.duplicate(String(repeating: "[", count: 100_000)) == nil)  // deep nesting: no recursion
    }

    @Test func logValuesCannotForgeFields() {
        #expect(LogValue.quoted("GetSecretValue") == "GetSecretValue")
        #expect(LogValue.quoted("arn:aws:iam::123456789012:user/admin") == "arn:aws:iam::123456789012:user/admin")
        #expect(LogValue.quoted("x status=200") == #""x status=200""#)
        #expect(LogValue.quoted(#"a"b\c"#) == #""a\"b\\c""#)
        #expect(LogValue.quoted("a\nrequest status=200") == #""a\x0arequest status=200""#)
        #expect(LogValue.quoted("") == #""""#)
        let long = LogValue.quoted(String(repeating: "a", count: 10_000))
        #expect(long.utf8.count == LogValue.maximumLength + 5)
        #expect(long.hasSuffix(#"...""#))
    }
}
