public import Foundation

/// Where one configured webhook endpoint's delivery stands, shared by every node of a store (table
/// `webhook_cursors`): the last change delivered, the node holding its delivery lease, and the outcome of the last
/// attempt. One row per endpoint name.
public struct WebhookCursorRecord: Sendable, Hashable {
    public var name: String
    /// Every change up to this sequence has been delivered (or was pruned before it could be: see ``lost``).
    public var deliveredThrough: Int64
    /// The node delivering this endpoint now, and until when its lease holds.
    public var leaseOwner: String?
    public var leaseUntil: Date?
    /// The last time a node configured with this endpoint claimed or renewed it. Retention holds changes back only for
    /// endpoints seen within its age (an endpoint no node configures stops holding them).
    public var seen: Date
    /// Attempts at the change after ``deliveredThrough`` so far (0 once it is delivered).
    public var attempts: Int64
    public var lastAttempt: Date?
    /// The HTTP status of the last attempt (nil: no answer, see ``lastError``).
    public var lastStatus: Int64?
    /// Why the last attempt failed (a status line or a connection error), nil after a success.
    public var lastError: String?
    public var lastSuccess: Date?
    /// Events delivered (accepted with a 2xx) since the row was made.
    public var delivered: Int64
    /// Changes retention removed before this endpoint could have them (it keeps at most `--change-retention-max`).
    public var lost: Int64

    public init(
        name: String,
        deliveredThrough: Int64,
        leaseOwner: String? = nil,
        leaseUntil: Date? = nil,
        seen: Date,
        attempts: Int64 = 0,
        lastAttempt: Date? = nil,
        lastStatus: Int64? = nil,
        lastError: String? = nil,
        lastSuccess: Date? = nil,
        delivered: Int64 = 0,
        lost: Int64 = 0
    ) {
        self.name = name
        self.deliveredThrough = deliveredThrough
        self.leaseOwner = leaseOwner
        self.leaseUntil = leaseUntil
        self.seen = seen
        self.attempts = attempts
        self.lastAttempt = lastAttempt
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.lastSuccess = lastSuccess
        self.delivered = delivered
        self.lost = lost
    }
}
