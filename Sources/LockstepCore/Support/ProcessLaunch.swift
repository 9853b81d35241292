public import Foundation
import CSpawn

#if canImport(Glibc)
import Glibc
#endif

/// Starts programs with `posix_spawn`, not Foundation's `Process`: on Linux, swift-corelibs-foundation's
/// `Process.run()` reads 256 bytes of each `/proc/self/fd` entry whatever its length, and crashes when one sits at
/// the end of a mapped page (swiftlang/swift-corelibs-foundation#5472; seen here about once in six test runs, and
/// more often the more descriptors a process has open, as a server does). The child gets exactly the environment
/// given, descriptors 0-2 as asked and no other (closefrom), and its own process group.
public enum ProcessLaunch {
    public struct Outcome: Sendable {
        public var pid: Int32
        /// The exit status, or 128 + the signal that ended it.
        public var status: Int32
        public var output: Data
        public var errorOutput: Data
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// A started child whose standard output the caller reads.
    public struct Child: Sendable {
        public let pid: Int32
        public let output: FileHandle

        /// SIGTERM, then waits for it.
        public func terminate() {
            kill(self.pid, SIGTERM)
            _ = ProcessLaunch.wait(self.pid)
            try? self.output.close()
        }
    }

    /// Runs `executable` to its end with `input` on its standard input, collecting its output and error output (each
    /// up to `limit` bytes); killed (SIGKILL) after `timeout`. Blocks the calling thread: never call it on an event
    /// loop or the concurrency pool's threads for long.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String],
        input: Data = Data(),
        timeout: Duration? = nil,
        limit: Int = 16 << 20
    ) throws -> Outcome {
        var stdin: [Int32] = [-1, -1]
        var stdout: [Int32] = [-1, -1]
        var stderr: [Int32] = [-1, -1]
        guard pipe2(&stdin, O_CLOEXEC) == 0, pipe2(&stdout, O_CLOEXEC) == 0, pipe2(&stderr, O_CLOEXEC) == 0 else {
            throw Failure(description: "pipe: \(String(cString: strerror(errno)))")
        }
        let pid: pid_t
        do {
            pid = try Self.spawn(executable, arguments, environment, stdin: stdin[0], stdout: stdout[1], stderr: stderr[1])
        } catch {
            for fd in stdin + stdout + stderr { close(fd) }
            throw error
        }
        close(stdin[0])
        close(stdout[1])
        close(stderr[1])
        // Small inputs only (a notification, a statement): written whole before reading.
        input.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(stdin[1], buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { break }
                offset += n
            }
        }
        close(stdin[1])
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var output = Data()
        var errorOutput = Data()
        var open: [Int32] = [stdout[0], stderr[0]]
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !open.isEmpty {
            var descriptors = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            var wait: Int32 = -1
            if let deadline {
                let left = deadline - ContinuousClock.now
                guard left > .zero else {
                    kill(pid, SIGKILL)
                    break
                }
                wait = Int32(min(left.components.seconds * 1_000 + left.components.attoseconds / 1_000_000_000_000_000 + 1, 60_000))
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), wait)
            if ready < 0, errno == EINTR { continue }
            guard ready >= 0 else { break }
            for descriptor in descriptors where descriptor.revents != 0 {
                let n = read(descriptor.fd, &buffer, buffer.count)
                if n < 0, errno == EINTR { continue }
                if n <= 0 {
                    open.removeAll { $0 == descriptor.fd }
                    continue
                }
                if descriptor.fd == stdout[0] {
                    if output.count < limit { output.append(contentsOf: buffer[0..<min(n, limit - output.count)]) }
                } else if errorOutput.count < limit {
                    errorOutput.append(contentsOf: buffer[0..<min(n, limit - errorOutput.count)])
                }
            }
        }
        close(stdout[0])
        close(stderr[0])
        return Outcome(pid: pid, status: Self.wait(pid), output: output, errorOutput: errorOutput)
    }

    /// Starts `executable` and returns at once; the caller reads its standard output and terminates it. Its error
    /// output goes to /dev/null.
    public static func start(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> Child {
        var stdout: [Int32] = [-1, -1]
        guard pipe2(&stdout, O_CLOEXEC) == 0 else { throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        let pid: pid_t
        do {
            pid = try Self.spawn(executable, arguments, environment, stdin: null, stdout: stdout[1], stderr: null)
        } catch {
            close(stdout[0])
            close(stdout[1])
            throw error
        }
        close(stdout[1])
        return Child(pid: pid, output: FileHandle(fileDescriptor: stdout[0], closeOnDealloc: false))
    }

    /// Waits for `pid` to end; its exit status, or 128 + the signal that ended it.
    public static func wait(_ pid: Int32) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return -1 }
        }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Spawns `executable` with `argv` (its first element the name the program sees) and exactly `environment`,
    /// descriptors 0-2 from `stdin`, `stdout`, `stderr` and no other, in its own process group with every signal at
    /// its default, in `workingDirectory` when given. Process rotators' children start here too.
    package static func spawn(
        _ executable: String,
        argv: [String],
        environment: [String: String],
        stdin: Int32,
        stdout: Int32,
        stderr: Int32,
        workingDirectory: String? = nil
    ) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        if let workingDirectory { posix_spawn_file_actions_addchdir_np(&actions, workingDirectory) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let arguments = argv.map { strdup($0) }
        let variables = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") }
        defer {
            arguments.forEach { free($0) }
            variables.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, arguments + [nil], variables + [nil])
        guard status == 0 else {
            throw Failure(description: "\(argv.first ?? executable) could not be started: \(String(cString: strerror(status)))")
        }
        return pid
    }

    private static func spawn(
        _ executable: String,
        _ arguments: [String],
        _ environment: [String: String],
        stdin: Int32,
        stdout: Int32,
        stderr: Int32
    ) throws -> Int32 {
        try Self.spawn(executable, argv: [executable] + arguments, environment: environment, stdin: stdin, stdout: stdout, stderr: stderr)
    }
}
