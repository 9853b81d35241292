import Foundation

/// The CloudTrail record of an event (spec §4.2): the fields CloudTrail writes, with request parameters and
/// response elements redacted of SecretString, SecretBinary, RotationToken and RandomPassword.
struct AuditRecord {
    static let eventVersion = "1.08"

    let json: AuditJSON

    init(_ event: AuditEvent, eventID: String) {
        var identity: [String: AuditJSON] = [
            "type": .string(event.identity.type),
            "accountId": .string(event.identity.accountId),
        ]
        if let arn = event.identity.arn { identity["arn"] = .string(arn) }
        if let key = event.identity.accessKeyId { identity["accessKeyId"] = .string(key) }
        if let name = event.identity.userName { identity["userName"] = .string(name) }
        if let invokedBy = event.identity.invokedBy { identity["invokedBy"] = .string(invokedBy) }
        if let role = event.identity.roleARN {
            identity["sessionContext"] = .object([
                "sessionIssuer": .object(["type": .string("Role"), "arn": .string(role), "accountId": .string(event.identity.accountId)])
            ])
        }
        var record: [String: AuditJSON] = [
            "eventVersion": .string(Self.eventVersion),
            "eventTime": .string(Self.timestamp(event.eventTime)),
            "eventSource": .string(event.eventSource),
            "eventName": .string(event.eventName),
            "awsRegion": .string(event.region),
            "sourceIPAddress": .string(event.sourceIPAddress),
            "userAgent": .string(event.userAgent),
            "userIdentity": .object(identity),
            "requestParameters": event.requestParameters.flatMap(AuditJSON.parse)?.redacted ?? .null,
            "responseElements": event.responseElements.flatMap(AuditJSON.parse)?.redacted ?? .null,
            "requestID": .string(event.requestID),
            "eventID": .string(eventID),
            "readOnly": .bool(event.readOnly),
            "eventType": .string(event.eventType.rawValue),
            "managementEvent": .bool(true),
            "recipientAccountId": .string(event.recipientAccount),
            "eventCategory": .string("Management"),
        ]
        if let code = event.errorCode { record["errorCode"] = .string(code) }
        if let message = event.errorMessage { record["errorMessage"] = .string(message) }
        if !event.resources.isEmpty {
            record["resources"] = .array(
                event.resources.map { arn in
                    .object(["ARN": .string(arn), "accountId": .string(Self.account(of: arn) ?? event.recipientAccount), "type": .string("AWS::SecretsManager::Secret")])
                }
            )
        }
        if let extra = event.additionalEventData {
            record["additionalEventData"] = .object(extra.mapValues { .string($0) })
        }
        self.json = .object(record)
    }

    var text: String { self.json.canonicalText }

    static func account(of arn: String) -> String? {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        return parts.count == 6 ? String(parts[4]) : nil
    }

    /// `2026-11-29T04:00:00Z` (CloudTrail's eventTime has seconds resolution).
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
