import Dispatch

/// A serial executor over a private dispatch queue: an actor using it runs every job on that queue's thread,
/// never on the Swift concurrency pool. libmariadb calls block their thread (connect, queries), and a `MYSQL`
/// handle must not be used by two threads at once; one queue per connection gives both.
final class DispatchQueueExecutor: SerialExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        self.queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.queue.async {
            job.runSynchronously(on: self.asUnownedSerialExecutor())
        }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}
