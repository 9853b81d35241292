import Foundation
import LockstepCore
public import LockstepDatabase
public import LockstepService

/// AWS's database rotation templates (spec §1.4–§1.7), written once over a ``DatabaseDriver``: single user (the
/// user changes its own password) or alternating users (`user` ↔ `user_clone`, changed through the master secret
/// named by `masterarn`). It calls the service in-process, as the rotation service itself.
///
/// Differences from the templates, on purpose (spec §1.8): credentials are validated before any connection is
/// opened; passwords reach the server only as hashes where the engine allows; the clone gets the original's
/// privileges (the driver's job); single user's pending-login probe of setSecret is skipped when the step has never
/// run under this token (it could only fail, and a failed login costs a full connection); alternating users never
/// take a pending login as proof that setSecret finished (see ``setSecretAlternatingUsers(_:)``).
public struct DatabaseRotator: Rotator {
    public enum Strategy: String, Sendable {
        case singleUser = "single-user"
        case alternatingUsers = "multi-user"
    }

    public let driver: any DatabaseDriver
    public let strategy: Strategy
    let manager: SecretsManager
    let timeouts: DatabaseTimeouts
    let passwordLength: Int64

    public init(
        driver: any DatabaseDriver,
        strategy: Strategy,
        manager: SecretsManager,
        timeouts: DatabaseTimeouts = DatabaseTimeouts(),
        passwordLength: Int64 = 32
    ) {
        self.driver = driver
        self.strategy = strategy
        self.manager = manager
        self.timeouts = timeouts
        self.passwordLength = passwordLength
    }

    /// The GetRandomPassword settings of createSecret's new password (the rotation plan checks them against the
    /// server's password policy).
    public var passwordRequest: GetRandomPasswordRequest {
        GetRandomPasswordRequest(
            PasswordLength: self.passwordLength,
            ExcludeCharacters: self.driver.excludedPasswordCharacters,
            RequireEachIncludedType: true
        )
    }

    public func invoke(_ invocation: RotationInvocation) async throws(RotatorError) {
        do {
            try await self.run(invocation)
        } catch let error as RotatorError {
            throw error
        } catch let error as DatabaseError {
            throw RotatorError(Self.errorClass(error.kind), error.message)
        } catch let error as SecretsManagerError {
            throw RotatorError(.validation, "\(error.code.rawValue): \(error.message)")
        } catch {
            throw RotatorError(.rotator, "Unexpected error in \(invocation.step.rawValue).")
        }
    }

    static func errorClass(_ kind: DatabaseError.Kind) -> RotationErrorClass {
        switch kind {
        case .network: .network
        case .authentication: .authentication
        case .sql: .sql
        case .validation: .validation
        }
    }

    private func run(_ invocation: RotationInvocation) async throws {
        // Entry guards, in AWS's order (spec §1.1).
        let description = try await self.manager.describeSecret(DescribeSecretRequest(SecretId: invocation.secretARN), context: invocation.context)
        if description.RotationEnabled == false {
            throw RotatorError(.validation, "Secret \(invocation.secretARN) is not enabled for rotation.")
        }
        guard let stages = description.VersionIdsToStages?[invocation.token] else {
            throw RotatorError(.validation, "Secret version \(invocation.token) has no stage for rotation of secret \(invocation.secretARN).")
        }
        if stages.contains(StagingLabel.current) { return }
        guard stages.contains(StagingLabel.pending) else {
            throw RotatorError(.validation, "Secret version \(invocation.token) not set as AWSPENDING for rotation of secret \(invocation.secretARN).")
        }
        switch invocation.step {
        case .createSecret: try await self.createSecret(invocation)
        case .setSecret:
            switch self.strategy {
            case .singleUser: try await self.setSecretSingleUser(invocation)
            case .alternatingUsers: try await self.setSecretAlternatingUsers(invocation)
            }
        case .testSecret: try await self.testSecret(invocation)
        case .finishSecret: break  // The engine moves the labels in one transaction once this step returns.
        }
    }

