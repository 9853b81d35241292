public import Foundation
import LockstepCore
public import LockstepDatabase
public import LockstepService
public import Logging
import LockstepStore

/// What a finished rotation did to the applications connected as its users, kept with its history
/// (`lockstep rotation history`): their sessions when the labels moved and after a grace period, and for alternating
/// users when the previous user's sessions drained and when the new user's first session began.
public struct ConnectionReport: Sendable, Codable, Hashable {
    public var SecretARN: String
    public var VersionId: String
    public var Strategy: String
    public var FinishedDate: Date
    /// The user AWSCURRENT names now, and the one AWSPREVIOUS named (the same user for single-user rotation).
    public var CurrentUser: String
    public var PreviousUser: String?
    public var AtLabelMove: SessionSnapshot?
    public var AfterGracePeriod: SessionSnapshot?
    /// Alternating users: when no session of the previous user was left (nil while some remain, or past the watch).
    public var PreviousUserDrainedDate: Date?
    /// Alternating users: when the oldest session of the new user seen since the labels moved began.
    public var FirstNewUserSessionDate: Date?
    public var Note: String
    public var Error: String?

    static let note = """
        A database records who is connected, not which password a session logged in with: sessions of a single user \
        that began before the rotation used the old password and go on working until they reconnect; with \
        alternating users, sessions of the previous user are on the old password, the new user's on the new one.
        """
}

/// A rotator that can tell who is connected as the users of a secret it rotated.
public protocol ConnectionImpactReporting: Sendable {
    /// The users of the secret's AWSCURRENT and AWSPREVIOUS versions, and a snapshot of their sessions, taken on a
    /// connection of its own that is closed before this returns.
    func connectionSnapshot(of secretARN: String, context: RequestContext) async throws -> (current: String, previous: String?, snapshot: SessionSnapshot)
    var strategyName: String { get }
}

/// Watches the connections of each rotation the engine completes: a snapshot at once, another after `grace`, then
/// (alternating users) every `poll` until the previous user's sessions are gone or `watch` has passed; the report is
/// saved after each. Runs beside the engine; a report not finished when the process stops keeps what it had.
public struct ConnectionImpactWatcher: Sendable {
    let manager: SecretsManager
    let grace: Duration
    let poll: Duration
    let watch: Duration
    let logger: Logger

    public init(manager: SecretsManager, grace: Duration = .seconds(60), poll: Duration = .seconds(10), watch: Duration = .seconds(600), logger: Logger) {
        self.manager = manager
        self.grace = grace
        self.poll = poll
        self.watch = watch
        self.logger = logger
    }

    func rotationCompleted(_ claimed: ClaimedRotation, by rotator: any Rotator) {
        guard let reporting = rotator as? any ConnectionImpactReporting else { return }
        Task { await self.follow(claimed, reporting) }
    }

    private func follow(_ claimed: ClaimedRotation, _ rotator: any ConnectionImpactReporting) async {
        let finished = Date()
        var report = ConnectionReport(
            SecretARN: claimed.secretARN,
            VersionId: claimed.record.token,
            Strategy: rotator.strategyName,
            FinishedDate: finished,
            CurrentUser: "",
            Note: ConnectionReport.note
        )
        let clock = ContinuousClock()
        let started = clock.now
        do {
            let first = try await rotator.connectionSnapshot(of: claimed.secretARN, context: claimed.context)
            report.CurrentUser = first.current
            report.PreviousUser = first.previous
            report.AtLabelMove = first.snapshot
            await self.save(report)
            try await Task.sleep(for: self.grace)
            var latest = try await rotator.connectionSnapshot(of: claimed.secretARN, context: claimed.context).snapshot
            report.AfterGracePeriod = latest
            Self.note(latest, in: &report)
            await self.save(report)
            guard let previous = report.PreviousUser, previous != report.CurrentUser else { return }
            while (latest.users[previous]?.count ?? 0) > 0, clock.now - started < self.watch {
                try await Task.sleep(for: self.poll)
                latest = try await rotator.connectionSnapshot(of: claimed.secretARN, context: claimed.context).snapshot
                Self.note(latest, in: &report)
            }
            // The last look: drained (noted by `note`), or still connected when the watch ended.
            await self.save(report)
        } catch is CancellationError {
        } catch {
            report.Error = "the sessions could not be read: \(Self.describe(error))"
            await self.save(report)
        }
    }

    /// What a later snapshot adds: the previous user's sessions gone, the new user's oldest session.
    private static func note(_ snapshot: SessionSnapshot, in report: inout ConnectionReport) {
        guard let previous = report.PreviousUser, previous != report.CurrentUser else { return }
        if (snapshot.users[previous]?.count ?? 0) == 0, report.PreviousUserDrainedDate == nil {
            report.PreviousUserDrainedDate = snapshot.time
        }
        if let oldest = snapshot.users[report.CurrentUser]?.oldestStart, oldest >= report.FinishedDate.addingTimeInterval(-1) {
            report.FirstNewUserSessionDate = min(report.FirstNewUserSessionDate ?? oldest, oldest)
        }
    }

    private func save(_ report: ConnectionReport) async {
        do {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .secondsSince1970
            encoder.outputFormatting = .sortedKeys
            try await self.manager.saveRotationReport(
                try encoder.encode(report),
                secretARN: report.SecretARN,
                token: report.VersionId,
                finished: report.FinishedDate
            )
        } catch {
            self.logger.warning("the connection report could not be saved", metadata: ["secret": "\(report.SecretARN)"])
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case let error as DatabaseError: error.message
        case let error as RotatorError: error.message
        case let error as SecretsManagerError: "\(error.code.rawValue): \(error.message)"
        default: "an unexpected error"
        }
    }
}

extension DatabaseRotator: ConnectionImpactReporting {
    public var strategyName: String { self.strategy.rawValue }

    /// Logs in as the rotated user (single user), or with the master secret (alternating users, so that both users'
    /// sessions are visible), and reads the sessions of AWSCURRENT's and AWSPREVIOUS's users.
    public func connectionSnapshot(of secretARN: String, context: RequestContext) async throws -> (current: String, previous: String?, snapshot: SessionSnapshot) {
        func read(_ stage: String) async throws -> DatabaseSecret? {
            do {
                let value = try await self.manager.getSecretValue(
                    GetSecretValueRequest(SecretId: secretARN, VersionStage: stage),
                    context: context,
                    recordingAccess: false
                )
                return try value.SecretString.map { try DatabaseSecret(json: $0.value) }
            } catch let error as SecretsManagerError where error.code == .resourceNotFound {
                return nil
            }
        }
        guard let current = try await read(StagingLabel.current), let user = current.username else {
            throw RotatorError(.validation, "AWSCURRENT has no username")
        }
        let previousUser = try await read(StagingLabel.previous)?.username
        var login = current
        if self.strategy == .alternatingUsers, let masterARN = current.masterARN {
            let master = try await self.manager.getSecretValue(
                GetSecretValueRequest(SecretId: masterARN, VersionStage: StagingLabel.current),
                context: context,
                recordingAccess: false
            )
            guard let text = master.SecretString?.value else { throw RotatorError(.validation, "The master secret has no SecretString.") }
            login = try DatabaseSecret(json: text).setting("dbname", to: current.database)
        }
        let session = try await self.driver.connect(try login.credentials(for: self.driver), timeouts: self.timeouts)
        let users = [user] + (previousUser.map { $0 == user ? [] : [$0] } ?? [])
        do {
            let snapshot = try await session.sessions(of: users)
            await session.close()
            return (user, previousUser, snapshot)
        } catch {
            await session.close()
            throw error
        }
    }
}
