import Synchronization

/// Wakes the change feed's long polls: the service notes each change it appends inside a transaction and publishes
/// once the transaction has returned (so a woken poll finds the change committed); another node's changes arrive
/// through the store's notifications (``wake()``).
public final class ChangeSignal: Sendable {
    private struct State {
        var appended: UInt64 = 0
        var published: UInt64 = 0
        var nextWaiter: UInt64 = 0
        /// Counts the rings (publications and wakes): a waiter that read the feed at one count and finds another
        /// doesn't wait, so a ring between its read and its wait is never lost.
        var rings: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// A change was appended by a transaction that hasn't committed yet.
    func noteAppended() {
        self.state.withLock { $0.appended &+= 1 }
    }

    /// Wakes the waiters if a change was appended since the last publication (called after each write returns; a
    /// write that rolled back only causes a needless look).
    func publish() {
        let woken = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard state.appended != state.published else { return [] }
            state.published = state.appended
            state.rings &+= 1
            return Self.takeWaiters(&state)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Wakes every waiter (a change was committed elsewhere, or may have been).
    public func wake() {
        let woken = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.rings &+= 1
            return Self.takeWaiters(&state)
        }
        for waiter in woken { waiter.resume() }
    }

    /// The ring count now: read it before reading the feed, and wait with it.
    var rings: UInt64 { self.state.withLock { $0.rings } }

    /// Returns when rung after `rings` (at once if that happened already), after `timeout`, or when the task is
    /// cancelled, whichever comes first.
    func wait(upTo timeout: Duration, after rings: UInt64) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForWake(after: rings) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForWake(after rings: UInt64) async {
        let id = self.state.withLock { state -> UInt64 in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let cancelled = self.state.withLock { state -> Bool in
                    if Task.isCancelled || state.rings != rings { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if cancelled { continuation.resume() }
            }
        } onCancel: {
            self.state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    private static func takeWaiters(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        let waiters = Array(state.waiters.values)
        state.waiters.removeAll()
        return waiters
    }
}