    // MARK: Steps

    private func createSecret(_ invocation: RotationInvocation) async throws {
        let current = try await self.secret(invocation, stage: StagingLabel.current)
        try current.validate()
        try current.checkEngine(for: self.driver, required: self.strategy == .alternatingUsers)
        // Already created (a retry): never generate a second password for the same token.
        if try await self.pendingIfPresent(invocation) != nil { return }
        let password = try await self.manager.getRandomPassword(self.passwordRequest, context: invocation.context).RandomPassword
        var username: String?
        if self.strategy == .alternatingUsers, let currentUser = current.username {
            let alternate = AlternateUser.of(currentUser)
            guard alternate.utf8.count <= self.driver.maximumUserNameLength else {
                throw RotatorError(.validation, "Username \(alternate) is longer than \(self.driver.maximumUserNameLength) characters.")
            }
            username = alternate
        }
        let pending = current.replacing(username: username, password: password)
        _ = try await self.manager.putSecretValue(
            PutSecretValueRequest(
                SecretId: invocation.secretARN,
                ClientRequestToken: invocation.token,
                SecretString: pending.json,
                VersionStages: [StagingLabel.pending]
            ),
            context: invocation.context
        )
    }

    private func setSecretSingleUser(_ invocation: RotationInvocation) async throws {
        let pending = try await self.pending(invocation)
        let current = try await self.secret(invocation, stage: StagingLabel.current)
        guard current.username == pending.username, current.host == pending.host else {
            throw RotatorError(
                .validation,
                "Attempting to modify user \(pending.username ?? "?") other than current user \(current.username ?? "?")."
            )
        }
        let pendingLogin = try pending.credentials(for: self.driver)
        if invocation.stepMayHaveRun, let session = try? await self.driver.connect(pendingLogin, timeouts: self.timeouts) {
            await session.close()
            return
        }
        var candidates = [try current.credentials(for: self.driver)]
        // Previous, validated before any connection (the templates connect first).
        if let previous = try await self.secretIfPresent(invocation, stage: StagingLabel.previous),
            previous.username == pending.username, previous.host == pending.host, previous.password != nil
        {
            candidates.append(try previous.setting("ssl", to: nil).credentials(for: self.driver).with(tls: current.tls))
        }
        if !invocation.stepMayHaveRun { candidates.append(pendingLogin) }
        var lastError: DatabaseError?
        for (index, login) in candidates.enumerated() {
            let session: any DatabaseSession
            do {
                session = try await self.driver.connect(login, timeouts: self.timeouts)
            } catch {
                if lastError?.kind != .network { lastError = error }
                continue
            }
            if login == pendingLogin, index == candidates.count - 1, !invocation.stepMayHaveRun {
                await session.close()  // The password is already the pending one.
                return
            }
            do {
                try await session.changeOwnPassword(user: pendingLogin.username, to: pendingLogin.password)
            } catch {
                await session.close()
                throw error
            }
            await session.close()
            return
        }
        throw RotatorError(
            lastError.map { Self.errorClass($0.kind) } ?? .authentication,
            "Unable to log into database with previous, current, or pending secret of secret \(invocation.secretARN): \(lastError?.message ?? "no login")"
        )
    }

