import Foundation
import LockstepAudit
import LockstepCore
import LockstepStore

extension SecretsManager {
    /// GetSecretValue: the version named by VersionId and/or VersionStage (AWSCURRENT by default).
    public func getSecretValue(_ request: GetSecretValueRequest, context: RequestContext) async throws -> GetSecretValueResponse {
        try await self.getSecretValue(request, context: context, recordingAccess: true)
    }

    /// GetSecretValue; with `recordingAccess` false it reads without setting LastAccessedDate (the rotation plan,
    /// which writes nothing).
    public func getSecretValue(
        _ request: GetSecretValueRequest,
        context: RequestContext,
        recordingAccess: Bool
    ) async throws -> GetSecretValueResponse {
        if let versionId = request.VersionId { try VersionIdentifier.validate(versionId, parameter: "versionId") }
        if let stage = request.VersionStage { try StagingLabel.validate(stage) }
        let today = DayResolution.truncate(self.now())
        let (response, touch) = try await self.store.read { tx in
            // The common case (a name and a label) in one query; anything else, or a miss, takes the general path
            // that also finds the right error.
            let label = request.VersionStage ?? StagingLabel.current
            if request.VersionId == nil, !request.SecretId.hasPrefix("arn:"),
                let hit = try tx.labelledVersion(scope: context.scope, name: request.SecretId, label: label),
                hit.secret.deletedDate == nil
            {
                try self.authorize(hit.secret, named: request.SecretId, knownPolicy: .some(hit.resourcePolicy), in: tx, context: context)
                guard hit.version.hasValue else { throw SecretsManagerError.stageNotFound(label) }
                return try self.value(of: hit, today: today, in: tx)
            }
            let secret = try self.resolve(request.SecretId, in: tx, context: context)
            return try self.value(of: secret, versionId: request.VersionId, stage: request.VersionStage, today: today, in: tx)
        }
        if recordingAccess, let touch {
            // LastAccessedDate has day resolution: at most one write per secret and version a day.
            _ = try? await self.store.write { tx in
                try self.recordAccess(touch, today: today, in: tx)
            }
        }
        return response
    }

    /// What GetSecretValue must remember: a secret or version not yet marked as read today.
    struct AccessRecord: Sendable {
        var secretId: Int64
        var ownerId: Int64
        var versionId: String
    }

    func value(
        of secret: SecretRecord,
        versionId: String?,
        stage: String?,
        today: Date,
        in tx: any SecretStoreTransaction
    ) throws -> (GetSecretValueResponse, AccessRecord?) {
        guard secret.deletedDate == nil else { throw SecretsManagerError.markedForDeletion }
        let owner = try self.dataOwner(of: secret, in: tx)
        let stages = try tx.stages(secretId: owner.id)
        let selectedId: String
        switch (versionId, stage) {
        case (let versionId?, let stage?):
            guard try tx.version(secretId: owner.id, versionId: versionId) != nil else { throw SecretsManagerError.versionNotFound(versionId) }
            guard stages.version(for: stage) == versionId else { throw SecretsManagerError.stageVersionMismatch }
            selectedId = versionId
        case (let versionId?, nil):
            selectedId = versionId
        case (nil, let stage):
            let label = stage ?? StagingLabel.current
            guard let id = stages.version(for: label) else { throw SecretsManagerError.stageNotFound(label) }
            selectedId = id
        }
        guard let version = try tx.version(secretId: owner.id, versionId: selectedId) else {
            throw SecretsManagerError.versionNotFound(selectedId)
        }
        // RotateSecret's placeholder has no value yet: AWS answers as if there were no such version.
        guard version.hasValue else {
            if let versionId, stage == nil { throw SecretsManagerError.versionNotFound(versionId) }
            throw SecretsManagerError.stageNotFound(stage ?? StagingLabel.current)
        }
        let value = try self.open(version, of: owner, in: tx)
        let response = GetSecretValueResponse(value, of: secret, version: version, labels: stages.labels(of: version.versionId))
        let stale = secret.lastAccessedDate != today || version.lastAccessedDate != today
        return (response, stale ? AccessRecord(secretId: secret.id, ownerId: owner.id, versionId: version.versionId) : nil)
    }

