public import Foundation
import Synchronization

/// Starts a Foundation `Process` while no other thread of this process starts one. swift-corelibs-foundation's
/// `Process.run()` is not safe to call from two threads at once: the test suite crashed inside it (a `memcpy` of its
/// arguments) while other tests started processes. Every `Process` Lockstep starts goes through here.
public enum ProcessLaunch {
    private static let lock = Mutex(())

    public static func run(_ process: Process) throws {
        try self.lock.withLock { _ in try process.run() }
    }
}
