import Dispatch

/// A serial executor over a private dispatch queue: the actor that uses it runs every job on that queue's thread,
/// never on the Swift concurrency pool. Each database connection is such an actor.
///
/// libpq's and libmariadb's calls block (connect, authenticate, wait for a statement), and the cooperative pool has
/// one thread per core; a blocked pool thread stalls every request of the server. The queue also serialises the
/// calls, which is both libraries' rule for a connection: never used by two threads at once (STYLE.md §2.4 items 7
/// and 9).
public final class DispatchQueueExecutor: SerialExecutor {
    private let queue: DispatchQueue

    public init(label: String) {
        self.queue = DispatchQueue(label: label)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = self.asUnownedSerialExecutor()
        self.queue.async { job.runSynchronously(on: executor) }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func checkIsolated() {
        dispatchPrecondition(condition: .onQueue(self.queue))
    }
}
