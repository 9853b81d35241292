import Crypto
public import Foundation
import LockstepAudit
import LockstepCore
public import LockstepStore

/// One event for a webhook: its stable id (the same on every attempt and after a restart, so receivers can
/// deduplicate) and its JSON body, an Amazon EventBridge event as Secrets Manager's would be.
public struct WebhookEvent: Sendable, Hashable {
    public var id: String
    public var detailType: String
    public var eventName: String
    public var body: Data
}

/// Makes the EventBridge events of a change of the outbox: pure, no I/O.
///
/// A change made by an API call is that call's CloudTrail record, `detail-type` "AWS API Call via CloudTrail"
/// (`PutSecretValue`, `UpdateSecretVersionStage`, `RotateSecret`, ...). A change the service made by itself (the
/// rotation engine's RotationStarted / RotationSucceeded / RotationFailed / RotationAbandoned, the end of a
/// recovery window) is a service event, "AWS Service Event via CloudTrail". A RotateSecret call that starts a
/// rotation is both, in that order: the call, then RotationStarted.
///
/// `detail` is shaped like the audit log's CloudTrail records (``AuditEvent``'s fields), except that
/// `requestParameters` holds only `secretId` and `versionId`: nothing of a request body, so never a value.
public enum EventBridgeShape {
    public static let source = "aws.secretsmanager"
    public static let apiCallDetailType = "AWS API Call via CloudTrail"
    public static let serviceEventDetailType = "AWS Service Event via CloudTrail"
    public static let eventVersion = "1.08"

    /// The change kinds that are a service event of AWS's, whoever caused them.
    static let serviceEventKinds: Set<SecretChangeKind> = [.rotationStarted, .rotationSucceeded, .rotationFailed, .rotationAbandoned]

    /// The events of `change`, in delivery order.
    public static func events(for change: ChangeRecord) -> [WebhookEvent] {
        var events: [WebhookEvent] = []
        if let call = change.call {
            events.append(self.event(change, index: events.count, name: call.operation, call: call))
            if call.operation == "RotateSecret", change.kind == .rotationStarted {
                events.append(self.event(change, index: events.count, name: change.kind.rawValue, call: nil))
            }
        } else {
            events.append(self.event(change, index: events.count, name: change.kind.rawValue, call: nil))
        }
        return events
    }

