import Foundation
import LockstepCore
import LockstepStore

extension SecretsManager {
    static let cannotInvoke = SecretsManagerError(
        .accessDenied,
        "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com."
    )
    static let noRotationFunction = SecretsManagerError(.invalidRequest, "No Lambda rotation function ARN is associated with this secret.")
    public static let previousRotationIncompleteMessage = "A previous rotation isn't complete. That rotation will be reattempted."
    static let previousRotationIncomplete = SecretsManagerError(.invalidRequest, previousRotationIncompleteMessage)

    /// What starting a rotation came to.
    enum RotationStart: Sendable {
        /// A new rotation of this version id is queued.
        case started(String)
        /// The same token again (a client's retry): nothing new was done.
        case alreadyStarted(String)
        /// AWSPENDING sits on another version: that rotation is re-driven (when a rotator is configured) and the
        /// caller gets AWS's "previous rotation isn't complete" error.
        case previousIncomplete(redriven: Bool)
    }

    /// RotateSecret: stores the rotation configuration and queues a rotation (asynchronous, as on AWS).
    ///
    /// `RotateImmediately=false` queues only a testSecret run against a temporary AWSPENDING copy of the current
    /// value, which is removed afterwards.
    public func rotateSecret(_ request: RotateSecretRequest, context: RequestContext) async throws -> RotateSecretResponse {
        if let token = request.ClientRequestToken { try VersionIdentifier.validate(token) }
        try Self.validateLength(request.RotationLambdaARN, "rotationLambdaARN", max: 2048)
        if let rules = request.RotationRules { _ = try RotationSchedule(rules) }
        // An uninvokable function is refused before anything is stored (AWS then shows no Rotation* fields).
        if let lambda = request.RotationLambdaARN, !self.rotation.canInvoke(lambda) { throw Self.cannotInvoke }
        let token = request.ClientRequestToken ?? UUID().uuidString.lowercased()
        let mode: RotationRecord.Mode = (request.RotateImmediately ?? true) ? .full : .testOnly

        let (secret, outcome) = try await self.write { tx in
            var secret = try self.resolveWritable(request.SecretId, in: tx, context: context)
            guard let lambda = request.RotationLambdaARN ?? secret.rotation.lambdaARN else { throw Self.noRotationFunction }
            guard self.rotation.canInvoke(lambda) else { throw Self.cannotInvoke }
            secret.rotation.lambdaARN = lambda
            if let rules = request.RotationRules { secret.rotation.rules = rules }
            secret.rotation.enabled = true
            if request.ExternalSecretRotationMetadata != nil || request.ExternalSecretRotationRoleArn != nil {
                var external = try tx.externalRotation(secretId: secret.id) ?? ExternalRotationRecord(roleARN: nil, metadataJSON: nil)
                if let role = request.ExternalSecretRotationRoleArn { external.roleARN = role }
                if let metadata = request.ExternalSecretRotationMetadata {
                    external.metadataJSON = String(decoding: try OperationDispatcher.encoder.encode(metadata), as: UTF8.self)
                }
                try tx.setExternalRotation(secretId: secret.id, external)
            }
            let outcome = try self.beginRotation(of: &secret, token: token, mode: mode, by: context, in: tx)
            try tx.updateSecret(secret)
            return (secret, outcome)
        }
        switch outcome {
        case .started(let versionId):
            self.rotation.events.record(
                self.event(mode == .full ? "RotationStarted" : "TestRotationStarted", secret: secret, versionId: versionId)
            )
            self.rotation.rotationQueued()
            return RotateSecretResponse(ARN: secret.arn, Name: secret.name, VersionId: versionId)
        case .alreadyStarted(let versionId):
            return RotateSecretResponse(ARN: secret.arn, Name: secret.name, VersionId: versionId)
        case .previousIncomplete(let redriven):
            if redriven { self.rotation.rotationQueued() }
            throw Self.previousRotationIncomplete
        }
    }

    /// CancelRotateSecret: turns automatic rotation off and stops a rotation in progress. Labels are left as they
    /// are (AWS's behaviour): the response names the AWSPENDING version to evaluate and clean up.
    public func cancelRotateSecret(_ request: CancelRotateSecretRequest, context: RequestContext) async throws -> CancelRotateSecretResponse {
        try await self.write { tx in
            var secret = try self.resolveWritable(request.SecretId, in: tx, context: context)
            let now = self.now()
            secret.rotation.enabled = secret.rotation.lambdaARN == nil && secret.rotation.enabled == nil ? nil : false
            secret.rotation.nextRotationDate = nil
            try tx.updateSecret(secret)
            if var row = try tx.rotation(secretId: secret.id), (try? row.apply(.cancel, at: now)) != nil {
                try tx.saveRotation(row)
                try self.recordChange(.rotationCancelled, of: secret, versionId: row.token, by: context, in: tx)
            }
            let pending = try tx.stages(secretId: secret.id).version(for: StagingLabel.pending)
            return CancelRotateSecretResponse(ARN: secret.arn, Name: secret.name, VersionId: pending)
        }
    }

