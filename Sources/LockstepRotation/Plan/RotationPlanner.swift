public import Foundation
import LockstepCore
public import LockstepDatabase
public import LockstepService

/// Builds a ``RotationPlan`` for one secret without changing anything: it reads the secret's description and
/// values through the service (GetSecretValue without recording the access), resolves its rotator, and for a
/// database rotator lets the driver probe the database with read-only statements (``DatabasePlanProbe``).
public struct RotationPlanner: Sendable {
    let manager: SecretsManager
    let registry: RotatorRegistry
    let timeouts: DatabaseTimeouts
    let trust: DatabaseTrust?
    /// PATH as process rotators get it (to find their commands and python3).
    let path: String
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - manager: the service of the data directory.
    ///   - registry: the rotators a `rotate` would use (``RotatorRegistry``).
    ///   - timeouts: the database timeouts a rotation uses.
    ///   - trust: the CAs that verify servers for `"ssl": true` secrets (the drivers' own), for the plan's report.
    ///   - path: PATH for process rotators' commands.
    ///   - now: the clock.
    public init(
        manager: SecretsManager,
        registry: RotatorRegistry,
        timeouts: DatabaseTimeouts,
        trust: DatabaseTrust?,
        path: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.manager = manager
        self.registry = registry
        self.timeouts = timeouts
        self.trust = trust
        self.path = path
        self.now = now
    }

    /// The plan of `secretId`'s next rotation.
    /// - Parameters:
    ///   - secretId: the secret's name or ARN.
    ///   - count: how many of the schedule's next windows to list (1–100).
    ///   - context: who asks (the local operator, for the CLI).
    /// - Throws: ``SecretsManagerError`` when the secret can't be read at all (missing, denied, count out of range).
    public func plan(secretId: String, count: Int, context: RequestContext) async throws -> RotationPlan {
        guard (1...100).contains(count) else {
            throw SecretsManagerError(.invalidParameter, "--count must be between 1 and 100.")
        }
        let description = try await self.manager.describeSecret(DescribeSecretRequest(SecretId: secretId), context: context)
        var checks: [PlanCheck] = []
        let enabled = description.RotationEnabled ?? false
        let (scheduleCheck, windows) = RotationPlan.schedule(
            description.RotationRules,
            enabled: enabled,
            next: description.NextRotationDate,
            lastRotated: description.LastRotatedDate,
            now: self.now(),
            count: count
        )
        if description.DeletedDate != nil {
            checks.append(.fail("secret", "the secret is scheduled for deletion: it can't rotate"))
        }
        if (description.VersionIdsToStages ?? [:]).values.contains(where: { $0.contains(StagingLabel.pending) }) {
            checks.append(.warn("rotation", "an AWSPENDING version exists: the next rotation resumes it with its own token"))
        }
        let rotatorName = description.RotationLambdaARN
        if let rotatorName {
            switch self.registry.rotator(for: rotatorName) {
            case let rotator as DatabaseRotator:
                checks.append(.pass("rotator", "built-in rotator \(RotatorRegistry.functionName(rotatorName) ?? rotatorName)"))
                checks += await self.databaseChecks(description.ARN, rotator: rotator, context: context)
            case let rotator as ProcessRotator:
                checks += Self.processChecks(rotator.manifest, path: self.path)
            case .some:
                checks.append(.pass("rotator", "rotator \(rotatorName)"))
            case nil:
                checks.append(.fail("rotator", "this process has no rotator \(rotatorName): not a built-in and not in the rotators directory"))
            }
        } else {
            checks.append(.fail("rotator", "the secret has no rotation function: set one with rotate-secret --rotation-lambda-arn"))
        }
        checks.append(scheduleCheck)
        return RotationPlan(
            name: description.Name,
            arn: description.ARN,
            rotator: rotatorName,
            checks: checks,
            schedule: description.RotationRules.map(RotationPlan.describe),
            windows: windows
        )
    }

    // MARK: - Database rotators

