public import CoreMetrics
public import Foundation
public import LockstepCore
public import LockstepService
import LockstepStore
public import Logging

/// What the engine reports as a rotation moves (the CLI prints it; tests watch it).
public enum RotationProgress: Sendable, Hashable {
    case stepStarted(RotationStep, attempt: Int)
    case stepSucceeded(RotationStep)
    case stepFailed(RotationFailure)
    case retrying(RotationStep, after: Double)
    case finished(RotationOutcome)
}

/// How a run of the engine over one rotation ended.
public enum RotationOutcome: Sendable, Hashable {
    case succeeded
    /// Retries ran out or the failure can't be retried.
    case failed(RotationFailure)
    /// A step failed and will be retried at this date (by whichever runner takes it then).
    case waiting(until: Date)
    /// Shutdown came between two steps: the lease was released for the next runner.
    case paused
    /// Another runner holds the rotation now, or it was cancelled or abandoned.
    case lost
}

/// Drives rotations through their steps: the persisted ``RotationRecord`` is the state machine and decides, the
/// service applies each transition (before a step runs and after it ends) in one transaction, a ``Rotator`` does
/// the work (DESIGN.md §6).
public struct RotationEngine: Sendable {
    public let manager: SecretsManager
    public let registry: RotatorRegistry
    public let policy: RotationRetryPolicy
    /// This runner's lease identity (one per process).
    public let owner: String
    /// How long a claim lasts without renewal; renewed at every step. Must exceed the longest step.
    public let lease: TimeInterval
    let logger: Logger
    let metrics: RotationMetrics
    /// Watches the connections of each completed rotation (`serve`; nil in `rotate`, which ends with the rotation).
    public var impact: ConnectionImpactWatcher?

    /// - Parameter metrics: where the engine's series go (``RotationMetrics``); nil: the process's metrics system,
    ///   whenever it is bootstrapped.
    public init(
        manager: SecretsManager,
        registry: RotatorRegistry,
        policy: RotationRetryPolicy = RotationRetryPolicy(),
        owner: String = RotationEngine.makeOwner(),
        lease: TimeInterval = 120,
        logger: Logger = Logger(label: "lockstep.rotation"),
        metrics: (any MetricsFactory)? = nil
    ) {
        self.manager = manager
        self.registry = registry
        self.policy = policy
        self.owner = owner
        self.lease = lease
        self.logger = logger
        self.metrics = RotationMetrics(explicitFactory: metrics, rotators: Set(registry.names))
    }

    /// The `rotator` label the engine's metrics give a RotationLambdaARN (``RotationMetrics``).
    public func rotatorLabel(_ reference: String) -> String { self.metrics.rotator(reference) }

    /// `host:pid:random:pidns`, unique per process (``LeaseOwner``).
    public static func makeOwner() -> String { LeaseOwner.makeForThisProcess() }

    /// Frees at once the leases of runners that died on this machine (a killed `serve`), so that their rotations
    /// resume now rather than when the lease expires. See ``LeaseOwner`` for why this never frees a live lease.
    @discardableResult
    public func reclaimLeasesOfDeadRunners() async throws -> Int {
        try await self.manager.releaseLeases { owner in LeaseOwner(owner)?.isDeadLocalProcess ?? false }
    }

    /// Runs `claimed` until it finishes or must wait.
    ///
    /// - Parameters:
    ///   - retryInline: wait out retry delays here (`lockstep rotate`) instead of handing the rotation back to
    ///     the scheduler.
    ///   - shouldStop: checked between steps; when true the lease is released and the run pauses (shutdown lets the
    ///     current step finish, never starts the next).
    ///   - progress: called as the rotation moves.
    public func run(
        _ claimed: ClaimedRotation,
        retryInline: Bool = false,
        shouldStop: @escaping @Sendable () -> Bool = { false },
        progress: @escaping @Sendable (RotationProgress) -> Void = { _ in }
    ) async -> RotationOutcome {
        let outcome = await self.drive(claimed, retryInline: retryInline, shouldStop: shouldStop, progress: progress)
        self.metrics.finished(outcome, rotator: claimed.record.rotator)
        progress(.finished(outcome))
        return outcome
    }

