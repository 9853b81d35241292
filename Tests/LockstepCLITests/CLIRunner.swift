import Foundation
import LockstepCore

/// Runs the built `lockstep` executable the way a user does, in a fresh data directory.
struct CLIRunner {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    let dataDirectory: URL
    var environment: [String: String]

    init() {
        self.dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-cli-\(UUID().uuidString)")
        var environment = ProcessInfo.processInfo.environment
        environment["LOCKSTEP_DATA_DIR"] = self.dataDirectory.path
        environment["LOCKSTEP_ROOT_KEY"] = nil
        environment["AWS_REGION"] = nil
        environment["AWS_DEFAULT_REGION"] = nil
        self.environment = environment
    }

    /// The `lockstep` binary beside the test bundle in `.build/<triple>/<configuration>/`.
    static var executable: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        let candidate = directory.appendingPathComponent("lockstep")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/lockstep")
    }

    @discardableResult
    func run(_ arguments: String...) throws -> Result { try self.run(arguments) }

    func run(_ arguments: [String]) throws -> Result {
        let outcome = try ProcessLaunch.run(Self.executable.path, arguments, environment: self.environment)
        return Result(
            status: outcome.status,
            stdout: String(decoding: outcome.output, as: UTF8.self),
            stderr: String(decoding: outcome.errorOutput, as: UTF8.self)
        )
    }

    /// Runs and parses stdout as a JSON object.
    func json(_ arguments: String...) throws -> [String: Any] {
        let result = try self.run(arguments)
        guard result.status == 0 else { throw Failure(description: "exit \(result.status): \(result.stderr)") }
        guard let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw Failure(description: "not a JSON object: \(result.stdout)")
        }
        return object
    }

    func cleanUp() { try? FileManager.default.removeItem(at: self.dataDirectory) }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }
}
