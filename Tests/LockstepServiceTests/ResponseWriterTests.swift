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
