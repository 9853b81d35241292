import Foundation
import LockstepCore
import LockstepStore

extension SecretsManager {
    /// DescribeSecret: metadata, never the value. Works on a secret scheduled for deletion.
    public func describeSecret(_ request: DescribeSecretRequest, context: RequestContext) async throws -> DescribeSecretResponse {
        try await self.store.read { tx in
            let secret = try self.resolve(request.SecretId, in: tx, context: context)
            return try self.describe(secret, in: tx)
        }
    }

    func describe(_ secret: SecretRecord, in tx: any SecretStoreTransaction) throws -> DescribeSecretResponse {
        let owner = try self.dataOwner(of: secret, in: tx)
        let tags = try tx.tags(secretId: owner.id)
        let versions = try tx.stages(secretId: owner.id).labelsByVersion
        let replicas = secret.isReplica ? [] : try tx.replicas(of: secret.id)
        return DescribeSecretResponse(
            ARN: secret.arn,
            Name: secret.name,
            Description: owner.description,
            KmsKeyId: secret.isReplica ? secret.replicaKmsKeyReference : secret.kmsKeyReference,
            RotationEnabled: owner.rotation.enabled,
            RotationLambdaARN: owner.rotation.lambdaARN,
            RotationRules: owner.rotation.rules,
            ExternalSecretRotationMetadata: owner.rotation.externalMetadata,
            ExternalSecretRotationRoleArn: owner.rotation.externalRoleARN,
            LastRotatedDate: owner.rotation.lastRotatedDate,
            LastChangedDate: owner.lastChangedDate,
            LastAccessedDate: secret.lastAccessedDate,
            DeletedDate: secret.deletedDate,
            NextRotationDate: owner.rotation.nextRotationDate,
            // A secret that ever had a tag shows an empty list once the last is removed; a never-tagged one none.
            Tags: tags.isEmpty && !owner.hasHadTags ? nil : tags,
            VersionIdsToStages: versions.isEmpty ? nil : versions,
            OwningService: owner.owningService,
            CreatedDate: secret.createdDate,
            PrimaryRegion: secret.isReplica || !replicas.isEmpty ? owner.scope.region : nil,
            ReplicationStatus: replicas.isEmpty ? nil : replicas.map(Self.replicationStatus),
            Type: owner.type
        )
    }

    /// ListSecrets: a page of secrets in the caller's region, filtered and sorted.
    public func listSecrets(_ request: ListSecretsRequest, context: RequestContext) async throws -> ListSecretsResponse {
        let limit = request.MaxResults ?? 100
        guard (1...100).contains(limit) else {
            throw SecretsManagerError.constraint("maxResults", value: String(limit), "Member must have value between 1 and 100")
        }
        let sortBy =
            try request.SortBy.map { raw in
                guard let key = SecretSortKey(rawValue: raw) else {
                    throw SecretsManagerError.constraint(
                        "sortBy",
                        value: raw,
                        "Member must satisfy enum value set: [\(SecretSortKey.allCases.map(\.rawValue).joined(separator: ", "))]"
                    )
                }
                return key
            } ?? .createdDate
        // No SortOrder: oldest first, as AWS answers (its recorded responses list by ascending CreatedDate).
        let ascending: Bool
        switch request.SortOrder {
        case "desc": ascending = false
        case nil, "asc": ascending = true
        case let other?: throw SecretsManagerError.constraint("sortOrder", value: other, "Member must satisfy enum value set: [asc, desc]")
        }
        let filters = try SecretFilter.parse(request.Filters)
        let includeDeleted = request.IncludePlannedDeletion ?? false
        let token = PageToken(sortBy: sortBy.rawValue, ascending: ascending, includeDeleted: includeDeleted)
        let start = try request.NextToken.map { try token.decode($0) }
        try await self.authorizeWithoutResource(context)

        return try await self.store.read { tx in
            var entries: [SecretListEntry] = []
            var cursor = start
            var last: ScanCursor?
            let batchSize = filters.isEmpty ? limit : max(limit * 2, 200)
            scanning: while true {
                let batch = try tx.scanSecrets(
                    scope: context.scope,
                    sortBy: sortBy,
                    ascending: ascending,
                    after: cursor,
                    includePlannedDeletion: includeDeleted,
                    limit: batchSize
                )
                for secret in batch {
                    cursor = tx.cursor(of: secret, sortBy: sortBy)
                    if let deletionDate = secret.deletionDate, deletionDate <= self.now() { continue }
                    let description = try self.describe(secret, in: tx)
                    let attributes = SecretFilter.Attributes(
                        name: secret.name,
                        description: description.Description,
                        tags: description.Tags ?? [],
                        primaryRegion: description.PrimaryRegion,
                        owningService: description.OwningService
                    )
                    guard SecretFilter.matches(filters, attributes) else { continue }
                    entries.append(SecretListEntry(description))
                    if entries.count == limit {
                        last = cursor
                        break scanning
                    }
                }
                if batch.count < batchSize { break }
            }
            // A full page may be followed by more: hand out a token (the next page may turn out empty, as on AWS).
            return ListSecretsResponse(SecretList: entries, NextToken: try last.map { try token.encode($0) })
        }
    }

