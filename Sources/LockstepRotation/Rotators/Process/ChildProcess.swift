import CSpawn
import Foundation
import LockstepCore
import Glibc
import Synchronization

/// Runs one command to completion, with a deadline, in its own process group, off the Swift concurrency pool.
///
/// posix_spawn rather than Foundation's `Process`: the child must get exactly the environment, working directory,
/// signal dispositions and descriptors we choose (Lockstep ignores SIGPIPE and installs SIGTERM/SIGINT handling,
/// which a child would otherwise inherit as "ignored"), and must lead its own process group so that a timeout
/// kills everything it started. Spawning, reading its output and waiting all run on a dedicated thread; the
/// caller's task only awaits a continuation.
enum ChildProcess {
    struct Configuration: Sendable {
        /// The executable: a path, or a name looked up in the child's own PATH.
        var command: [String]
        var environment: [String: String]
        var workingDirectory: String
        /// Written to the child's stdin before it starts; at most one pipe buffer (64 KiB).
        var standardInput: [UInt8]
        var timeout: Duration
        /// How many trailing bytes of stderr to keep.
        var standardErrorLimit: Int
    }

    enum Termination: Sendable, Hashable {
        case exited(Int32)
        case signalled(Int32)
        /// The deadline passed: the process group was killed.
        case timedOut
        /// The caller's task was cancelled: the process group was killed.
        case cancelled
        /// The child was reaped by someone else (SIGCHLD ignored process-wide): its status is unknown.
        case unknown
    }

    struct Outcome: Sendable {
        var termination: Termination
        /// The last `standardErrorLimit` bytes the child wrote to stderr.
        var standardErrorTail: [UInt8]
        /// Stdout is drained so the child never blocks on it, and only counted.
        var standardOutputByteCount: Int
    }

    /// The command could not be started (not found, not executable, no resources).
    struct SpawnError: Error, Sendable, Hashable {
        var message: String
    }

    /// Pipe buffers on Linux hold 64 KiB: stdin is written in full before the child starts, so it must fit.
    static let maximumStandardInput = 65_536

    static func run(_ configuration: Configuration) async throws(SpawnError) -> Outcome {
        let cancelled = CancellationFlag()
        let result: Result<Outcome, SpawnError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    continuation.resume(returning: Result { () throws(SpawnError) in try Self.runBlocking(configuration, cancelled: cancelled) })
                }
                thread.name = "lockstep-rotator-process"
                thread.start()
            }
        } onCancel: {
            cancelled.set()
        }
        return try result.get()
    }

    // MARK: On the dedicated thread

    private static func runBlocking(_ configuration: Configuration, cancelled: CancellationFlag) throws(SpawnError) -> Outcome {
        guard configuration.standardInput.count <= Self.maximumStandardInput else {
            throw SpawnError(message: "the event is larger than \(Self.maximumStandardInput) bytes")
        }
        guard let executable = Self.resolve(configuration.command[0], path: configuration.environment["PATH"]) else {
            throw SpawnError(message: "\(configuration.command[0]) was not found or is not executable")
        }
        let input = try ChildPipe()
        let output = try ChildPipe()
        let error = try ChildPipe()
        defer {
            input.closeBoth()
            output.closeBoth()
            error.closeBoth()
        }
        // The event waits in the pipe: the child reads it whenever it likes, and we never block on (or get
        // SIGPIPE from) a child that doesn't read it.
        try input.fill(configuration.standardInput)
        input.closeWrite()
        let pid = try Self.spawn(executable, configuration, stdin: input.readEnd, stdout: output.writeEnd, stderr: error.writeEnd)
        input.closeRead()
        output.closeWrite()
        error.closeWrite()
        var io = OutputCollector(stdout: output, stderr: error, limit: configuration.standardErrorLimit)
        let termination = Self.supervise(pid, io: &io, timeout: configuration.timeout, cancelled: cancelled)
        return Outcome(termination: termination, standardErrorTail: io.tail, standardOutputByteCount: io.standardOutputByteCount)
    }

    /// Drains the child's output until it exits (or the deadline passes), kills whatever is left of its process
    /// group, and reaps it.
    ///
    /// The group is killed while the leader is still unreaped (a zombie at worst), so its pid, which is the group's
    /// id, can't have been reused by an unrelated process.
    private static func supervise(_ pid: pid_t, io: inout OutputCollector, timeout: Duration, cancelled: CancellationFlag) -> Termination {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var stoppedBy: Termination?
        var drainUntil: ContinuousClock.Instant?
        while true {
            let now = clock.now
            if stoppedBy == nil, cancelled.isSet || now >= deadline {
                stoppedBy = cancelled.isSet ? .cancelled : .timedOut
                kill(-pid, SIGKILL)
            }
            if drainUntil == nil, Self.hasExited(pid) {
                // Whatever the leader left running in its group ends with it.
                kill(-pid, SIGKILL)
                drainUntil = now.advanced(by: .milliseconds(500))
            }
            if let drainUntil, io.isFinished || now >= drainUntil { break }
            // Output wakes us at once; otherwise look at the clock and the child again soon.
            io.poll(timeoutMilliseconds: io.isFinished ? 1 : 50)
        }
        var status: Int32 = 0
        var reaped = waitpid(pid, &status, 0)
        while reaped == -1, errno == EINTR { reaped = waitpid(pid, &status, 0) }
        if let stoppedBy { return stoppedBy }
        guard reaped == pid else { return .unknown }
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    /// True once the child has exited, without reaping it.
    private static func hasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return true }
        return info._sifields._sigchld.si_pid == pid
    }

    private static func spawn(
        _ executable: String,
        _ configuration: Configuration,
        stdin: Int32,
        stdout: Int32,
        stderr: Int32
    ) throws(SpawnError) -> pid_t {
        do {
            return try ProcessLaunch.spawn(
                executable,
                argv: configuration.command,
                environment: configuration.environment,
                stdin: stdin,
                stdout: stdout,
                stderr: stderr,
                workingDirectory: configuration.workingDirectory
            )
        } catch {
            throw SpawnError(message: (error as? ProcessLaunch.Failure)?.description ?? "\(configuration.command[0]) could not be started")
        }
    }

    /// `command` itself when it contains a slash, else the first executable of that name in `path`.
    static func resolve(_ command: String, path: String?) -> String? {
        if command.contains("/") { return access(command, X_OK) == 0 ? command : nil }
        for directory in (path ?? "/usr/bin:/bin").split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(command)"
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                access(candidate, X_OK) == 0
            {
                return candidate
            }
        }
        return nil
    }
}