    /// A UUID-shaped id made from what identifies the change (sequence, time, secret) and the event's place in it.
    static func eventID(_ change: ChangeRecord, index: Int) -> String {
        let seed = "lockstep-event|\(change.sequence)|\(change.time.timeIntervalSince1970)|\(change.secretARN)|\(index)"
        var bytes = Array(SHA256.hash(data: Data(seed.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50  // version 5 style (name-based)
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }

    private static func event(_ change: ChangeRecord, index: Int, name: String, call: ChangeCall?) -> WebhookEvent {
        let id = Self.eventID(change, index: index)
        let time = UTCDate.iso8601(change.time)
        let account = change.scope.account
        var lockstep: [String: String] = ["LockstepChange": change.kind.rawValue, "LockstepSequence": String(change.sequence)]
        let identity: Identity
        var requestParameters: RequestParameters?
        var responseElements: ResponseElements?
        if let call {
            identity = Identity(
                type: call.identityType,
                arn: call.principalARN,
                accountId: call.accountId,
                accessKeyId: call.accessKeyId,
                userName: call.userName,
                invokedBy: nil,
                sessionContext: call.roleARN.map { .init(sessionIssuer: .init(type: "Role", arn: $0, accountId: call.accountId)) }
            )
            requestParameters = RequestParameters(secretId: change.secretARN, versionId: change.versionId)
            responseElements = ResponseElements(arn: change.secretARN)
        } else {
            identity = Identity(type: "AWSService", accountId: account, invokedBy: AuditEvent.serviceName)
            lockstep["SecretId"] = change.secretARN
            if let version = change.versionId { lockstep["VersionId"] = version }
        }
        let detail = Detail(
            eventVersion: Self.eventVersion,
            userIdentity: identity,
            eventTime: time,
            eventSource: AuditEvent.serviceName,
            eventName: name,
            awsRegion: change.scope.region,
            sourceIPAddress: call?.sourceIPAddress ?? AuditEvent.serviceName,
            userAgent: call?.userAgent ?? AuditEvent.serviceName,
            requestParameters: requestParameters,
            responseElements: responseElements,
            additionalEventData: lockstep,
            requestID: call?.requestID ?? "\(change.kind.rawValue)-\(change.sequence)",
            eventID: id,
            readOnly: false,
            resources: [.init(ARN: change.secretARN, accountId: account, type: "AWS::SecretsManager::Secret")],
            eventType: call == nil ? AuditEvent.EventType.serviceEvent.rawValue : AuditEvent.EventType.apiCall.rawValue,
            managementEvent: true,
            recipientAccountId: account,
            eventCategory: "Management",
            versionIdsToStages: change.stages?.labelsByVersion
        )
        let envelope = Envelope(
            version: "0",
            id: id,
            detailType: call == nil ? Self.serviceEventDetailType : Self.apiCallDetailType,
            source: Self.source,
            account: account,
            time: time,
            region: change.scope.region,
            resources: [change.secretARN],
            detail: detail
        )
        let body = (try? Self.encoder.encode(envelope)) ?? Data("{}".utf8)
        return WebhookEvent(id: id, detailType: envelope.detailType, eventName: name, body: body)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    // The JSON, in EventBridge's and CloudTrail's spelling.

    struct Envelope: Encodable {
        var version: String
        var id: String
        var detailType: String
        var source: String
        var account: String
        var time: String
        var region: String
        var resources: [String]
        var detail: Detail

        enum CodingKeys: String, CodingKey {
            case version, id, source, account, time, region, resources, detail
            case detailType = "detail-type"
        }
    }

    struct Identity: Encodable {
        struct SessionContext: Encodable {
            struct Issuer: Encodable {
                var type: String
                var arn: String
                var accountId: String
            }
            var sessionIssuer: Issuer
        }
        var type: String
        var arn: String? = nil
        var accountId: String
        var accessKeyId: String? = nil
        var userName: String? = nil
        var invokedBy: String? = nil
        var sessionContext: SessionContext? = nil
    }

    struct RequestParameters: Encodable {
        var secretId: String
        var versionId: String?
    }

    struct ResponseElements: Encodable {
        var arn: String
    }

    struct Resource: Encodable {
        var ARN: String
        var accountId: String
        var type: String
    }

    struct Detail: Encodable {
        var eventVersion: String
        var userIdentity: Identity
        var eventTime: String
        var eventSource: String
        var eventName: String
        var awsRegion: String
        var sourceIPAddress: String
        var userAgent: String
        var requestParameters: RequestParameters?
        var responseElements: ResponseElements?
        var additionalEventData: [String: String]
        var requestID: String
        var eventID: String
        var readOnly: Bool
        var resources: [Resource]
        var eventType: String
        var managementEvent: Bool
        var recipientAccountId: String
        var eventCategory: String
        /// Lockstep's addition: the secret's labels after the change (as the change feed gives them).
        var versionIdsToStages: [String: [String]]?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(self.eventVersion, forKey: Key("eventVersion"))
            try c.encode(self.userIdentity, forKey: Key("userIdentity"))
            try c.encode(self.eventTime, forKey: Key("eventTime"))
            try c.encode(self.eventSource, forKey: Key("eventSource"))
            try c.encode(self.eventName, forKey: Key("eventName"))
            try c.encode(self.awsRegion, forKey: Key("awsRegion"))
            try c.encode(self.sourceIPAddress, forKey: Key("sourceIPAddress"))
            try c.encode(self.userAgent, forKey: Key("userAgent"))
            // CloudTrail writes null for a service event's request and response.
            if let p = self.requestParameters {
                try c.encode(p, forKey: Key("requestParameters"))
            } else {
                try c.encodeNil(forKey: Key("requestParameters"))
            }
            if let r = self.responseElements {
                try c.encode(r, forKey: Key("responseElements"))
            } else {
                try c.encodeNil(forKey: Key("responseElements"))
            }
            try c.encode(self.additionalEventData, forKey: Key("additionalEventData"))
            try c.encode(self.requestID, forKey: Key("requestID"))
            try c.encode(self.eventID, forKey: Key("eventID"))
            try c.encode(self.readOnly, forKey: Key("readOnly"))
            try c.encode(self.resources, forKey: Key("resources"))
            try c.encode(self.eventType, forKey: Key("eventType"))
            try c.encode(self.managementEvent, forKey: Key("managementEvent"))
            try c.encode(self.recipientAccountId, forKey: Key("recipientAccountId"))
            try c.encode(self.eventCategory, forKey: Key("eventCategory"))
            try c.encodeIfPresent(self.versionIdsToStages, forKey: Key("lockstepVersionIdsToStages"))
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ string: String) { self.stringValue = string }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }
}
