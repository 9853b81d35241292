import Foundation
import LockstepCore
import LockstepCrypto
import LockstepService
import LockstepStore
import Synchronization

/// A service over a real SQLite store in a fresh temporary data directory, with a clock the test moves.
final class Harness: Sendable {
    let directory: URL
    let environment: LockstepEnvironment
    let manager: SecretsManager
    private let clock: TestClock
    let context = RequestContext(account: "123456789012", region: "us-east-1")

    init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) throws {
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-test-\(UUID().uuidString)")
        let clock = TestClock(start)
        self.clock = clock
        var environment = ProcessInfo.processInfo.environment
        environment["LOCKSTEP_ROOT_KEY"] = nil
        self.environment = try LockstepEnvironment.open(
            .init(dataDirectory: self.directory, region: "us-east-1", account: "123456789012", environment: environment),
            create: true
        )
        self.manager = SecretsManager(store: self.environment.store, keyProvider: self.environment.keyring) { clock.now }
    }

    deinit { try? FileManager.default.removeItem(at: self.directory) }

    var now: Date { self.clock.now }

    func advance(days: Double) { self.clock.advance(by: days * 86_400) }

    func context(region: String) -> RequestContext { RequestContext(account: self.context.account, region: region) }

    /// A fresh ClientRequestToken.
    static func token() -> String { UUID().uuidString.lowercased() }

    @discardableResult
    func create(_ name: String, _ value: String? = "value-of-\(UUID().uuidString)", tags: [Tag]? = nil) async throws -> CreateSecretResponse {
        try await self.manager.createSecret(
            CreateSecretRequest(Name: name, ClientRequestToken: Self.token(), SecretString: value.map(Sensitive.init), Tags: tags),
            context: self.context
        )
    }

    @discardableResult
    func put(_ id: String, _ value: String, stages: [String]? = nil, token: String = Harness.token()) async throws -> PutSecretValueResponse {
        try await self.manager.putSecretValue(
            PutSecretValueRequest(SecretId: id, ClientRequestToken: token, SecretString: Sensitive(value), VersionStages: stages),
            context: self.context
        )
    }

    func get(_ id: String, versionId: String? = nil, stage: String? = nil) async throws -> GetSecretValueResponse {
        try await self.manager.getSecretValue(GetSecretValueRequest(SecretId: id, VersionId: versionId, VersionStage: stage), context: self.context)
    }

    func stages(_ id: String) async throws -> [String: [String]] {
        try await self.manager.describeSecret(DescribeSecretRequest(SecretId: id), context: self.context).VersionIdsToStages ?? [:]
    }
}

/// Runs `body` and returns the SecretsManagerError it throws (nil when it succeeds).
func awsError(_ body: () async throws -> some Any) async -> SecretsManagerError? {
    do {
        _ = try await body()
        return nil
    } catch let error as SecretsManagerError {
        return error
    } catch {
        return SecretsManagerError(.internalServiceError, "unexpected \(type(of: error))")
    }
}

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let date: Mutex<Date>

    init(_ start: Date) { self.date = Mutex(start) }

    var now: Date { self.date.withLock { $0 } }

    func advance(by seconds: TimeInterval) { self.date.withLock { $0 = $0.addingTimeInterval(seconds) } }
}
