public import Foundation
public import LockstepStore

/// Who delivers an endpoint: the rules of its lease, pure (the delivery applies them inside a write transaction, so
/// with several nodes on one PostgreSQL store exactly one holds an endpoint at a time; the store's write lock
/// serializes the claims).
public enum WebhookLease {
    /// The row after `owner` claims or renews the lease of endpoint `name` at `now`, or nil when another owner holds
    /// it. A missing row is made, starting at `newest` (a new endpoint gets the changes from now on). A lease that
    /// has run out, or whose owner `isGone` (a process of this machine that died), is taken over; the cursor and the
    /// attempt counters stay, so delivery resumes where the last holder had got to.
    public static func claim(
        _ row: WebhookCursorRecord?,
        name: String,
        owner: String,
        now: Date,
        duration: TimeInterval,
        newest: Int64,
        isGone: (String) -> Bool = { _ in false }
    ) -> WebhookCursorRecord? {
        var row = row ?? WebhookCursorRecord(name: name, deliveredThrough: newest, seen: now)
        if let holder = row.leaseOwner, holder != owner, let until = row.leaseUntil, until > now, !isGone(holder) { return nil }
        row.leaseOwner = owner
        row.leaseUntil = now.addingTimeInterval(duration)
        row.seen = now
        return row
    }

    /// Whether `owner` still holds `row` at `now` (a write that would move the cursor checks this first).
    public static func holds(_ row: WebhookCursorRecord?, owner: String, now: Date) -> Bool {
        guard let row, row.leaseOwner == owner, let until = row.leaseUntil else { return false }
        return until > now
    }

    /// The row after a delivered change: the cursor at `sequence` (never backwards: retention may have moved it past),
    /// the attempts counter reset, `events` more delivered.
    public static func delivered(
        _ row: WebhookCursorRecord,
        through sequence: Int64,
        events: Int,
        status: Int?,
        now: Date,
        duration: TimeInterval
    ) -> WebhookCursorRecord {
        var row = row
        row.deliveredThrough = max(row.deliveredThrough, sequence)
        row.attempts = 0
        row.lastAttempt = now
        row.lastStatus = status.map(Int64.init)
        row.lastError = nil
        row.lastSuccess = now
        row.delivered += Int64(events)
        row.leaseUntil = now.addingTimeInterval(duration)
        row.seen = now
        return row
    }

    /// The row after a failed attempt at the change after its cursor.
    public static func failed(
        _ row: WebhookCursorRecord,
        status: Int?,
        error: String,
        now: Date,
        duration: TimeInterval
    ) -> WebhookCursorRecord {
        var row = row
        row.attempts += 1
        row.lastAttempt = now
        row.lastStatus = status.map(Int64.init)
        row.lastError = String(error.prefix(200))
        row.leaseUntil = now.addingTimeInterval(duration)
        row.seen = now
        return row
    }

    /// The row after its holder stops (a graceful shutdown): the lease is free at once for another node.
    public static func released(_ row: WebhookCursorRecord, owner: String) -> WebhookCursorRecord {
        var row = row
        if row.leaseOwner == owner {
            row.leaseOwner = nil
            row.leaseUntil = nil
        }
        return row
    }
}