    func value(of hit: LabelledVersion, today: Date, in tx: any SecretStoreTransaction) throws -> (GetSecretValueResponse, AccessRecord?) {
        let value = try self.open(hit.version, boundTo: hit.ownerARN, in: tx)
        let response = GetSecretValueResponse(
            value,
            of: hit.secret,
            version: hit.version,
            labels: hit.labels.sorted(by: StageMap.labelOrder)
        )
        let stale = hit.secret.lastAccessedDate != today || hit.version.lastAccessedDate != today
        return (response, stale ? AccessRecord(secretId: hit.secret.id, ownerId: hit.version.secretId, versionId: hit.version.versionId) : nil)
    }

    func recordAccess(_ access: AccessRecord, today: Date, in tx: any SecretStoreTransaction) throws {
        if var secret = try tx.secret(id: access.secretId), secret.lastAccessedDate != today {
            secret.lastAccessedDate = today
            try tx.updateSecret(secret)
        }
        try tx.touchVersion(secretId: access.ownerId, versionId: access.versionId, lastAccessedDate: today)
    }

    /// BatchGetSecretValue: up to 20 secrets by id, or a page of secrets matching filters; per-secret errors are
    /// reported in `Errors` rather than failing the call.
    public func batchGetSecretValue(_ request: BatchGetSecretValueRequest, context: RequestContext) async throws -> BatchGetSecretValueResponse {
        // BatchGetSecretValue on `*`, then GetSecretValue on each secret (and ListSecrets for filters), as on AWS.
        try await self.authorizeWithoutResource(context)
        let batchContext = context
        switch (request.SecretIdList, request.Filters) {
        case (.some, .some):
            throw SecretsManagerError(.invalidParameter, "Either 'SecretIdList' or 'Filters' must be provided, but not both.")
        case (nil, nil):
            throw SecretsManagerError(.invalidParameter, "Either 'SecretIdList' or 'Filters' must be provided.")
        case (let ids?, nil):
            guard (1...20).contains(ids.count) else {
                throw SecretsManagerError.constraint("secretIdList", "Member must have length between 1 and 20")
            }
            guard request.MaxResults == nil, request.NextToken == nil else {
                throw SecretsManagerError(.invalidParameter, "'MaxResults' and 'NextToken' can only be used with 'Filters'.")
            }
            var values: [GetSecretValueResponse] = []
            var errors: [APIErrorType] = []
            for id in ids {
                switch await self.batchMember(id, batch: batchContext) {
                case .success(let value): values.append(value)
                case .failure(let error): errors.append(APIErrorType(SecretId: id, ErrorCode: error.code.rawValue, Message: error.message))
                }
            }
            return BatchGetSecretValueResponse(SecretValues: values, NextToken: nil, Errors: errors)
        case (nil, let filters?):
            if let max = request.MaxResults, !(1...20).contains(max) {
                throw SecretsManagerError.constraint("maxResults", value: String(max), "Member must have value between 1 and 20")
            }
            let page = try await self.listSecrets(
                ListSecretsRequest(MaxResults: request.MaxResults ?? 20, NextToken: request.NextToken, Filters: filters),
                context: batchContext.acting(as: "ListSecrets")
            )
            var values: [GetSecretValueResponse] = []
            var errors: [APIErrorType] = []
            for entry in page.SecretList {
                switch await self.batchMember(entry.ARN, batch: batchContext) {
                case .success(let value): values.append(value)
                case .failure(let error):
                    errors.append(APIErrorType(SecretId: entry.ARN, ErrorCode: error.code.rawValue, Message: error.message))
                }
            }
            return BatchGetSecretValueResponse(SecretValues: values, NextToken: page.NextToken, Errors: errors)
        }
    }

