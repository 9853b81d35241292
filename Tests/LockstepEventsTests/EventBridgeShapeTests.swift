import Foundation
import LockstepCore
import LockstepStore
import Testing

@testable import LockstepEvents

/// The events of the outbox's changes, as a receiver gets them: their envelope, their CloudTrail detail, their ids.
@Suite struct EventBridgeShapeTests {
    static let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
    static let call = ChangeCall(
        operation: "PutSecretValue",
        identityType: "IAMUser",
        principalARN: "arn:aws:iam::123456789012:user/alice",
        accountId: "123456789012",
        accessKeyId: "AKIAEXAMPLE",
        userName: "alice",
        sourceIPAddress: "127.0.0.1",
        userAgent: "boto3",
        requestID: "req-1"
    )

    static func change(_ kind: SecretChangeKind, call: ChangeCall? = nil, sequence: Int64 = 7) -> ChangeRecord {
        ChangeRecord(
            sequence: sequence,
            time: Date(timeIntervalSince1970: 1_800_000_000),
            scope: Scope(account: "123456789012", region: "us-east-1"),
            secretARN: Self.arn,
            secretName: "db",
            kind: kind,
            versionId: "v2",
            stages: StageMap(["AWSCURRENT": "v2", "AWSPREVIOUS": "v1"]),
            call: call
        )
    }

    static func json(_ event: WebhookEvent) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: event.body) as? [String: Any])
    }

    @Test func anAPICallIsCloudTrailsRecordOfTheCallWithoutAValue() throws {
        let events = EventBridgeShape.events(for: Self.change(.valuePut, call: Self.call))
        #expect(events.count == 1)
        let body = try Self.json(events[0])
        #expect(body["version"] as? String == "0")
        #expect(body["source"] as? String == "aws.secretsmanager")
        #expect(body["detail-type"] as? String == "AWS API Call via CloudTrail")
        #expect(body["account"] as? String == "123456789012")
        #expect(body["region"] as? String == "us-east-1")
        #expect(body["time"] as? String == "2027-01-15T08:00:00Z")
        #expect(body["resources"] as? [String] == [Self.arn])
        #expect(body["id"] as? String == events[0].id)
        let detail = try #require(body["detail"] as? [String: Any])
        #expect(detail["eventVersion"] as? String == "1.08")
        #expect(detail["eventSource"] as? String == "secretsmanager.amazonaws.com")
        #expect(detail["eventName"] as? String == "PutSecretValue")
        #expect(detail["eventType"] as? String == "AwsApiCall")
        #expect(detail["awsRegion"] as? String == "us-east-1")
        #expect(detail["eventTime"] as? String == "2027-01-15T08:00:00Z")
        #expect(detail["requestID"] as? String == "req-1")
        #expect(detail["eventID"] as? String == events[0].id)
        let identity = try #require(detail["userIdentity"] as? [String: Any])
        #expect(identity["type"] as? String == "IAMUser" && identity["arn"] as? String == "arn:aws:iam::123456789012:user/alice")
        #expect(identity["userName"] as? String == "alice" && identity["accessKeyId"] as? String == "AKIAEXAMPLE")
        let parameters = try #require(detail["requestParameters"] as? [String: Any])
        #expect(Set(parameters.keys) == ["secretId", "versionId"])
        #expect(parameters["secretId"] as? String == Self.arn && parameters["versionId"] as? String == "v2")
        let extra = try #require(detail["additionalEventData"] as? [String: String])
        #expect(extra["LockstepChange"] == "ValuePut" && extra["LockstepSequence"] == "7")
    }

    @Test(arguments: [SecretChangeKind.rotationStarted, .rotationSucceeded, .rotationFailed, .rotationAbandoned])
    func theServicesOwnChangesAreServiceEvents(_ kind: SecretChangeKind) throws {
        let events = EventBridgeShape.events(for: Self.change(kind))
        #expect(events.map(\.eventName) == [kind.rawValue])
        let body = try Self.json(events[0])
        #expect(body["detail-type"] as? String == "AWS Service Event via CloudTrail")
        let detail = try #require(body["detail"] as? [String: Any])
        #expect(detail["eventType"] as? String == "AwsServiceEvent")
        #expect(detail["eventName"] as? String == kind.rawValue)
        #expect(detail["requestParameters"] is NSNull && detail["responseElements"] is NSNull)
        let identity = try #require(detail["userIdentity"] as? [String: Any])
        #expect(identity["invokedBy"] as? String == "secretsmanager.amazonaws.com")
        let extra = try #require(detail["additionalEventData"] as? [String: String])
        #expect(extra["SecretId"] == Self.arn && extra["VersionId"] == "v2")
    }

    @Test func aRotateSecretCallIsTheCallThenRotationStarted() throws {
        var call = Self.call
        call.operation = "RotateSecret"
        let events = EventBridgeShape.events(for: Self.change(.rotationStarted, call: call))
        #expect(events.map(\.eventName) == ["RotateSecret", "RotationStarted"])
        #expect(events.map(\.detailType) == [EventBridgeShape.apiCallDetailType, EventBridgeShape.serviceEventDetailType])
        #expect(events[0].id != events[1].id)
    }

    @Test func idsAreStableAndDistinct() {
        let first = EventBridgeShape.events(for: Self.change(.valuePut, call: Self.call))
        let again = EventBridgeShape.events(for: Self.change(.valuePut, call: Self.call))
        let next = EventBridgeShape.events(for: Self.change(.valuePut, call: Self.call, sequence: 8))
        #expect(first == again)
        #expect(first[0].id != next[0].id)
        #expect(first[0].id.count == 36 && first[0].id.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
    }
}