    private func drive(
        _ claimed: ClaimedRotation,
        retryInline: Bool,
        shouldStop: @Sendable () -> Bool,
        progress: @Sendable (RotationProgress) -> Void
    ) async -> RotationOutcome {
        var claimed = claimed
        // Whether the current step's start was recorded together with the previous step's success.
        var started = false
        do {
            while true {
                let step = claimed.record.step
                if !started {
                    if shouldStop() {
                        try await self.manager.releaseRotation(claimed, owner: self.owner)
                        return .paused
                    }
                    try Self.fault(.stepStart(step, after: false))
                    claimed = try await self.manager.recordStepStart(step, of: claimed, owner: self.owner, lease: self.lease)
                    try Self.fault(.stepStart(step, after: true))
                }
                progress(.stepStarted(step, attempt: claimed.record.attempt))
                let began = DispatchTime.now().uptimeNanoseconds
                let failure: RotationFailure?
                do {
                    try await self.invoke(step, of: claimed)
                    failure = nil
                } catch {
                    failure = RotationFailure(step: step, errorClass: error.errorClass, message: error.message)
                }
                self.metrics.step(
                    step, rotator: claimed.record.rotator, failed: failure != nil,
                    nanoseconds: DispatchTime.now().uptimeNanoseconds - began
                )
                if let failure {
                    progress(.stepFailed(failure))
                    self.logger.warning(
                        "rotation step failed",
                        metadata: ["secret": "\(claimed.secretARN)", "step": "\(step.rawValue)", "class": "\(failure.errorClass.rawValue)"]
                    )
                    let (record, effect) = try await self.manager.recordStepFailure(
                        failure, policy: self.policy, jitter: Double.random(in: 0..<1), of: claimed, owner: self.owner
                    )
                    guard case .retry(let delay) = effect else { return .failed(failure) }
                    progress(.retrying(step, after: delay))
                    guard retryInline else { return .waiting(until: record.dueDate ?? self.manager.now()) }
                    try await Task.sleep(for: .milliseconds(Int64(delay * 1_000)))
                    guard
                        let reclaimed = try await self.manager.claimRotation(
                            of: claimed.secretARN,
                            owner: self.owner,
                            lease: self.lease,
                            context: claimed.context
                        ), reclaimed.record.token == claimed.record.token
                    else { return .lost }
                    claimed = reclaimed
                    started = false
                    continue
                }
                progress(.stepSucceeded(step))
                // One commit records this step's success and the next one's start, unless shutdown is under way:
                // then the next step is left unstarted for whoever takes the rotation.
                let next = claimed.record.step(after: step)
                let stopping = shouldStop()
                let full = claimed.record.mode == .full
                if full { try Self.fault(.stepSuccess(step, after: false)) }
                if let next, !stopping { try Self.fault(.stepStart(next, after: false)) }
                let (recorded, effect) = try await self.manager.recordStepSuccess(
                    step,
                    of: claimed,
                    owner: self.owner,
                    startingNextWithLease: stopping ? nil : self.lease
                )
                claimed = recorded
                if full { try Self.fault(.stepSuccess(step, after: true)) }
                if let next, !stopping { try Self.fault(.stepStart(next, after: true)) }
                switch effect {
                case .complete:
                    if let impact = self.impact, let rotator = self.registry.rotator(for: claimed.record.rotator) {
                        impact.rotationCompleted(claimed, by: rotator)
                    }
                    return .succeeded
                case .removeTestVersion:
                    return .succeeded
                case .recordOnly, .retry, .fail, .abandon, .cancel:
                    started = !stopping
                }
            }
        } catch is RotationLeaseLost {
            return .lost
        } catch {
            // A store failure: nothing more can be recorded now. The lease expires and a runner takes it again.
            self.logger.error("rotation interrupted", metadata: ["secret": "\(claimed.secretARN)", "error": "\(error)"])
            return .lost
        }
    }

    /// A fault point around one of the engine's store writes: `fail` throws as a failed store call would.
    private static func fault(_ point: FaultPoint) throws {
        if FaultInjection.reach(point) { throw InjectedStoreFailure(point) }
    }

    private func invoke(_ step: RotationStep, of claimed: ClaimedRotation) async throws(RotatorError) {
        guard let rotator = self.registry.rotator(for: claimed.record.rotator) else {
            throw RotatorError(.validation, "No rotator named \(claimed.record.rotator) is installed.")
        }
        try await rotator.invoke(RotationInvocation(step: step, rotation: claimed))
    }

    /// Starts the scheduled rotations that are due and runs every due rotation once (retries are left to a later
    /// pass). The scheduler's unit of work; also what tests call to drive time by hand.
    @discardableResult
    public func runDueRotations(limit: Int = 16, shouldStop: @escaping @Sendable () -> Bool = { false }) async throws -> [RotationOutcome] {
        try await self.manager.startScheduledRotations()
        let claims = try await self.manager.claimDueRotations(owner: self.owner, lease: self.lease, limit: limit)
        var outcomes: [RotationOutcome] = []
        for claim in claims { outcomes.append(await self.run(claim, shouldStop: shouldStop)) }
        return outcomes
    }
}