    /// One secret of a batch, read as a GetSecretValue call of its own: authorized as one, and audited as one (spec
    /// §4.3), so the audit log names every secret a batch revealed and every one it was refused.
    private func batchMember(_ id: String, batch: RequestContext) async -> Result<GetSecretValueResponse, SecretsManagerError> {
        let context = batch.subrequest("GetSecretValue")
        let result: Result<GetSecretValueResponse, SecretsManagerError>
        do {
            result = .success(try await self.getSecretValue(GetSecretValueRequest(SecretId: id), context: context))
        } catch {
            result = .failure(SecretsManagerError.answering(error))
        }
        for arn in context.trace.resources { batch.trace.touched(arn) }
        if let audit = self.audit {
            var body = Array(#"{"SecretId":"#.utf8)
            JSONString.append(id, to: &body)
            body.append(UInt8(ascii: "}"))
            // A read-only call's response is never logged: the value stays out of the record.
            audit.record(APICallRecord.event("GetSecretValue", body: Data(body), result: result.map { _ in Data() }, context: context))
        }
        return result
    }

    /// PutSecretValue: a new version; labels per `VersionStages` (AWSCURRENT by default).
    public func putSecretValue(_ request: PutSecretValueRequest, context: RequestContext) async throws -> PutSecretValueResponse {
        guard let token = request.ClientRequestToken else { throw SecretsManagerError.missingClientRequestToken }
        try VersionIdentifier.validate(token)
        guard let value = try SecretValue.from(string: request.SecretString?.value, binary: request.SecretBinary?.value) else {
            throw SecretsManagerError(.invalidRequest, "You must provide either SecretString or SecretBinary.")
        }
        if let stages = request.VersionStages {
            guard (1...StagingLabel.maximumPerVersion).contains(stages.count) else {
                throw SecretsManagerError.constraint("versionStages", "Member must have length between 1 and 20")
            }
        }
        let (response, event) = try await self.write { tx -> (PutSecretValueResponse, LifecycleEvent?) in
            var secret = try self.resolveWritable(request.SecretId, in: tx, context: context)
            var stages = try tx.stages(secretId: secret.id)
            if let existing = try tx.version(secretId: secret.id, versionId: token), !existing.hasValue {
                // A rotator's createSecret fills RotateSecret's placeholder (same token).
                try tx.updateVersionCiphertext(try self.seal(value, versionId: token, of: secret, in: tx))
                try stages.labelNewVersion(token, requested: request.VersionStages)
                let event = try self.valueChangedManually(&secret, stages: &stages, newVersion: token, in: tx)
                try tx.replaceStages(secretId: secret.id, with: stages)
                secret.lastChangedDate = self.now()
                try tx.updateSecret(secret)
                try self.recordChange(.valuePut, of: secret, versionId: token, by: context, in: tx)
                let response = PutSecretValueResponse(ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: stages.labels(of: token))
                return (response, event)
            }
            if let existing = try tx.version(secretId: secret.id, versionId: token) {
                guard Self.sameValue(try self.open(existing, of: secret, in: tx), value) else {
                    throw SecretsManagerError.tokenInUse(token, secret.arn)
                }
                let response = PutSecretValueResponse(ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: stages.labels(of: token))
                return (response, nil)
            }
            try stages.labelNewVersion(token, requested: request.VersionStages)
            let event = try self.valueChangedManually(&secret, stages: &stages, newVersion: token, in: tx)
            try self.insertVersion(value, versionId: token, of: secret, in: tx)
            try tx.replaceStages(secretId: secret.id, with: stages)
            try self.pruneVersions(of: secret, stages: stages, in: tx)
            secret.lastChangedDate = self.now()
            try tx.updateSecret(secret)
            try self.recordChange(.valuePut, of: secret, versionId: token, by: context, in: tx)
            let response = PutSecretValueResponse(ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: stages.labels(of: token))
            return (response, event)
        }
        if let event { self.rotation.events.record(event) }
        return response
    }
}

extension GetSecretValueResponse {
    init(_ value: SecretValue, of secret: SecretRecord, version: VersionRecord, labels: [String]) {
        self.init(
            ARN: secret.arn,
            Name: secret.name,
            VersionId: version.versionId,
            SecretBinary: nil,
            SecretString: nil,
            VersionStages: labels,
            CreatedDate: version.createdDate
        )
        switch value {
        case .string(let string): self.SecretString = Sensitive(string)
        case .binary(let data): self.SecretBinary = Sensitive(data)
        }
    }
}
