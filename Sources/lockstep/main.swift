import LockstepCLI
import LockstepMariaDB
import NIOCore
import NIOPosix

// Swift concurrency's global executor runs on NIO's event loops instead of a second pool of threads, so a request
// is read, handled and answered on one thread with no hand-over (on 2 cores the hand-over cost more than the work).
// Nothing blocking runs on the global executor: SQLite writes and waiting reads have their own dispatch queues.
// This must happen before the first task is enqueued, hence here, at the top of main.
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

// mysql_library_init is not thread-safe: once, here, before any thread or service starts (STYLE.md §2.4).
MariaDBDriver.initializeLibrary()

await LockstepCommand.run()
