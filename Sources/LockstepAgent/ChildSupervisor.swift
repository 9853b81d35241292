import Foundation
import LockstepCore
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The `--exec` command can't be run (not found, not executable).
public struct ChildCommandError: Error, CustomStringConvertible {
    public let description: String
}

/// `lockstep agent --exec -- CMD ARGS`: runs the application as the agent's child once its files are rendered, tells it
/// when a rendered file changes (a signal, SIGHUP by default, or a restart), stops it when the agent stops, and ends
/// the agent with the child's status when it exits on its own.
final class ChildSupervisor: Sendable {
    enum OnChange: Sendable, Equatable {
        case signal(Int32)
        case restart
    }

    private struct State {
        var process: Process?
        /// Counts the children started; a child's exit is "asked" when its generation is no longer current.
        var generation = 0
        var stopping = false
        var exits: [Int: Int32] = [:]
        var waiters: [Int: CheckedContinuation<Int32, Never>] = [:]
        var status: Int32?
    }

    private let state = Mutex(State())
    private let unasked: AsyncStream<Int32>
    private let unaskedContinuation: AsyncStream<Int32>.Continuation
    let executable: String
    let arguments: [String]
    let environment: [String: String]
    let onChange: OnChange
    let logger: Logger

    /// - Parameter command: the program (a path, or a name looked up in `PATH`) and its arguments.
    init(command: [String], environment: [String: String], onChange: OnChange, logger: Logger) throws {
        guard let program = command.first else { throw ChildCommandError(description: "--exec needs a command after --") }
        self.executable = try Self.locate(program, path: environment["PATH"] ?? "/usr/bin:/bin")
        self.arguments = Array(command.dropFirst())
        self.environment = environment
        self.onChange = onChange
        self.logger = logger
        (self.unasked, self.unaskedContinuation) = AsyncStream.makeStream(of: Int32.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The child's exit status once it ended on its own (the agent's own exit status then).
    var exitStatus: Int32? { self.state.withLock { $0.status } }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: self.executable)
        process.arguments = self.arguments
        process.environment = self.environment
        let generation = self.state.withLock { state -> Int in
            state.generation += 1
            return state.generation
        }
        process.terminationHandler = { [weak self] ended in
            self?.ended(generation: generation, status: ended.terminationReason == .uncaughtSignal ? 128 + ended.terminationStatus : ended.terminationStatus)
        }
        try process.run()  // Foundation: the agent holds few descriptors (see ProcessLaunch for why the rest avoids it)
        self.state.withLock { $0.process = process }
        self.logger.info("started the child", metadata: ["pid": "\(process.processIdentifier)"])
    }

    private func ended(generation: Int, status: Int32) {
        let (waiter, unasked) = self.state.withLock { state -> (CheckedContinuation<Int32, Never>?, Bool) in
            state.exits[generation] = status
            let unasked = generation == state.generation && !state.stopping
            if unasked { state.status = status }
            return (state.waiters.removeValue(forKey: generation), unasked)
        }
        waiter?.resume(returning: status)
        if unasked {
            self.logger.notice("the child exited", metadata: ["status": "\(status)"])
            self.unaskedContinuation.yield(status)
        }
    }

    /// Returns when the child ends other than by the agent's doing.
    func waitUntilItEndsUnasked() async {
        var iterator = self.unasked.makeAsyncIterator()
        _ = await iterator.next()
    }

    /// A rendered file changed.
    func filesChanged() {
        switch self.onChange {
        case .signal(let signal):
            // Only a child that is still running: an exited one's pid may belong to another process by now.
            if let pid = self.state.withLock({ $0.exits[$0.generation] == nil ? $0.process?.processIdentifier : nil }) {
                kill(pid, signal)
                self.logger.info("signalled the child", metadata: ["signal": "\(signal)"])
            }
        case .restart:
            Task {
                await self.terminateCurrent()
                do {
                    try self.start()
                } catch {
                    self.logger.error("can't restart the child", metadata: ["error": "\(error)"])
                    self.unaskedContinuation.yield(127)
                }
            }
        }
    }

    /// Stops the child for good (the agent is stopping): SIGTERM, then SIGKILL after 10 s.
    func stop() async {
        let current = self.state.withLock { state -> (Int, pid_t)? in
            state.stopping = true
            guard state.exits[state.generation] == nil else { return nil }
            return state.process.map { (state.generation, $0.processIdentifier) }
        }
        guard let (generation, pid) = current else { return }
        kill(pid, SIGTERM)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = await self.exit(of: generation) }
            group.addTask {
                try? await Task.sleep(for: .seconds(10))
                if !Task.isCancelled { kill(pid, SIGKILL) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// The exit status of the child of `generation`, once it has exited.
    private func exit(of generation: Int) async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let done = self.state.withLock { state -> Int32? in
                if let status = state.exits[generation] { return status }
                state.waiters[generation] = continuation
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// Ends the current child (SIGTERM) and waits for it, as part of a restart.
    private func terminateCurrent() async {
        let current = self.state.withLock { state -> (Int, pid_t)? in
            guard let process = state.process, state.exits[state.generation] == nil else { return nil }
            let generation = state.generation
            state.generation += 1  // its exit is asked for
            return (generation, process.processIdentifier)
        }
        guard let (generation, pid) = current else { return }
        kill(pid, SIGTERM)
        _ = await self.exit(of: generation)
    }

    /// The child's environment: the agent's, without the credentials the agent signs with, and with the SSRF token in
    /// `AWS_TOKEN` so the child can call the agent.
    static func environment(for agent: [String: String], token: SSRFToken) -> [String: String] {
        var environment = agent
        for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] { environment[name] = nil }
        environment["AWS_TOKEN"] = String(decoding: token.bytes, as: UTF8.self)
        return environment
    }

    static func locate(_ program: String, path: String) throws -> String {
        if program.contains("/") {
            guard access(program, X_OK) == 0 else { throw ChildCommandError(description: "\(program) is not an executable file") }
            return program
        }
        for directory in path.split(separator: ":") where access("\(directory)/\(program)", X_OK) == 0 {
            return "\(directory)/\(program)"
        }
        throw ChildCommandError(description: "\(program) was not found in PATH")
    }
}