    private func setSecretAlternatingUsers(_ invocation: RotationInvocation) async throws {
        let pending = try await self.pending(invocation)
        let pendingLogin = try pending.credentials(for: self.driver)
        // No "pending already logs in, so it is done" shortcut here (AWS's template has one): a login proves the
        // password, not the privileges. MariaDB commits CREATE USER and each GRANT on their own, so a crash or a lost
        // connection between them leaves a clone that logs in and can do nothing, and the shortcut would then make
        // it AWSCURRENT (found by the crash matrix, tests/crash). Provisioning is idempotent: run it again.
        let current = try await self.secret(invocation, stage: StagingLabel.current)
        try current.checkEngine(for: self.driver, required: true)
        guard let currentUser = current.username, AlternateUser.of(currentUser) == pending.username else {
            throw RotatorError(
                .validation,
                "Attempting to modify user \(pending.username ?? "?") other than current user or clone \(current.username.map(AlternateUser.of) ?? "?")."
            )
        }
        guard current.host == pending.host else {
            throw RotatorError(.validation, "The pending secret's host differs from the current secret's host.")
        }
        // Confused-deputy guard: the rotated secret must hold working credentials before the master account acts.
        try await self.login(current, else: "Unable to log into database using current credentials for secret \(invocation.secretARN)")
            .close()
        guard let masterARN = current.masterARN else { throw RotatorError(.validation, "masterarn key is missing from secret JSON") }
        let masterJSON = try await self.manager.getSecretValue(
            GetSecretValueRequest(SecretId: masterARN, VersionStage: StagingLabel.current),
            context: invocation.context
        )
        guard let text = masterJSON.SecretString?.value else { throw RotatorError(.validation, "The master secret has no SecretString.") }
        let master = try DatabaseSecret(json: text).setting("dbname", to: current.database)
        guard master.host == current.host else {
            throw RotatorError(.validation, "The master secret's host differs from the host of secret \(invocation.secretARN).")
        }
        let session = try await self.login(master, else: "Unable to log into database using credentials in master secret \(masterARN)")
        do {
            try await session.provisionAlternateUser(pendingLogin.username, copying: currentUser, password: pendingLogin.password)
        } catch {
            await session.close()
            throw error
        }
        await session.close()
    }

    private func testSecret(_ invocation: RotationInvocation) async throws {
        let pending = try await self.pending(invocation)
        let session = try await self.login(pending, else: "Unable to log into database with pending secret of secret \(invocation.secretARN)")
        do {
            try await session.ping()
        } catch {
            await session.close()
            throw error
        }
        await session.close()
    }

    /// Logs in with `secret`'s credentials; a failure becomes a step failure that starts with `message`.
    private func login(_ secret: DatabaseSecret, else message: String) async throws(RotatorError) -> any DatabaseSession {
        do {
            return try await self.driver.connect(try secret.credentials(for: self.driver), timeouts: self.timeouts)
        } catch {
            throw RotatorError(Self.errorClass(error.kind), "\(message): \(error.message)")
        }
    }

    // MARK: Reading versions

    private func secret(_ invocation: RotationInvocation, stage: String, versionId: String? = nil) async throws -> DatabaseSecret {
        let value = try await self.manager.getSecretValue(
            GetSecretValueRequest(SecretId: invocation.secretARN, VersionId: versionId, VersionStage: stage),
            context: invocation.context
        )
        guard let text = value.SecretString?.value else {
            throw RotatorError(.validation, "The \(stage) version of \(invocation.secretARN) has no SecretString.")
        }
        return try DatabaseSecret(json: text)
    }

    private func secretIfPresent(_ invocation: RotationInvocation, stage: String, versionId: String? = nil) async throws
        -> DatabaseSecret?
    {
        do {
            return try await self.secret(invocation, stage: stage, versionId: versionId)
        } catch let error as SecretsManagerError where error.code == .resourceNotFound {
            return nil
        }
    }

    private func pendingIfPresent(_ invocation: RotationInvocation) async throws -> DatabaseSecret? {
        try await self.secretIfPresent(invocation, stage: StagingLabel.pending, versionId: invocation.token)
    }

    private func pending(_ invocation: RotationInvocation) async throws -> DatabaseSecret {
        let pending = try await self.secret(invocation, stage: StagingLabel.pending, versionId: invocation.token)
        try pending.validate()
        return pending
    }
}

extension DatabaseCredentials {
    func with(tls: DatabaseTLS) -> DatabaseCredentials {
        var copy = self
        copy.tls = tls
        return copy
    }
}
