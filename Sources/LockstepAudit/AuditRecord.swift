import Foundation
import LockstepCore

/// The CloudTrail record of an event (spec §4.2): the fields CloudTrail writes, with request parameters and
/// response elements redacted of SecretString, SecretBinary, RotationToken and RandomPassword, and the node that
/// wrote it in `additionalEventData.LockstepNode`.
///
/// Written straight into canonical JSON (keys in byte order, no spaces): every API call makes one, on the audit
/// writer, and building a tree of dictionaries first cost more than the call itself. A test checks the text is
/// exactly what ``AuditJSON/canonicalText`` makes of it.
struct AuditRecord: Sendable {
    static let eventVersion = "1.08"

    /// The canonical text: what is stored, hashed and sent to the sinks.
    let text: String

    /// The member of `additionalEventData` that names the node that wrote the record (with several nodes on one
    /// PostgreSQL store, all write one chain).
    static let nodeKey: StaticString = "LockstepNode"

    /// - Parameter node: the writing node's name (``AuditLog/Configuration/node``).
    init(_ event: AuditEvent, eventID: String, node: String) {
        var out = JSONBytes()
        out.open()
        out.key("additionalEventData")
        if var extra = event.additionalEventData {
            extra[Self.nodeKey.description] = node
            AuditJSON.object(extra.mapValues { .string($0) }).write(into: &out.bytes)
        } else {
            // The common case (no other data) written directly: this runs for every call.
            out.open()
            out.member(Self.nodeKey, node)
            out.close()
        }
        out.member("awsRegion", event.region)
        out.member("errorCode", event.errorCode)
        out.member("errorMessage", event.errorMessage)
        out.member("eventCategory", "Management")
        out.member("eventID", eventID)
        out.member("eventName", event.eventName)
        out.member("eventSource", event.eventSource)
        out.member("eventTime", UTCDate.iso8601(event.eventTime))
        out.member("eventType", event.eventType.rawValue)
        out.member("eventVersion", Self.eventVersion)
        out.member("managementEvent", literal: "true")
        out.member("readOnly", literal: event.readOnly ? "true" : "false")
        out.member("recipientAccountId", event.recipientAccount)
        out.member("requestID", event.requestID)
        out.key("requestParameters")
        out.redacted(event.requestParameters)
        if !event.resources.isEmpty {
            out.key("resources")
            out.bytes.append(UInt8(ascii: "["))
            for (index, arn) in event.resources.enumerated() {
                if index > 0 { out.bytes.append(UInt8(ascii: ",")) }
                out.open()
                out.member("ARN", arn)
                out.member("accountId", Self.account(of: arn) ?? event.recipientAccount)
                out.member("type", "AWS::SecretsManager::Secret")
                out.close()
            }
            out.bytes.append(UInt8(ascii: "]"))
        }
        out.key("responseElements")
        out.redacted(event.responseElements)
        out.member("sourceIPAddress", event.sourceIPAddress)
        out.member("userAgent", event.userAgent)
        out.key("userIdentity")
        let identity = event.identity
        out.open()
        out.member("accessKeyId", identity.accessKeyId)
        out.member("accountId", identity.accountId)
        out.member("arn", identity.arn)
        out.member("invokedBy", identity.invokedBy)
        if let role = identity.roleARN {
            out.key("sessionContext")
            out.open()
            out.key("sessionIssuer")
            out.open()
            out.member("accountId", identity.accountId)
            out.member("arn", role)
            out.member("type", "Role")
            out.close()
            out.close()
        }
        out.member("type", identity.type)
        out.member("userName", identity.userName)
        out.close()
        out.close()
        self.text = String(decoding: out.bytes, as: UTF8.self)
    }

    /// The account field of an ARN (the fifth, colon-separated).
    static func account(of arn: String) -> String? {
        // ASCII (every ARN the service makes) is sliced on its bytes; other text by Character, as it always was.
        if arn.utf8.allSatisfy({ $0 < 0x80 }) {
            let utf8 = arn.utf8
            var colons = 0
            var start = utf8.startIndex
            for index in utf8.indices where utf8[index] == UInt8(ascii: ":") {
                colons += 1
                if colons == 4 { start = utf8.index(after: index) }
                if colons == 5 { return String(Substring(utf8[start..<index])) }
            }
            return nil
        }
        var colons = 0
        var start = arn.utf8.startIndex
        for index in arn.utf8.indices where arn.utf8[index] == UInt8(ascii: ":") {
            colons += 1
            if colons == 4 { start = arn.utf8.index(after: index) }
            if colons == 5 { return String(arn[start..<index]) }
        }
        return nil
    }
}

/// A JSON object writer whose callers emit members in key order (the canonical form).
struct JSONBytes {
    var bytes: [UInt8] = []
    private var needsComma = false

    init() { self.bytes.reserveCapacity(1024) }

    mutating func open() {
        self.bytes.append(UInt8(ascii: "{"))
        self.needsComma = false
    }

    mutating func close() {
        self.bytes.append(UInt8(ascii: "}"))
        self.needsComma = true
    }

    mutating func key(_ key: StaticString) {
        if self.needsComma { self.bytes.append(UInt8(ascii: ",")) }
        self.bytes.append(UInt8(ascii: "\""))
        self.bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        self.bytes.append(UInt8(ascii: "\""))
        self.bytes.append(UInt8(ascii: ":"))
        self.needsComma = true
    }

    /// A string member; absent when nil.
    mutating func member(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        self.key(key)
        JSONString.append(value, to: &self.bytes)
    }

    mutating func member(_ key: StaticString, literal: StaticString) {
        self.key(key)
        self.bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// A body without its sensitive members, or `null` when there is none or it isn't JSON.
    mutating func redacted(_ body: Data?) {
        guard let body, let json = AuditJSON.parse(body) else {
            self.bytes.append(contentsOf: "null".utf8)
            return
        }
        json.writeRedacted(into: &self.bytes)
    }
}
