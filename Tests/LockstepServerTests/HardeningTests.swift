import Foundation
import LockstepAuth
import LockstepCore
import LockstepService
import Testing

@testable import LockstepServer

/// The server's answers to hostile requests: one reading of a body, bounded labels, limits that fit the process.
@Suite struct HardeningTests {
    let harness = APIHandlerTests()

    @Test func duplicateMembersAreASerializationErrorAndChangeNothing() async throws {
        let (handler, key) = try await self.harness.handler()
        let token = UUID().uuidString
        let created = await handler.handle(
            self.harness.request("CreateSecret", #"{"Name":"a","SecretString":"sentinel","ClientRequestToken":"\#(token)"}"#, key: key)
        )
        #expect(created.status == 200)
        for body in [
            #"{"SecretId":"a","SecretString":"changed","SecretString":"again"}"#,
            #"{"SecretId":"a","Secret\u0049d":"b","SecretString":"changed"}"#,
            #"{"SecretId":"a","SecretString":"changed","Tags":[{"Key":"k","Key":"l"}]}"#,
        ] {
            let answer = await handler.handle(self.harness.request("PutSecretValue", body, key: key))
            #expect(answer.status == 400)
            #expect(try self.harness.shape(answer)["__type"] == "SerializationException")
        }
        let duplicate = await handler.handle(self.harness.request("GetSecretValue", #"{"SecretId":"a","SecretId":"b"}"#, key: key))
        #expect(try self.harness.shape(duplicate)["message"] == "Duplicate field 'SecretId' in the request.")
        let read = await handler.handle(self.harness.request("GetSecretValue", #"{"SecretId":"a"}"#, key: key))
        let value = try JSONSerialization.jsonObject(with: read.body) as? [String: Any]
        #expect(value?["SecretString"] as? String == "sentinel")
    }

    @Test func metricsLabelOnlyKnownOperations() {
        #expect(ServerMetrics.label(forOperation: "GetSecretValue") == "GetSecretValue")
        #expect(ServerMetrics.label(forOperation: "AssumeRole") == "AssumeRole")
        #expect(ServerMetrics.label(forOperation: "-") == "-")
        #expect(ServerMetrics.label(forOperation: "Frobnicate-\(UUID())") == "unknown")
        for index in 0..<2_000 {
            ServerMetrics.shared.record(operation: "attacker-\(index)", errorCode: "MissingAuthenticationTokenException", nanoseconds: 1)
        }
        #expect(!ServerMetrics.shared.render().contains("attacker-"))
    }

    @Test func theConnectionLimitLeavesDescriptorsForTheStore() {
        #expect(ServerConfiguration.connectionLimit(requested: 5) <= 5)
        #expect(ServerConfiguration.connectionLimit(requested: 0) == 1)
        if let limit = ServerConfiguration.openFileLimit() {
            #expect(ServerConfiguration.connectionLimit(requested: Int.max) <= limit - ServerConfiguration.reservedFileDescriptors)
        }
    }

    @Test func allowedRegionsParse() {
        #expect(ServerConfiguration.parseRegions("us-east-1, eu-west-1") == ["us-east-1", "eu-west-1"])
        #expect(ServerConfiguration.parseRegions("us-east-1,*") == nil)
        #expect(ServerConfiguration.parseRegions("") == nil)
    }
}
