import Dispatch
import Foundation
import LockstepCore
import Logging
import Synchronization

/// Where records go besides the store: a notification command (the JSON-lines copy follows the store instead:
/// ``AuditLog/maintain(final:)``).
///
/// Everything here runs on its own serial dispatch queue after the batch is committed: a slow disk or a hanging
/// command delays only later notifications (bounded: beyond 256 waiting, notifications are dropped and logged),
/// never an API call or the next audit batch.
final class AuditSinks: Sendable {
    private let configuration: AuditLog.Configuration
    private let logger: Logger
    private let queue = DispatchQueue(label: "lockstep.audit.sinks")
    private let waiting = Mutex(0)
    private static let maximumWaiting = 256

    init(configuration: AuditLog.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    func deliver(_ texts: [String]) {
        guard self.configuration.notifyCommand != nil else { return }
        let admitted = self.waiting.withLock { waiting -> Bool in
            guard waiting < Self.maximumWaiting else { return false }
            waiting += 1
            return true
        }
        guard admitted else {
            self.logger.warning("audit sinks are behind; dropped a batch of notifications", metadata: ["records": .stringConvertible(texts.count)])
            return
        }
        self.queue.async {
            defer { self.waiting.withLock { $0 -= 1 } }
            if let command = self.configuration.notifyCommand {
                // Only label moves and failed rotations notify: parse just those records.
                let candidates = texts.filter { Notification.mayNotify($0) }.compactMap { AuditJSON.parse(Data($0.utf8)) }
                for notification in candidates.flatMap(Notification.derive) { self.run(command, input: notification) }
            }
        }
    }

    /// Sends a signed digest to the notification command, as an EventBridge-shaped event (so a copy leaves the host).
    func notify(digest: AuditDigest) {
        guard let command = self.configuration.notifyCommand else { return }
        let event = AuditJSON.object([
            "version": .string("0"), "id": .string(UUID().uuidString.lowercased()), "detail-type": .string("Lockstep Audit Digest"),
            "source": .string("lockstep.audit"), "time": .string(UTCDate.iso8601(digest.time)), "resources": .array([]),
            "detail": AuditJSON.parse(Data(digest.text.utf8)) ?? .null,
        ]).canonicalText
        self.queue.async { self.run(command, input: event) }
    }

    /// Runs the command with the event on stdin; the root key never reaches it. On the sink's own queue.
    private func run(_ command: String, input: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["LOCKSTEP_ROOT_KEY"] = nil
        environment["AWS_SECRET_ACCESS_KEY"] = nil
        environment["AWS_SESSION_TOKEN"] = nil
        let started = ContinuousClock.now
        do {
            _ = try ProcessLaunch.run(
                "/bin/sh",
                ["-c", command],
                environment: environment,
                input: Data(input.utf8),
                timeout: .milliseconds(Int64(self.configuration.notifyTimeout * 1_000)),
                limit: 0
            )
        } catch {
            self.logger.error("can't run the audit notification command")
            return
        }
        if ContinuousClock.now - started >= .milliseconds(Int64(self.configuration.notifyTimeout * 1_000)) {
            self.logger.warning("the audit notification command timed out and was terminated")
        }
    }
}

/// Notifications derived from records, shaped like the EventBridge events AWS sends.
enum Notification {
    /// Labels whose moves are not announced (AWS's `Secret Label Updated` skips them).
    static let quietLabels: Set<String> = ["AWSPENDING", "AWSPREVIOUS"]

    /// A cheap pre-check on the text, so most records (reads) are never parsed.
    static func mayNotify(_ text: String) -> Bool {
        ["\"eventName\":\"RotationFailed\"", "\"eventName\":\"PutSecretValue\"", "\"eventName\":\"UpdateSecret", "\"eventName\":\"CreateSecret\""]
            .contains { text.contains($0) }
    }

    static func derive(_ record: AuditJSON) -> [String] {
        guard let name = record["eventName"]?.stringValue else { return [] }
        let account = record["recipientAccountId"]?.stringValue ?? ""
        let region = record["awsRegion"]?.stringValue ?? ""
        let time = record["eventTime"]?.stringValue ?? ""
        let resources: [AuditJSON] =
            if case .array(let list)? = record["resources"] { list.compactMap { $0["ARN"] } } else { [] }
        func event(_ detailType: String, _ detail: AuditJSON) -> String {
            AuditJSON.object([
                "version": .string("0"), "id": .string(UUID().uuidString.lowercased()), "detail-type": .string(detailType),
                "source": .string("aws.secretsmanager"), "account": .string(account), "time": .string(time),
                "region": .string(region), "resources": .array(resources), "detail": detail,
            ]).canonicalText
        }
        if name == "RotationFailed" { return [event("AWS Service Event via CloudTrail", record)] }
        guard record["errorCode"] == nil else { return [] }
        let request = record["requestParameters"]
        let response = record["responseElements"]
        let secretName = response?["Name"]?.stringValue ?? request?["SecretId"]?.stringValue ?? request?["Name"]?.stringValue ?? ""
        var moves: [(label: String, versionId: String)] = []
        switch name {
        case "CreateSecret", "UpdateSecret":
            if let version = response?["VersionId"]?.stringValue { moves.append(("AWSCURRENT", version)) }
        case "PutSecretValue":
            if let version = response?["VersionId"]?.stringValue, case .array(let labels)? = response?["VersionStages"] {
                moves += labels.compactMap(\.stringValue).map { ($0, version) }
            }
        case "UpdateSecretVersionStage":
            if let label = request?["VersionStage"]?.stringValue, let version = request?["MoveToVersionId"]?.stringValue {
                moves.append((label, version))
            }
        default: break
        }
        return moves.filter { !quietLabels.contains($0.label) }.map { move in
            event(
                "Secret Label Updated",
                .object(["name": .string(secretName), "labelUpdated": .string(move.label), "versionId": .string(move.versionId)])
            )
        }
    }
}
