public import Foundation
public import LockstepStore

/// `lockstep events status`: where each endpoint's delivery stands, from its row and the outbox.
public struct EventsStatusEntry: Sendable, Encodable, Equatable {
    public var Webhook: String
    /// The last change delivered (a sequence of the outbox).
    public var DeliveredThrough: Int64
    /// Changes in the outbox not yet delivered.
    public var LagChanges: Int64
    /// Seconds since the oldest change not yet delivered was made (0 when none waits).
    public var LagSeconds: Int64
    /// Failed attempts at the change now waiting.
    public var Attempts: Int64
    public var LastAttempt: Date?
    public var LastStatus: Int64?
    public var LastError: String?
    public var LastSuccess: Date?
    public var Delivered: Int64
    public var Lost: Int64
    /// The node delivering it now, while its lease holds.
    public var Owner: String?
    /// `delivering`, `failing` (the last attempt failed), `idle` (no node holds it now).
    public var State: String

    /// - Parameters:
    ///   - row: the endpoint's row.
    ///   - newest: the newest sequence of the outbox.
    ///   - oldestWaiting: when the first change after the cursor was made, if there is one.
    ///   - now: the time of the report.
    public init(_ row: WebhookCursorRecord, newest: Int64, oldestWaiting: Date?, now: Date) {
        self.Webhook = row.name
        self.DeliveredThrough = row.deliveredThrough
        self.LagChanges = max(newest - row.deliveredThrough, 0)
        self.LagSeconds = oldestWaiting.map { max(Int64(now.timeIntervalSince($0)), 0) } ?? 0
        self.Attempts = row.attempts
        self.LastAttempt = row.lastAttempt
        self.LastStatus = row.lastStatus
        self.LastError = row.lastError
        self.LastSuccess = row.lastSuccess
        self.Delivered = row.delivered
        self.Lost = row.lost
        let held = row.leaseUntil.map { $0 > now } ?? false
        self.Owner = held ? row.leaseOwner : nil
        self.State = row.attempts > 0 ? "failing" : held ? "delivering" : "idle"
    }

    /// Every endpoint's entry, read in one transaction.
    public static func read(from store: any SecretStore, now: Date = Date()) async throws -> [EventsStatusEntry] {
        try await store.read { tx in
            let newest = try tx.changeFeedBounds().newest
            return try tx.webhookCursors().map { row in
                let waiting = try tx.changes(after: row.deliveredThrough, limit: 1).first?.time
                return EventsStatusEntry(row, newest: newest, oldestWaiting: waiting, now: now)
            }
        }
    }
}