    /// ListSecretVersionIds: versions newest first; deprecated (unlabelled) ones only on request.
    public func listSecretVersionIds(
        _ request: ListSecretVersionIdsRequest,
        context: RequestContext
    ) async throws -> ListSecretVersionIdsResponse {
        let limit = request.MaxResults ?? 100
        guard (1...100).contains(limit) else {
            throw SecretsManagerError.constraint("maxResults", value: String(limit), "Member must have value between 1 and 100")
        }
        let includeDeprecated = request.IncludeDeprecated ?? false
        let token = PageToken(sortBy: "version", ascending: false, includeDeleted: includeDeprecated)
        let start = try request.NextToken.map { try token.decode($0) }
        return try await self.store.read { tx in
            let secret = try self.resolve(request.SecretId, in: tx, context: context)
            let owner = try self.dataOwner(of: secret, in: tx)
            let stages = try tx.stages(secretId: owner.id)
            let keyIds = [owner.kmsKeyReference ?? "DefaultEncryptionKey"]
            var versions = try tx.versions(secretId: owner.id)
            if !includeDeprecated { versions = versions.filter { stages.isLabelled($0.versionId) } }
            if let start { versions = versions.filter { $0.sequence < start.id } }
            let page = versions.prefix(limit)
            let entries = page.map { version in
                let labels = stages.labels(of: version.versionId)
                return SecretVersionsListEntry(
                    VersionId: version.versionId,
                    VersionStages: labels.isEmpty ? nil : labels,
                    LastAccessedDate: version.lastAccessedDate,
                    CreatedDate: version.createdDate,
                    KmsKeyIds: keyIds
                )
            }
            let next = versions.count > limit ? try page.last.map { try token.encode(ScanCursor(sortValue: "", id: $0.sequence)) } : nil
            return ListSecretVersionIdsResponse(Versions: entries, NextToken: next, ARN: secret.arn, Name: secret.name)
        }
    }
}

extension SecretListEntry {
    init(_ d: DescribeSecretResponse) {
        self.init(
            ARN: d.ARN,
            Name: d.Name,
            Description: d.Description,
            KmsKeyId: d.KmsKeyId,
            RotationEnabled: d.RotationEnabled,
            RotationLambdaARN: d.RotationLambdaARN,
            RotationRules: d.RotationRules,
            ExternalSecretRotationMetadata: d.ExternalSecretRotationMetadata,
            ExternalSecretRotationRoleArn: d.ExternalSecretRotationRoleArn,
            LastRotatedDate: d.LastRotatedDate,
            LastChangedDate: d.LastChangedDate,
            LastAccessedDate: d.LastAccessedDate,
            DeletedDate: d.DeletedDate,
            NextRotationDate: d.NextRotationDate,
            Tags: d.Tags,
            SecretVersionsToStages: d.VersionIdsToStages,
            OwningService: d.OwningService,
            CreatedDate: d.CreatedDate,
            PrimaryRegion: d.PrimaryRegion,
            Type: d.Type
        )
    }
}

/// An opaque pagination token: the scan position plus the query settings it belongs to, base64 JSON.
struct PageToken {
    var sortBy: String
    var ascending: Bool
    var includeDeleted: Bool

    private struct Payload: Codable {
        var s: String
        var a: Bool
        var d: Bool
        var c: ScanCursor
    }

    func encode(_ cursor: ScanCursor) throws -> String {
        let payload = Payload(s: self.sortBy, a: self.ascending, d: self.includeDeleted, c: cursor)
        return try JSONEncoder().encode(payload).base64EncodedString()
    }

    /// Decodes a token; one from another query, or garbage, is InvalidNextTokenException.
    func decode(_ token: String) throws -> ScanCursor {
        guard let data = Data(base64Encoded: token), let payload = try? JSONDecoder().decode(Payload.self, from: data),
            payload.s == self.sortBy, payload.a == self.ascending, payload.d == self.includeDeleted
        else {
            throw SecretsManagerError(.invalidNextToken, "The NextToken value is invalid.")
        }
        return payload.c
    }
}
