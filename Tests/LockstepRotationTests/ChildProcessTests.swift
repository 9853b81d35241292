import Foundation
import Glibc
import Testing

@testable import LockstepRotation

/// Real children through ``ChildProcess``: environment, stdin, exit status, stderr tail, and the process group
/// killed on timeout.
@Suite struct ChildProcessTests {
    static func configuration(_ script: String, timeout: Duration = .seconds(10), input: String = "") -> ChildProcess.Configuration {
        ChildProcess.Configuration(
            command: ["sh", "-c", script],
            environment: ["PATH": "/usr/bin:/bin", "ONLY": "this"],
            workingDirectory: "/tmp",
            standardInput: Array(input.utf8),
            timeout: timeout,
            standardErrorLimit: 64
        )
    }

    /// True while `pid` exists and is not a zombie (a killed orphan stays one until its new parent reaps it).
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let afterName = stat.range(of: ") ", options: .backwards)
        else { return false }
        return stat[afterName.upperBound...].first != "Z"
    }

    @Test func theChildSeesOnlyItsEnvironmentItsStdinAndItsWorkingDirectory() async throws {
        // The test process's own environment (HOME, PATH, LOCKSTEP_*, ...) must not reach the child. Not setenv: it
        // would race with other tests' Process.run reading the environment on another thread.
        let script =
            #"test "$(cat)" = '{"Step":"x"}' || exit 3; test "$(pwd)" = /tmp || exit 4; test "$(env | sort | tr '\n' ' ')" = "ONLY=this PATH=/usr/bin:/bin PWD=/tmp " || { env >&2; exit 5; }"#
        let outcome = try await ChildProcess.run(Self.configuration(script, input: #"{"Step":"x"}"#))
        #expect(outcome.termination == .exited(0), "\(String(decoding: outcome.standardErrorTail, as: UTF8.self))")
    }

    @Test func aNonZeroExitKeepsTheTailOfStderrAndCountsStdout() async throws {
        let outcome = try await ChildProcess.run(
            Self.configuration("printf 'abcdef' ; i=0; while [ $i -lt 100 ]; do printf 'line %03d\\n' $i >&2; i=$((i+1)); done; exit 7")
        )
        #expect(outcome.termination == .exited(7))
        #expect(outcome.standardOutputByteCount == 6)
        #expect(outcome.standardErrorTail.count == 64)
        #expect(String(decoding: outcome.standardErrorTail, as: UTF8.self).hasSuffix("line 098\nline 099\n"))
    }

    @Test func aSignalIsReported() async throws {
        let outcome = try await ChildProcess.run(Self.configuration("kill -TERM $$"))
        #expect(outcome.termination == .signalled(SIGTERM))
    }

    @Test func aTimeoutKillsTheWholeProcessGroup() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-child-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: marker) }
        // A grandchild in the background and the leader both hang; the grandchild's pid is written down.
        let started = ContinuousClock.now
        let outcome = try await ChildProcess.run(
            Self.configuration("sleep 300 & echo $! > \(marker); echo waiting >&2; sleep 300", timeout: .milliseconds(500))
        )
        #expect(outcome.termination == .timedOut)
        #expect(ContinuousClock.now - started < .seconds(60), "the timeout ends it, not the 300 s sleeps")
        #expect(String(decoding: outcome.standardErrorTail, as: UTF8.self) == "waiting\n")
        let grandchild = try #require(Int32(try String(contentsOfFile: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.isRunning(getpid()))  // The check itself sees a live process.
        #expect(!Self.isRunning(grandchild), "the background sleep survived the timeout")
    }

    @Test func whatTheLeaderLeavesRunningInItsGroupIsKilledWhenItExits() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-child-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let started = ContinuousClock.now
        let outcome = try await ChildProcess.run(Self.configuration("sleep 300 & echo $! > \(marker); exit 0", timeout: .seconds(30)))
        #expect(outcome.termination == .exited(0))
        #expect(ContinuousClock.now - started < .seconds(60), "returns when the child exits, not when its 300 s grandchild would")
        let grandchild = try #require(Int32(try String(contentsOfFile: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!Self.isRunning(grandchild))
    }

    @Test func aMissingCommandIsASpawnError() async {
        var configuration = Self.configuration("")
        configuration.command = ["lockstep-no-such-command"]
        await #expect(throws: ChildProcess.SpawnError(message: "lockstep-no-such-command was not found or is not executable")) {
            try await ChildProcess.run(configuration)
        }
    }

    @Test func manyChildrenAtOnceDoNotHoldTheConcurrencyPool() async throws {
        // Twelve children that each wait until all twelve are running: they can only finish if they all run at once,
        // which they could not if each held one of this machine's 2 cooperative threads (they would then time out).
        // A rendezvous rather than a stopwatch, so a loaded machine makes it slower, never wrong.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rendezvous-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let script = "touch \(directory)/$$; while [ \"$(ls \(directory) | wc -l)\" -lt 12 ]; do sleep 0.05; done"
        try await withThrowingTaskGroup(of: ChildProcess.Termination.self) { group in
            for _ in 0..<12 { group.addTask { try await ChildProcess.run(Self.configuration(script, timeout: .seconds(120))).termination } }
            for try await termination in group { #expect(termination == .exited(0)) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).count == 12)
    }
}