    private func databaseChecks(_ arn: String, rotator: DatabaseRotator, context: RequestContext) async -> [PlanCheck] {
        let alternating = rotator.strategy == .alternatingUsers
        let current: DatabaseSecret
        do {
            current = try await self.value(of: arn, context: context)
        } catch {
            return [.fail("secret", "AWSCURRENT can't be read as a database secret: \(Self.message(error))")]
        }
        var checks = RotationPlan.secretChecks(current, driver: rotator.driver, alternating: alternating, trust: self.trust)
        guard !checks.contains(where: { $0.status == .fail }) else { return checks }
        let generator: PasswordGenerator
        let login: DatabaseCredentials
        do {
            let request = rotator.passwordRequest
            generator = try PasswordGenerator(
                length: request.PasswordLength,
                excludeCharacters: request.ExcludeCharacters,
                requireEachIncludedType: request.RequireEachIncludedType
            )
            login = try current.credentials(for: rotator.driver)
        } catch {
            return checks + [.fail("secret", Self.message(error))]
        }
        var strategy = DatabasePlanRequest.Strategy.singleUser
        if alternating, let masterARN = current.masterARN, let user = current.username {
            let master: DatabaseSecret
            do {
                master = try await self.value(of: masterARN, context: context).setting("dbname", to: current.database)
            } catch {
                return checks + [.fail("master-secret", "the master secret \(masterARN) can't be read: \(Self.message(error))")]
            }
            guard master.host == current.host else {
                return checks + [
                    .fail("master-secret", "the master secret's host \(master.host ?? "-") differs from the secret's host \(current.host ?? "-")")
                ]
            }
            do {
                strategy = .alternatingUsers(master: try master.credentials(for: rotator.driver), alternateUser: AlternateUser.of(user))
            } catch {
                return checks + [.fail("master-secret", "the master secret \(masterARN): \(error.message)")]
            }
            checks.append(.pass("master-secret", "master secret \(masterARN): user \(master.username ?? "?") at \(master.host ?? "?")"))
        }
        guard let probe = rotator.driver as? any DatabasePlanProbe else {
            return checks + [.warn("database", "this driver can't probe its database: the login and privileges are unchecked")]
        }
        return checks + (await probe.plan(DatabasePlanRequest(current: login, strategy: strategy, generator: generator), timeouts: self.timeouts))
    }

    private func value(of secretId: String, context: RequestContext) async throws -> DatabaseSecret {
        let value = try await self.manager.getSecretValue(
            GetSecretValueRequest(SecretId: secretId, VersionStage: StagingLabel.current),
            context: context,
            recordingAccess: false
        )
        guard let text = value.SecretString?.value else {
            throw DatabaseError(.validation, "the AWSCURRENT version has no SecretString")
        }
        return try DatabaseSecret(json: text)
    }

    private static func message(_ error: any Error) -> String {
        switch error {
        case let error as DatabaseError: error.message
        case let error as SecretsManagerError: "\(error.code.rawValue): \(error.message)"
        default: "unexpected error"
        }
    }

    // MARK: - Process rotators

    /// A process rotator's manifest (already valid: the catalog refuses broken ones) and whether its runtime can
    /// start: the command found and executable, or python3 and the handler's module.
    static func processChecks(_ manifest: RotatorManifest, path: String) -> [PlanCheck] {
        let folder = manifest.folder.path
        var checks: [PlanCheck] = [
            .pass("rotator", "process rotator \(manifest.name) (\(folder)/\(RotatorManifest.fileName)), timeout \(manifest.timeoutText) s per step")
        ]
        switch manifest.runtime {
        case .builtin:
            break
        case .process(let command):
            let executable =
                command[0].contains("/") && !command[0].hasPrefix("/")
                ? manifest.folder.appendingPathComponent(command[0]).standardizedFileURL.path : command[0]
            if let found = ChildProcess.resolve(executable, path: path) {
                checks.append(.pass("runtime", "process: \(found) is executable"))
            } else {
                checks.append(.fail("runtime", "process: \(command[0]) is not an executable file (relative paths are in \(folder), names on PATH)"))
            }
        case .pythonLambda(let handler):
            guard let python = ChildProcess.resolve("python3", path: path) else {
                checks.append(.fail("runtime", "python-lambda: python3 is not on PATH"))
                break
            }
            let module = handler.split(separator: ".").dropLast().joined(separator: "/")
            let candidates = ["\(folder)/\(module).py", "\(folder)/\(module)/__init__.py"]
            if candidates.contains(where: { FileManager.default.fileExists(atPath: $0) }) {
                checks.append(.pass("runtime", "python-lambda: \(python) runs \(handler) from \(module).py"))
            } else {
                checks.append(.fail("runtime", "python-lambda: the handler's module \(module).py is not in \(folder)"))
            }
        }
        return checks
    }
}