/// Set once, from any thread: the supervising loop reads it at every turn.
private final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { self.flag.load(ordering: .acquiring) }
    func set() { self.flag.store(true, ordering: .releasing) }
}

/// A pipe whose ends are closed at most once. Used by one thread only (the supervising thread).
private final class ChildPipe {
    private(set) var readEnd: Int32
    private(set) var writeEnd: Int32

    init() throws(ChildProcess.SpawnError) {
        var fds: [Int32] = [-1, -1]
        guard pipe2(&fds, O_CLOEXEC) == 0 else {
            throw ChildProcess.SpawnError(message: "no pipe for the rotator: \(String(cString: strerror(errno)))")
        }
        (self.readEnd, self.writeEnd) = (fds[0], fds[1])
    }

    func fill(_ bytes: [UInt8]) throws(ChildProcess.SpawnError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(self.writeEnd, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else {
                throw ChildProcess.SpawnError(message: "the event could not be written: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    func closeRead() {
        if self.readEnd >= 0 { close(self.readEnd) }
        self.readEnd = -1
    }

    func closeWrite() {
        if self.writeEnd >= 0 { close(self.writeEnd) }
        self.writeEnd = -1
    }

    func closeBoth() {
        self.closeRead()
        self.closeWrite()
    }
}

/// Reads the child's stdout (counted, discarded) and stderr (tail kept) as they become readable.
private struct OutputCollector {
    let stdout: ChildPipe
    let stderr: ChildPipe
    let limit: Int
    private(set) var standardErrorTail: [UInt8] = []
    private(set) var standardOutputByteCount = 0
    private var buffer = [UInt8](repeating: 0, count: 16_384)

    init(stdout: ChildPipe, stderr: ChildPipe, limit: Int) {
        self.stdout = stdout
        self.stderr = stderr
        self.limit = limit
    }

    /// Both pipes reached end of file.
    var isFinished: Bool { self.stdout.readEnd < 0 && self.stderr.readEnd < 0 }

    /// Waits up to `timeoutMilliseconds` for output and reads what is there.
    mutating func poll(timeoutMilliseconds: Int32) {
        var fds = [self.stdout.readEnd, self.stderr.readEnd].filter { $0 >= 0 }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        guard !fds.isEmpty else {
            _ = Glibc.poll(nil, 0, timeoutMilliseconds)
            return
        }
        guard Glibc.poll(&fds, nfds_t(fds.count), timeoutMilliseconds) > 0 else { return }
        for entry in fds where entry.revents != 0 {
            let isError = entry.fd == self.stderr.readEnd
            let count = self.buffer.withUnsafeMutableBytes { Glibc.read(entry.fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR || errno == EAGAIN { continue }
            guard count > 0 else {
                isError ? self.stderr.closeRead() : self.stdout.closeRead()
                continue
            }
            if isError {
                self.standardErrorTail.append(contentsOf: self.buffer[0..<count])
                if self.standardErrorTail.count > 2 * self.limit {
                    self.standardErrorTail.removeFirst(self.standardErrorTail.count - self.limit)
                }
            } else {
                self.standardOutputByteCount += count
            }
        }
    }

    var tail: [UInt8] { Array(self.standardErrorTail.suffix(self.limit)) }
}
