import Foundation
import LockstepAuth
import LockstepCore
import LockstepService
import Testing

@testable import LockstepServer

/// The protocol handler in process: authentication first, then dispatch, answers in AWS's shape.
@Suite struct APIHandlerTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("handler-\(UUID().uuidString)")

    func handler() async throws -> (APIHandler, AccessKeys.CreatedKey) {
        let environment = try LockstepEnvironment.open(
            .init(dataDirectory: self.directory, account: "123456789012", environment: [:]),
            create: true
        )
        let keys = AccessKeys(manager: environment.manager)
        let key = try await keys.create(userName: "admin", account: "123456789012")
        return (APIHandler(dispatcher: environment.dispatcher, accessKeys: keys, authentication: .sigV4), key)
    }

    func request(_ operation: String, _ json: String, key: AccessKeys.CreatedKey?, secret: String? = nil) -> SignableRequest {
        var request = SignableRequest(
            method: "POST",
            path: "/",
            headers: [
                (name: "host", value: "localhost:8088"),
                (name: "content-type", value: APIHandler.contentType),
                (name: "x-amz-target", value: "secretsmanager.\(operation)"),
            ],
            body: Data(json.utf8)
        )
        if let key {
            SigV4Signer(accessKeyId: key.AccessKeyId, secretAccessKey: secret ?? key.SecretAccessKey.value, region: "us-west-2")
                .sign(&request)
        }
        return request
    }

    func shape(_ answer: APIHandler.Answer) throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: answer.body)
    }

    @Test func signedRequestsReachTheServiceInTheSignedRegion() async throws {
        let (handler, key) = try await self.handler()
        let created = await handler.handle(
            self.request("CreateSecret", #"{"Name":"a","SecretString":"v","ClientRequestToken":"\#(UUID().uuidString)"}"#, key: key)
        )
        #expect(created.status == 200)
        #expect(created.principal == "arn:aws:iam::123456789012:user/admin")
        let arn = try JSONDecoder().decode([String: String].self, from: created.body)["ARN"]
        #expect(arn?.hasPrefix("arn:aws:secretsmanager:us-west-2:123456789012:secret:a-") == true)
    }

    @Test func failuresNeverReachTheService() async throws {
        let (handler, key) = try await self.handler()
        let body = #"{"Name":"b","SecretString":"v","ClientRequestToken":"\#(UUID().uuidString)"}"#
        let unsigned = await handler.handle(self.request("CreateSecret", body, key: nil))
        #expect(unsigned.status == 400)
        #expect(try self.shape(unsigned)["__type"] == "MissingAuthenticationTokenException")
        let wrong = await handler.handle(self.request("CreateSecret", body, key: key, secret: "not-the-secret-at-all"))
        #expect(try self.shape(wrong)["__type"] == "InvalidSignatureException")
        #expect(wrong.operation == "CreateSecret")
        let check = await handler.handle(self.request("DescribeSecret", #"{"SecretId":"b"}"#, key: key))
        #expect(try self.shape(check)["__type"] == "ResourceNotFoundException")
    }

    @Test func unknownTargetsAndMalformedBodies() async throws {
        let (handler, key) = try await self.handler()
        let unknown = await handler.handle(self.request("Frobnicate", "{}", key: key))
        #expect(try self.shape(unknown)["__type"] == "UnknownOperationException")
        let malformed = await handler.handle(self.request("CreateSecret", "{", key: key))
        #expect(try self.shape(malformed)["__type"] == "SerializationException")
        #expect(malformed.status == 400)
    }
}
