import Foundation
import LockstepCore
import Testing

@testable import LockstepService

/// The direct JSON writer must produce what JSONEncoder would, for every kind of value.
@Suite struct ResponseWriterTests {
    func both(_ response: GetSecretValueResponse) throws -> (direct: NSDictionary, encoder: NSDictionary) {
        var writer = JSONWriter()
        response.writeJSON(into: &writer)
        let direct = try JSONSerialization.jsonObject(with: writer.finish()) as! NSDictionary
        let encoded = try JSONSerialization.jsonObject(with: OperationDispatcher.encoder.encode(response)) as! NSDictionary
        return (direct, encoded)
    }

    @Test(arguments: [
        "plain", "", "quote \" backslash \\ slash /", "line\nfeed\rreturn\ttab", "control \u{01}\u{1F}", "unicode é ☃ 🙂",
        #"{"username":"app","password":"p@ss\"w0rd"}"#,
    ])
    func stringValuesMatchJSONEncoder(_ value: String) throws {
        let response = GetSecretValueResponse(
            ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:a/b-AbCdEf",
            Name: "a/b",
            VersionId: "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE",
            SecretBinary: nil,
            SecretString: Sensitive(value),
            VersionStages: ["AWSCURRENT", "AWSPENDING"],
            CreatedDate: Date(timeIntervalSince1970: 1_700_000_000.123)
        )
        let (direct, encoded) = try self.both(response)
        #expect(direct == encoded)
        #expect(direct["SecretBinary"] == nil)
    }

    @Test func binaryValuesAndWholeSecondDatesMatch() throws {
        let response = GetSecretValueResponse(
            ARN: "arn",
            Name: "n",
            VersionId: "v",
            SecretBinary: Sensitive(Data((0...255).map(UInt8.init))),
            SecretString: nil,
            VersionStages: [],
            CreatedDate: Date(timeIntervalSince1970: 1_700_000_000)
        )
        let (direct, encoded) = try self.both(response)
        #expect(direct == encoded)
        #expect(direct["SecretString"] == nil)
    }
}

/// The direct request reader: the same result as JSONDecoder, or nil so that JSONDecoder decides.
@Suite struct DirectRequestTests {
    @Test(arguments: [
        #"{"SecretId":"db/app"}"#, #" { "SecretId" : "db/app" , "VersionStage":"AWSPREVIOUS" } "#,
        #"{"SecretId":"a\"b\\c\/d\ne","VersionId":"EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE","Extra":"ignored"}"#,
        #"{"SecretId":"é☃"}"#,
    ])
    func agreesWithJSONDecoder(_ body: String) throws {
        let members = try #require(FlatJSONObject.members(of: Data(body.utf8)))
        let direct = try #require(GetSecretValueRequest(directJSON: members))
        #expect(direct == (try JSONDecoder().decode(GetSecretValueRequest.self, from: Data(body.utf8))))
    }

    @Test(arguments: [
        #"{"SecretId":42}"#, #"{"SecretId":"a","SecretId":"b"}"#, #"{"SecretId":"\u0041"}"#, #"{"SecretId":"a"} x"#,
        #"{"SecretId":"a""#, #"["SecretId"]"#, #"{"SecretId":null}"#, #"{"SecretId":"a","Nested":{"x":"y"}}"#, "",
        "{\"SecretId\":\"tab\tinside\"}",
    ])
    func leavesAnythingElseToJSONDecoder(_ body: String) {
        #expect(FlatJSONObject.members(of: Data(body.utf8)).flatMap(GetSecretValueRequest.init(directJSON:)) == nil)
    }
}