    /// Queues a rotation of `secret` under `token`, or explains why not. The caller saves `secret`.
    func beginRotation(
        of secret: inout SecretRecord,
        token: String,
        mode: RotationRecord.Mode,
        by context: RequestContext?,
        in tx: any SecretStoreTransaction
    ) throws -> RotationStart {
        let now = self.now()
        var stages = try tx.stages(secretId: secret.id)
        let current = stages.version(for: StagingLabel.current)
        if let pending = stages.version(for: StagingLabel.pending) {
            if pending == token {
                _ = try self.redrive(secret, pendingVersion: pending, in: tx)
                return .alreadyStarted(token)
            }
            guard pending == current else {
                return .previousIncomplete(redriven: try self.redrive(secret, pendingVersion: pending, in: tx))
            }
            // AWSPENDING left beside AWSCURRENT by a rotation function's finishSecret: harmless, drop it.
            stages.removeLabel(StagingLabel.pending)
        }
        if try tx.version(secretId: secret.id, versionId: token) != nil {
            if current == token { return .alreadyStarted(token) }
            throw SecretsManagerError.tokenInUse(token, secret.arn)
        }
        switch mode {
        case .full:
            // AWS's placeholder: the version exists, carries AWSPENDING and has no value until createSecret.
            try tx.insertVersion(
                VersionRecord(
                    secretId: secret.id,
                    versionId: token,
                    createdDate: now,
                    kmsKeyId: secret.kmsKeyId,
                    wrappedDataKey: Data(),
                    ciphertext: Data(),
                    isString: true
                )
            )
        case .testOnly:
            guard let current, let version = try tx.version(secretId: secret.id, versionId: current) else {
                throw SecretsManagerError(.invalidRequest, "The secret has no AWSCURRENT version to test rotation with.")
            }
            try self.insertVersion(try self.open(version, of: secret, in: tx), versionId: token, of: secret, in: tx)
        }
        try stages.updateStage(StagingLabel.pending, moveTo: token, removeFrom: nil)
        try tx.replaceStages(secretId: secret.id, with: stages)
        try tx.saveRotation(
            .begin(
                secretId: secret.id,
                token: token,
                mode: mode,
                rotator: secret.rotation.lambdaARN ?? "",
                after: try tx.rotation(secretId: secret.id),
                at: now
            )
        )
        secret.rotation.nextRotationDate =
            mode == .full ? nil : self.nextRotationDate(secret.rotation.rules, after: secret.rotation.lastRotatedDate ?? now)
        if mode == .full { try self.recordChange(.rotationStarted, of: secret, versionId: token, stages: .some(stages), by: context, in: tx) }
        return .started(token)
    }

    /// Queues the unfinished rotation of `pendingVersion` again (AWS: "That rotation will be reattempted").
    /// Returns false when no rotator is configured to drive it.
    func redrive(_ secret: SecretRecord, pendingVersion: String, in tx: any SecretStoreTransaction) throws -> Bool {
        guard let rotator = secret.rotation.lambdaARN else { return false }
        let now = self.now()
        let previous = try tx.rotation(secretId: secret.id)
        if var row = previous, row.token == pendingVersion {
            // An unfinished one is queued already (the refusal); a finished one runs again from its step.
            if (try? row.apply(.redrive(rotator: rotator), at: now)) != nil { try tx.saveRotation(row) }
            return true
        }
        try tx.saveRotation(.adopt(secretId: secret.id, pendingVersion: pendingVersion, rotator: rotator, after: previous, at: now))
        return true
    }

    /// A manual value change took AWSCURRENT while a rotation was unfinished: the rotation is abandoned and
    /// AWSPENDING removed (AWS's RotationAbandoned). It also counts as a rotation for the schedule.
    /// Returns the event to emit after the transaction commits.
    func valueChangedManually(
        _ secret: inout SecretRecord,
        stages: inout StageMap,
        newVersion: String,
        in tx: any SecretStoreTransaction
    ) throws -> LifecycleEvent? {
        guard stages.version(for: StagingLabel.current) == newVersion else { return nil }
        let now = self.now()
        if secret.rotation.enabled == true {
            secret.rotation.nextRotationDate = self.nextRotationDate(secret.rotation.rules, after: now)
        }
        guard var row = try tx.rotation(secretId: secret.id), row.token != newVersion,
            (try? row.apply(.abandon, at: now)) != nil
        else { return nil }
        if stages.version(for: StagingLabel.pending) == row.token { stages.removeLabel(StagingLabel.pending) }
        try tx.saveRotation(row)
        try self.recordChange(.rotationAbandoned, of: secret, versionId: row.token, stages: .some(stages), by: nil, in: tx)
        return self.event("RotationAbandoned", secret: secret, versionId: row.token)
    }

    /// A random instant in the next rotation window after `date`, or nil without a schedule.
    func nextRotationDate(_ rules: RotationRulesType?, after date: Date) -> Date? {
        guard let rules, let schedule = try? RotationSchedule(rules) else { return nil }
        var generator = SystemRandomNumberGenerator()
        return RotationSchedule.randomInstant(in: schedule.nextWindow(after: date), using: &generator)
    }

    func event(
        _ name: String,
        secret: SecretRecord,
        versionId: String? = nil,
        failure: RotationFailure? = nil
    ) -> LifecycleEvent {
        LifecycleEvent(
            name: name,
            secretARN: secret.arn,
            account: secret.scope.account,
            region: secret.scope.region,
            versionId: versionId,
            step: failure?.step.rawValue,
            errorClass: failure?.errorClass.rawValue,
            errorMessage: failure?.message
        )
    }
}
