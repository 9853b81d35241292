import Foundation
import LockstepCore
import LockstepRotation
import LockstepService
import Synchronization

/// A clock tests move by hand; the scheduler sleeps on it and the service reads dates from it.
final class ManualClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: self.offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - self.offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private struct Sleeper {
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [UUID: Sleeper] = [:]
    }

    private let state = Mutex(State())
    let start: Date

    init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { self.start = start }

    var now: Instant { self.state.withLock { $0.now } }
    var minimumResolution: Duration { .zero }

    /// The wall-clock date of `now`.
    var date: Date {
        let (seconds, attoseconds) = self.now.offset.components
        return self.start.addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// How many tasks are sleeping on this clock.
    var sleeping: Int { self.state.withLock { $0.sleepers.count } }

    /// The wall-clock dates the sleeping tasks wait for, earliest first.
    var deadlines: [Date] {
        self.state.withLock { $0.sleepers.values.map(\.deadline.offset) }.sorted().map { offset in
            let (seconds, attoseconds) = offset.components
            return self.start.addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
        }
    }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // A task cancelled before it got here has already run its cancellation handler: don't wait.
                let cancelled = Task.isCancelled
                let resumeNow = self.state.withLock { state -> Bool in
                    if cancelled || deadline <= state.now { return true }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return false
                }
                if resumeNow { cancelled ? continuation.resume(throwing: CancellationError()) : continuation.resume() }
            }
        } onCancel: {
            self.state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    func advance(by duration: Duration) {
        let due = self.state.withLock { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let due = state.sleepers.filter { $0.value.deadline <= state.now }
            for key in due.keys { state.sleepers.removeValue(forKey: key) }
            return Array(due.values)
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}

/// A data directory with a service whose clock is a ``ManualClock``.
final class RotationHarness: Sendable {
    let directory: URL
    let environment: LockstepEnvironment
    let clock = ManualClock()
    let context = RequestContext(account: "123456789012", region: "us-east-1")
    let events = RecordedEvents()

    init() throws {
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-rotation-\(UUID().uuidString)")
        var environment = ProcessInfo.processInfo.environment
        environment["LOCKSTEP_ROOT_KEY"] = nil
        self.environment = try LockstepEnvironment.open(
            .init(dataDirectory: self.directory, region: "us-east-1", account: "123456789012", environment: environment),
            create: true
        )
    }

    deinit { try? FileManager.default.removeItem(at: self.directory) }

    /// The service with rotation hooks that accept `registry`'s rotators and report to ``events``.
    func manager(accepting names: Set<String>, wakeup: RotationWakeup? = nil) -> SecretsManager {
        let clock = self.clock
        let base = SecretsManager(store: self.environment.store, keyProvider: self.environment.keyring) { clock.date }
        return base.with(
            rotation: RotationHooks(
                canInvoke: { RotatorRegistry.functionName($0).map(names.contains) ?? false },
                rotationQueued: { wakeup?.signal() },
                events: self.events
            )
        )
    }

    func describe(_ manager: SecretsManager, _ id: String) async throws -> DescribeSecretResponse {
        try await manager.describeSecret(DescribeSecretRequest(SecretId: id), context: self.context)
    }

    func stages(_ manager: SecretsManager, _ id: String) async throws -> [String: [String]] {
        try await self.describe(manager, id).VersionIdsToStages ?? [:]
    }

    func status(_ manager: SecretsManager, _ id: String) async throws -> RotationStatusEntry? {
        try await manager.rotationStatus(secretId: id, context: self.context).first
    }
}

final class RecordedEvents: LifecycleEventSink {
    private let events = Mutex<[LifecycleEvent]>([])
    func record(_ event: LifecycleEvent) { self.events.withLock { $0.append(event) } }
    var all: [LifecycleEvent] { self.events.withLock { $0 } }
    var names: [String] { self.all.map(\.name) }
}

/// Waits (real time, bounded) until `condition` holds.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return false
}
