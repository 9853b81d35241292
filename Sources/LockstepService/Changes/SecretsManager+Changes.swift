public import Foundation
import LockstepAuth
import LockstepCore
public import LockstepStore

/// One answer of the change feed.
public struct ChangePage: Sendable {
    /// The changes the caller may see, oldest first.
    public var changes: [ChangeRecord]
    /// Where to continue (`after=`): past every change read, seen or not.
    public var next: Int64
    /// The caller asked to continue from a point the feed no longer holds (pruned by retention, or a store copied
    /// or restored since): changes may have been missed, so everything a consumer cached may be stale.
    public var reset: Bool
}

extension SecretsManager {
    /// The most changes one answer carries.
    public static let changePageLimit = 1_000

    /// Appends what happened to `secret` to the change feed, in the transaction that makes it happen; for a primary,
    /// also for each of its replicas (they show its versions and labels). `stages` defaults to the labels as they
    /// stand in `tx`; pass `.some(nil)` for a secret that is going away. `context` is the API call that makes the
    /// change (nil when the service makes it by itself: the rotation engine, the end of a recovery window, a change
    /// that follows from another one of the same call); the change remembers the operation and the caller, never
    /// the request.
    func recordChange(
        _ kind: SecretChangeKind,
        of secret: SecretRecord,
        versionId: String? = nil,
        stages: StageMap?? = nil,
        by context: RequestContext?,
        in tx: any SecretStoreTransaction
    ) throws {
        let labels = try stages ?? tx.stages(secretId: self.dataOwner(of: secret, in: tx).id)
        let now = self.now()
        let call = context.flatMap(Self.changeCall)
        let replicas = secret.isReplica ? [] : try tx.replicas(of: secret.id)
        for affected in [secret] + replicas {
            try tx.appendChange(
                ChangeRecord(
                    time: now,
                    scope: affected.scope,
                    secretARN: affected.arn,
                    secretName: affected.name,
                    kind: kind,
                    versionId: versionId,
                    stages: labels,
                    call: call
                )
            )
        }
        self.changes.noteAppended()
    }

    /// The call a change remembers: the operation and who made it, as CloudTrail's `userIdentity` tells it. None
    /// for the service acting for itself (its changes are service events).
    static func changeCall(_ context: RequestContext) -> ChangeCall? {
        let principal = context.caller.principal
        guard let operation = context.operation else { return nil }
        if case .service(_) = principal.kind { return nil }
        return ChangeCall(
            operation: operation,
            identityType: principal.identityType,
            principalARN: principal.arn,
            accountId: principal.account,
            accessKeyId: principal.accessKeyId,
            userName: principal.userName,
            roleARN: principal.roleARN,
            sourceIPAddress: context.sourceIP,
            userAgent: context.userAgent,
            requestID: context.requestID
        )
    }

    /// The change signal's ring count: read it before reading the outbox, and pass it to ``waitForChanges(upTo:after:)``,
    /// so that a change committed in between is never waited for.
    public var changeRings: UInt64 { self.changes.rings }

    /// Waits until a change is appended after `rings` (on this node, or another's noticed by the store's
    /// notifications), `timeout` passes, or the task is cancelled: for followers of the outbox inside the server
    /// (webhook delivery).
    public func waitForChanges(upTo timeout: Duration, after rings: UInt64) async {
        await self.changes.wait(upTo: timeout, after: rings)
    }

    /// The change feed (`GET /v1/changes`): the changes after `after` to secrets of the caller's region that it may
    /// `DescribeSecret`, waiting up to `wait` for one to come. Without `after`, answers at once with where the feed
    /// stands now (a new consumer's starting point).
    public func changes(after: Int64?, limit: Int, wait: Duration, context: RequestContext) async throws -> ChangePage {
        let clock = ContinuousClock()
        let deadline = clock.now + wait
        var cursor = after
        while true {
            let from = cursor
            let rings = self.changes.rings
            let (page, full) = try await self.store.read { tx in
                try self.visibleChanges(after: from, limit: limit, in: tx, context: context)
            }
            let remaining = deadline - clock.now
            if !page.changes.isEmpty || page.reset || cursor == nil || remaining <= .zero || Task.isCancelled { return page }
            cursor = page.next
            if full { continue }  // a full page of changes the caller may not see: read on
            // A change committed by a process that isn't this node's (the CLI on the same data directory) rings no
            // bell: look again at least every second.
            await self.changes.wait(upTo: min(remaining, .seconds(1)), after: rings)
        }
    }

    /// The page after `after`, and whether the store had a full page to give.
    private func visibleChanges(
        after: Int64?,
        limit: Int,
        in tx: any SecretStoreTransaction,
        context: RequestContext
    ) throws -> (ChangePage, full: Bool) {
        let bounds = try tx.changeFeedBounds()
        guard let after else { return (ChangePage(changes: [], next: bounds.newest, reset: false), false) }
        guard bounds.canResume(after: after) else { return (ChangePage(changes: [], next: bounds.newest, reset: true), false) }
        let read = try tx.changes(after: after, limit: limit)
        var allowed: [String: Bool] = [:]
        let visible = try read.filter { change in
            guard change.scope.region == context.region else { return false }
            if let known = allowed[change.secretARN] { return known }
            let verdict = try self.mayDescribe(change, in: tx, context: context)
            allowed[change.secretARN] = verdict
            return verdict
        }
        return (ChangePage(changes: visible, next: read.last?.sequence ?? after, reset: false), read.count == limit)
    }

    /// Whether the caller may `DescribeSecret` the changed secret: its policies and, while the secret exists, its
    /// resource policy and tags, as DescribeSecret itself would decide. Without policy evaluation, its own account's.
    private func mayDescribe(_ change: ChangeRecord, in tx: any SecretStoreTransaction, context: RequestContext) throws -> Bool {
        guard self.enforcesPolicies else { return change.scope.account == context.account }
        let secret = try tx.secret(arn: change.secretARN)
        do {
            try self.authorize(
                resource: change.secretARN,
                account: change.scope.account,
                secret: secret,
                action: Self.describeAction,
                in: tx,
                context: context
            )
            return true
        } catch let error as SecretsManagerError where error.code == .accessDenied {
            return false
        }
    }

    static let describeAction = "secretsmanager:DescribeSecret"

    /// Retention: removes the changes older than `age` and all but the newest `maximum`; returns how many.
    public func pruneChanges(olderThan age: TimeInterval, keepingAtMost maximum: Int) async throws -> Int {
        let cutoff = self.now().addingTimeInterval(-age)
        return try await self.store.write(faultPoint: .maintenanceTransaction) { try $0.pruneChanges(before: cutoff, keepingAtMost: maximum) }
    }
}
