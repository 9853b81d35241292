import Foundation
import LockstepCore
public import LockstepStore

extension AuditLog {
    /// The stored records matching `query`, oldest first (CloudTrail records).
    ///
    /// Filters read the hashed record itself (its `eventTime`, `eventName`, `userIdentity.arn`, `resources[0].ARN`,
    /// `additionalEventData.LockstepNode`),
    /// never the denormalised columns beside it: rewriting a column can't hide a record from `audit list` while
    /// `audit verify` (which checks the records) says the log is intact. The scan runs in sequence order, 10,000 rows
    /// at a time, in one snapshot.
    public static func list(store: any AuditStore, query: AuditQuery) async throws -> [AuditEventRow] {
        try await store.read { tx in
            var page = AuditQuery()
            page.afterSequence = query.afterSequence
            page.limit = 10_000
            var result: [AuditEventRow] = []
            while result.count < query.limit {
                let rows = try tx.auditEvents(page)
                for row in rows where query.matches(record: row.record) {
                    result.append(row)
                    if result.count == query.limit { break }
                }
                guard let last = rows.last, rows.count == page.limit else { break }
                page.afterSequence = last.sequence
            }
            return result
        }
    }
}

extension AuditQuery {
    /// Whether the record text (CloudTrail JSON, as hashed) passes the filters; a record that doesn't parse passes
    /// only an unfiltered query.
    func matches(record: String) -> Bool {
        guard self.from != nil || self.to != nil || self.eventName != nil || self.secretARN != nil || self.principal != nil || self.node != nil
        else {
            return true
        }
        guard let json = AuditJSON.parse(Data(record.utf8)) else { return false }
        if let eventName = self.eventName, json["eventName"]?.stringValue != eventName { return false }
        if let node = self.node, json["additionalEventData"]?[AuditRecord.nodeKey.description]?.stringValue != node { return false }
        if let principal = self.principal, json["userIdentity"]?["arn"]?.stringValue != principal { return false }
        if self.from != nil || self.to != nil {
            guard let time = json["eventTime"]?.stringValue.flatMap(UTCDate.parseISO8601) else { return false }
            // The record holds whole seconds: compare at that resolution.
            if let from = self.from, time < from.addingTimeInterval(-0.999) { return false }
            if let to = self.to, time > to { return false }
        }
        if let secret = self.secretARN {
            guard case .array(let resources)? = json["resources"], let arn = resources.first?["ARN"]?.stringValue,
                Self.secret(arn, isNamed: secret)
            else { return false }
        }
        return true
    }

    /// `secret` is the ARN itself, the ARN without its 6-character suffix, or the secret's name.
    static func secret(_ arn: String, isNamed secret: String) -> Bool {
        if arn == secret { return true }
        guard arn.count > 7, arn.dropLast(6).last == "-" else { return false }
        let withoutSuffix = arn.dropLast(7)
        if withoutSuffix == secret { return true }
        guard let range = withoutSuffix.range(of: ":secret:") else { return false }
        return withoutSuffix[range.upperBound...] == secret
    }
}
