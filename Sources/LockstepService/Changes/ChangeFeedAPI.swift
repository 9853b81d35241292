public import Foundation
public import LockstepCore
import LockstepAudit
import LockstepStore

/// `GET /v1/changes?after=SEQ&wait=SECONDS&limit=N`, the change feed over HTTP: parameters checked, the answer in
/// JSON, the call audited like any read.
public struct ChangeFeedRequest: Sendable, Hashable {
    /// Continue after this sequence; nil for "where the feed stands now".
    public var after: Int64?
    /// How long to wait for a change when there is none (a long poll), 0–20 s.
    public var waitSeconds: Int
    /// The most changes to return, 1–1,000.
    public var limit: Int

    public static let maximumWaitSeconds = 20
    public static let defaultLimit = 100

    public init(after: Int64? = nil, waitSeconds: Int = 0, limit: Int = ChangeFeedRequest.defaultLimit) {
        self.after = after
        self.waitSeconds = waitSeconds
        self.limit = limit
    }

    /// Reads the raw query string (`a=1&b=2`, percent-encoded). Other parameters are ignored; a parameter given twice
    /// or out of range is refused with ValidationException, naming it, never echoing more than its name.
    public init(query: String) throws(SecretsManagerError) {
        var seen: Set<String> = []
        self.init()
        for item in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard ["after", "wait", "limit"].contains(name) else { continue }
            guard seen.insert(name).inserted else { throw SecretsManagerError(.validation, "The parameter \(name) is given more than once.") }
            let text = parts.count > 1 ? String(parts[1]) : ""
            func number(_ range: ClosedRange<Int64>) throws(SecretsManagerError) -> Int64 {
                guard (1...19).contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let value = Int64(text),
                    range.contains(value)
                else {
                    throw SecretsManagerError(.validation, "The parameter \(name) must be a whole number from \(range.lowerBound) to \(range.upperBound).")
                }
                return value
            }
            switch name {
            case "after": self.after = try number(0...Int64.max)
            case "wait": self.waitSeconds = Int(try number(0...Int64(Self.maximumWaitSeconds)))
            default: self.limit = Int(try number(1...Int64(SecretsManager.changePageLimit)))
            }
        }
    }
}

extension SecretsManager {
    /// Answers one change-feed request as JSON: `{"Changes": [...], "NextSequence": N, "Reset": false}`. Each change
    /// carries its sequence, time, event, the secret's ARN and name, the version concerned and the labels after the
    /// change (`VersionIdsToStages`); never a value. Audited as `ListSecretChanges`, a read.
    public func listChanges(_ request: ChangeFeedRequest, context: RequestContext) async throws(SecretsManagerError) -> Data {
        var context = context
        context.operation = Self.listChangesOperation
        let result: Result<Data, SecretsManagerError>
        do {
            let page = try await self.changes(
                after: request.after,
                limit: request.limit,
                wait: .seconds(request.waitSeconds),
                context: context
            )
            result = .success(try Self.feedEncoder.encode(ChangeFeedShape(page)))
        } catch {
            result = .failure(SecretsManagerError.answering(error))
        }
        if let audit = self.audit {
            var parameters: [String: Int64] = ["WaitSeconds": Int64(request.waitSeconds), "Limit": Int64(request.limit)]
            parameters["After"] = request.after
            let body = (try? Self.feedEncoder.encode(parameters)) ?? Data("{}".utf8)
            audit.record(APICallRecord.event(Self.listChangesOperation, body: body, result: result, context: context, readOnly: true))
        }
        return try result.get()
    }

    public static let listChangesOperation = "ListSecretChanges"

    private static let feedEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()
}

/// The feed's JSON, in the API's spelling.
struct ChangeFeedShape: Encodable {
    struct Change: Encodable {
        var Sequence: Int64
        var EventTime: Date
        var Event: String
        var ARN: String
        var Name: String
        var Region: String
        var VersionId: String?
        var VersionIdsToStages: [String: [String]]?
    }

    var Changes: [Change]
    var NextSequence: Int64
    var Reset: Bool

    init(_ page: ChangePage) {
        self.Changes = page.changes.map {
            Change(
                Sequence: $0.sequence,
                EventTime: $0.time,
                Event: $0.kind.rawValue,
                ARN: $0.secretARN,
                Name: $0.secretName,
                Region: $0.scope.region,
                VersionId: $0.versionId,
                VersionIdsToStages: $0.stages?.labelsByVersion
            )
        }
        self.NextSequence = page.next
        self.Reset = page.reset
    }
}
