import Foundation
import LockstepService
public import Logging
public import ServiceLifecycle
import Synchronization

/// A wake-up call for the scheduler: RotateSecret queued a rotation, a rotation ended, or shutdown began.
/// Signals are not counted: many signals before a wait wake it once.
public final class RotationWakeup: Sendable {
    private struct State {
        var signalled = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    public func signal() {
        let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.signalled = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at the next signal, or at once if one came since the last wait.
    func wait() async {
        await withCheckedContinuation { continuation in
            let now = self.state.withLock { state -> Bool in
                if state.signalled {
                    state.signalled = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }
}

/// The scheduler inside `lockstep serve` (DESIGN.md §6): sleeps until the earliest due time the store's indexes
/// give (a scheduled rotation, a retry, an expiring lease), starts what is due, and runs up to
/// `maximumConcurrent` rotations at once under leases, so several processes on one store never run the same
/// rotation.
///
/// Generic over its clock so tests drive time. Graceful shutdown cancels the idle wait at once; rotations in
/// flight finish their current step, then hand the rotation back (released lease, due now).
public struct RotationScheduler<C: Clock>: Service where C.Duration == Duration {
    public let engine: RotationEngine
    let clock: C
    let wakeup: RotationWakeup
    let maximumConcurrent: Int
    /// The longest idle wait: other processes sharing the store can't signal this one, so look again at least
    /// this often (one indexed query, not a scan).
    let maximumIdle: Duration
    let logger: Logger

    public init(
        engine: RotationEngine,
        clock: C,
        wakeup: RotationWakeup,
        maximumConcurrent: Int = 4,
        maximumIdle: Duration = .seconds(30),
        logger: Logger = Logger(label: "lockstep.scheduler")
    ) {
        self.engine = engine
        self.clock = clock
        self.wakeup = wakeup
        self.maximumConcurrent = max(1, maximumConcurrent)
        self.maximumIdle = maximumIdle
        self.logger = logger
    }

    /// What the scheduler's tasks share.
    private final class Shared: Sendable {
        let stopping = Atomic(false)
        let running = Mutex(0)
    }

    public func run() async throws {
        let shared = Shared()
        do {
            let freed = try await self.engine.reclaimLeasesOfDeadRunners()
            if freed > 0 { self.logger.notice("resuming rotations of a runner that died", metadata: ["rotations": "\(freed)"]) }
        } catch {
            self.logger.error("could not reclaim the leases of dead runners", metadata: ["error": "\(error)"])
        }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                while !shared.stopping.load(ordering: .relaxed), !Task.isCancelled {
                    var delay = self.maximumIdle
                    do {
                        // One indexed read decides whether anything is due; only then are write transactions taken
                        // (to start scheduled rotations and claim due ones), so an idle pass never locks the store.
                        var earliest = try await self.engine.manager.earliestRotationDue()
                        if let due = earliest, due <= self.engine.manager.now() {
                            try await self.engine.manager.startScheduledRotations()
                            let free = self.maximumConcurrent - shared.running.withLock { $0 }
                            if free > 0 {
                                let claims = try await self.engine.manager.claimDueRotations(
                                    owner: self.engine.owner,
                                    lease: self.engine.lease,
                                    limit: free
                                )
                                for claim in claims {
                                    shared.running.withLock { $0 += 1 }
                                    group.addTask {
                                        _ = await self.engine.run(claim, shouldStop: { shared.stopping.load(ordering: .relaxed) })
                                        shared.running.withLock { $0 -= 1 }
                                        self.wakeup.signal()
                                    }
                                }
                            }
                            earliest = try await self.engine.manager.earliestRotationDue()
                        }
                        if let due = earliest {
                            let seconds = max(0, due.timeIntervalSince(self.engine.manager.now()))
                            delay = min(delay, .milliseconds(Int64((seconds * 1_000).rounded(.up))))
                        }
                        // At capacity, what is due waits for a running rotation to end (which signals).
                        if shared.running.withLock({ $0 }) >= self.maximumConcurrent { delay = self.maximumIdle }
                    } catch {
                        self.logger.error("scheduler pass failed", metadata: ["error": "\(error)"])
                        delay = .seconds(5)
                    }
                    if shared.stopping.load(ordering: .relaxed) { break }
                    await self.pause(for: delay)
                }
            }
        } onGracefulShutdown: {
            shared.stopping.store(true, ordering: .relaxed)
            self.wakeup.signal()
        }
    }

    /// Waits `delay` on the clock, or less if woken.
    private func pause(for delay: Duration) async {
        guard delay > .zero else { return }
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    try? await self.clock.sleep(for: delay)
                    if !Task.isCancelled { self.wakeup.signal() }
                }
                await self.wakeup.wait()
                group.cancelAll()
            }
        } onCancel: {
            self.wakeup.signal()
        }
    }
}
