import LockstepCore

/// The constraints of AWS's service model on request members, checked before an operation runs.
///
/// Every string a client sends is bound by its model length and pattern here, in one place, so that nothing
/// downstream (policy evaluation, the store, the audit log) ever sees a value AWS would have refused. Members the
/// model gives no pattern still refuse control characters (U+0000–U+001F, U+007F–U+009F): an embedded NUL once
/// passed a Deny policy that compared the whole string and reached SQLite, which stopped at the NUL. Free text
/// (descriptions, policy documents) may hold tabs and line breaks; secret values and excluded characters are not
/// checked for characters at all.
///
/// Violations are reported all at once in AWS's shape: `2 validation errors detected: Value 'x' at
/// 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128; ...`, with
/// lowerCamel member names and 1-based list positions.
protocol ValidatedRequest {
    func validate(_ check: inout ConstraintCheck)
    /// Members a request on the wire must carry although the Swift API lets them default (the SDKs fill them in).
    func checkRequiredMembers() throws(SecretsManagerError)
}

extension ValidatedRequest {
    /// Throws AWS's ValidationException naming every violated constraint, then any missing required member.
    func validated() throws(SecretsManagerError) {
        var check = ConstraintCheck()
        self.validate(&check)
        try check.finish()
        try self.checkRequiredMembers()
    }

    func checkRequiredMembers() throws(SecretsManagerError) {}
}

/// The model's rule for one string member.
struct StringConstraint: Sendable {
    enum Characters: Sendable {
        /// Identifiers, names, labels, tags: no control character at all.
        case printable
        /// Free text: control characters other than tab, line feed and carriage return are refused.
        case text
        /// A regular expression of the model (named in the message) and the check that implements it.
        case pattern(String, @Sendable (String) -> Bool)
        /// Values whose characters are the caller's business (ExcludeCharacters).
        case any
    }

    var min: Int
    var max: Int
    var characters: Characters = .printable
    var allowed: [String]? = nil

    static let secretId = StringConstraint(min: 1, max: 2048)
    static let name = StringConstraint(min: 1, max: 512)
    static let versionId = StringConstraint(min: 32, max: 64)
    static let clientRequestToken = StringConstraint(min: 32, max: 64)
    static let versionStage = StringConstraint(min: 1, max: 256)
    static let description = StringConstraint(min: 0, max: 2048, characters: .text)
    static let kmsKeyId = StringConstraint(min: 0, max: 2048)
    static let type = StringConstraint(min: 0, max: 256)
    static let tagKey = StringConstraint(min: 1, max: 128)
    static let tagValue = StringConstraint(min: 0, max: 256)
    static let nextToken = StringConstraint(min: 1, max: 4096)
    static let resourcePolicy = StringConstraint(min: 1, max: 20480, characters: .text)
    static let rotationLambdaARN = StringConstraint(min: 0, max: 2048)
    static let roleARN = StringConstraint(min: 20, max: 2048)
    static let metadataKey = StringConstraint(min: 1, max: 256)
    static let metadataValue = StringConstraint(min: 1, max: 2048)
    static let excludeCharacters = StringConstraint(min: 0, max: 4096, characters: .any)
    static let region = StringConstraint(min: 1, max: 128, characters: .pattern("^([a-z]+-)+\\d+$", isModelRegion))
    static let rotationToken = StringConstraint(
        min: 36,
        max: 256,
        characters: .pattern("^[a-zA-Z0-9\\-]+$", { $0.unicodeScalars.allSatisfy { $0 == "-" || isASCIIAlphanumeric($0) } })
    )
    static let filterValue = StringConstraint(
        min: 0,
        max: 512,
        // A leading `!` negates; the class itself includes `!`, so every character is from the class.
        characters: .pattern("^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$", {
            $0.unicodeScalars.allSatisfy { isASCIIAlphanumeric($0) || " :_@/+=.-!".unicodeScalars.contains($0) }
        })
    )
    static let duration = StringConstraint(
        min: 2,
        max: 3,
        characters: .pattern("[0-9]+h", { $0.hasSuffix("h") && $0.dropLast().unicodeScalars.allSatisfy { ("0"..."9").contains($0) } })
    )
    static let scheduleExpression = StringConstraint(
        min: 1,
        max: 256,
        characters: .pattern("[0-9A-Za-z\\(\\)#\\?\\*\\-\\/, ]+", {
            $0.unicodeScalars.allSatisfy { isASCIIAlphanumeric($0) || "()#?*-/, ".unicodeScalars.contains($0) }
        })
    )
    static let filterKey = StringConstraint(
        min: 0,
        max: 64,
        allowed: ["description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all"]
    )
    static let sortOrder = StringConstraint(min: 0, max: 8, allowed: ["asc", "desc"])
    static let sortBy = StringConstraint(min: 0, max: 32, allowed: ["created-date", "last-accessed-date", "last-changed-date", "name"])

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// The first rule `value` breaks, worded as AWS words it.
    func violation(of value: String) -> String? {
        if let allowed {
            return allowed.contains(value) ? nil : "Member must satisfy enum value set: [\(allowed.joined(separator: ", "))]"
        }
        let length = value.utf16.count
        if !(self.min...self.max).contains(length) { return SecretsManagerError.lengthRule(length, self.min...self.max) }
        switch self.characters {
        case .any: return nil
        case .printable:
            return value.unicodeScalars.contains(where: Self.isControl) ? "Member must not contain control characters" : nil
        case .text:
            let refused = value.unicodeScalars.contains { Self.isControl($0) && $0 != "\t" && $0 != "\n" && $0 != "\r" }
            return refused ? "Member must not contain control characters other than tab, line feed and carriage return" : nil
        case .pattern(let pattern, let matches):
            return matches(value) ? nil : "Member must satisfy regular expression pattern: \(pattern)"
        }
    }
}

/// `^([a-z]+-)+\d+$`: groups of lowercase letters each ended by a dash, then digits.
private func isModelRegion(_ value: String) -> Bool {
    let parts = value.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count >= 2, let digits = parts.last, !digits.isEmpty, digits.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) else {
        return false
    }
    return parts.dropLast().allSatisfy { !$0.isEmpty && $0.unicodeScalars.allSatisfy { ("a"..."z").contains($0) } }
}

private func isASCIIAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
}

/// Collects the violations of one request.
struct ConstraintCheck {
    private(set) var violations: [String] = []

    mutating func check(_ value: String?, at path: String, _ constraint: StringConstraint) {
        guard let value, let rule = constraint.violation(of: value) else { return }
        self.violations.append("Value '\(Self.shown(value))' at '\(path)' failed to satisfy constraint: \(rule)")
    }

    mutating func check(_ values: [String]?, at path: String, each constraint: StringConstraint) {
        for (index, value) in (values ?? []).enumerated() {
            self.check(value, at: "\(path).\(index + 1).member", constraint)
        }
    }

    mutating func checkCount<T>(_ values: [T]?, at path: String, min: Int = 0, max: Int? = nil, shown: (T) -> String = { "\($0)" }) {
        guard let values else { return }
        let range = min...(max ?? Int.max)
        guard !range.contains(values.count) else { return }
        let rule = SecretsManagerError.lengthRule(values.count, range)
        // A long list is shown by its first members only: the message stays small whatever the request holds.
        let head = values.prefix(10).map { Self.shown(shown($0)) }
        let list = "[" + (head + (values.count > 10 ? ["..."] : [])).joined(separator: ", ") + "]"
        self.violations.append("Value '\(list)' at '\(path)' failed to satisfy constraint: \(rule)")
    }

    mutating func check<N: BinaryInteger>(_ value: N?, at path: String, min: N, max: N) {
        guard let value else { return }
        if value > max {
            self.violations.append("Value '\(value)' at '\(path)' failed to satisfy constraint: Member must have value less than or equal to \(max)")
        } else if value < min {
            self.violations.append("Value '\(value)' at '\(path)' failed to satisfy constraint: Member must have value greater than or equal to \(min)")
        }
    }

    /// Visits each element of a list of structures with its 1-based member path.
    mutating func each<T>(_ values: [T]?, at path: String, _ body: (inout ConstraintCheck, T, String) -> Void) {
        for (index, value) in (values ?? []).enumerated() {
            body(&self, value, "\(path).\(index + 1).member")
        }
    }

    func finish() throws(SecretsManagerError) {
        guard !self.violations.isEmpty else { return }
        let count = self.violations.count
        let head = count == 1 ? "1 validation error detected: " : "\(count) validation errors detected: "
        throw SecretsManagerError(.validation, head + self.violations.joined(separator: "; "))
    }

    /// A value as it appears in a message: control characters escaped (the message must not carry a raw NUL or
    /// line break into a log or terminal), bounded in length.
    static func shown(_ value: String) -> String {
        var out = ""
        var count = 0
        for scalar in value.unicodeScalars {
            count += 1
            if count > 2048 {
                out += "..."
                break
            }
            if StringConstraint.isControl(scalar) {
                out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        self.count >= width ? self : String(repeating: "0", count: width - self.count) + self
    }
}

// MARK: The operations' members (botocore's secretsmanager model)

extension Tag {
    fileprivate static func validate(_ tags: [Tag]?, at path: String, _ check: inout ConstraintCheck) {
        check.each(tags, at: path) { check, tag, member in
            check.check(tag.Key, at: "\(member).key", .tagKey)
            check.check(tag.Value, at: "\(member).value", .tagValue)
        }
    }
}

extension Filter {
    fileprivate static func validate(_ filters: [Filter]?, at path: String, _ check: inout ConstraintCheck) {
        check.checkCount(filters, at: path, max: 10) { $0.Key }
        check.each(filters, at: path) { check, filter, member in
            check.check(filter.Key, at: "\(member).key", .filterKey)
            check.checkCount(filter.Values, at: "\(member).values", min: 1, max: 10)
            check.check(filter.Values, at: "\(member).values", each: .filterValue)
        }
    }
}

extension ReplicaRegionType {
    fileprivate static func validate(_ regions: [ReplicaRegionType]?, at path: String, _ check: inout ConstraintCheck) {
        check.checkCount(regions, at: path, min: 1) { $0.Region }
        check.each(regions, at: path) { check, region, member in
            check.check(region.Region, at: "\(member).region", .region)
            check.check(region.KmsKeyId, at: "\(member).kmsKeyId", .kmsKeyId)
        }
    }
}

extension CreateSecretRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) {
        check.check(self.Name, at: "name", .name)
        check.check(self.ClientRequestToken, at: "clientRequestToken", .clientRequestToken)
        check.check(self.Description, at: "description", .description)
        check.check(self.KmsKeyId, at: "kmsKeyId", .kmsKeyId)
        check.check(self.Type, at: "type", .type)
        Tag.validate(self.Tags, at: "tags", &check)
        ReplicaRegionType.validate(self.AddReplicaRegions, at: "addReplicaRegions", &check)
    }
}

extension GetSecretValueRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) {
        check.check(self.SecretId, at: "secretId", .secretId)
        check.check(self.VersionId, at: "versionId", .versionId)
        check.check(self.VersionStage, at: "versionStage", .versionStage)
    }
}

extension BatchGetSecretValueRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) {
        check.checkCount(self.SecretIdList, at: "secretIdList", min: 1, max: 20)
        check.check(self.SecretIdList, at: "secretIdList", each: .secretId)
        Filter.validate(self.Filters, at: "filters", &check)
        check.check(self.MaxResults, at: "maxResults", min: 1, max: 20)
        check.check(self.NextToken, at: "nextToken", .nextToken)
    }
}

extension PutSecretValueRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) {
        check.check(self.SecretId, at: "secretId", .secretId)
        check.check(self.ClientRequestToken, at: "clientRequestToken", .clientRequestToken)
        check.checkCount(self.VersionStages, at: "versionStages", min: 1, max: 20)
        check.check(self.VersionStages, at: "versionStages", each: .versionStage)
        // The token is sensitive: its rule is checked, its value never shown.
        if let token = self.RotationToken?.value, let rule = StringConstraint.rotationToken.violation(of: token) {
            check.report("Value at 'rotationToken' failed to satisfy constraint: \(rule)")
        }
    }
}

extension UpdateSecretRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) {
        check.check(self.SecretId, at: "secretId", .secretId)
        check.check(self.ClientRequestToken, at: "clientRequestToken", .clientRequestToken)
        check.check(self.Description, at: "description", .description)
        check.check(self.KmsKeyId, at: "kmsKeyId", .kmsKeyId)
        check.check(self.Type, at: "type", .type)
    }
}

extension UpdateSecretVersionStageRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) {
        check.check(self.SecretId, at: "secretId", .secretId)
        check.check(self.VersionStage, at: "versionStage", .versionStage)
        check.check(self.RemoveFromVersionId, at: "removeFromVersionId", .versionId)
        check.check(self.MoveToVersionId, at: "moveToVersionId", .versionId)
    }
}

extension DescribeSecretRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) { check.check(self.SecretId, at: "secretId", .secretId) }
}

extension ListSecretsRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) {
        check.check(self.MaxResults, at: "maxResults", min: 1, max: 100)
        check.check(self.NextToken, at: "nextToken", .nextToken)
        Filter.validate(self.Filters, at: "filters", &check)
        check.check(self.SortOrder, at: "sortOrder", .sortOrder)
        check.check(self.SortBy, at: "sortBy", .sortBy)
    }
}

extension ListSecretVersionIdsRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) {
        check.check(self.SecretId, at: "secretId", .secretId)
        check.check(self.MaxResults, at: "maxResults", min: 1, max: 100)
        check.check(self.NextToken, at: "nextToken", .nextToken)
    }
}

extension DeleteSecretRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) { check.check(self.SecretId, at: "secretId", .secretId) }
}

extension RestoreSecretRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) { check.check(self.SecretId, at: "secretId", .secretId) }
}

extension TagResourceRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) {
        check.check(self.SecretId, at: "secretId", .secretId)
        Tag.validate(self.Tags, at: "tags", &check)
    }
}

extension UntagResourceRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) {
        check.check(self.SecretId, at: "secretId", .secretId)
        check.check(self.TagKeys, at: "tagKeys", each: .tagKey)
    }
}

extension ReplicateSecretToRegionsRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) {
        check.check(self.SecretId, at: "secretId", .secretId)
        ReplicaRegionType.validate(self.AddReplicaRegions, at: "addReplicaRegions", &check)
    }
}

extension RemoveRegionsFromReplicationRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) {
        check.check(self.SecretId, at: "secretId", .secretId)
        check.checkCount(self.RemoveReplicaRegions, at: "removeReplicaRegions", min: 1)
        check.check(self.RemoveReplicaRegions, at: "removeReplicaRegions", each: .region)
    }
}

extension StopReplicationToReplicaRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) { check.check(self.SecretId, at: "secretId", .secretId) }
}

extension RotateSecretRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) {
        check.check(self.SecretId, at: "secretId", .secretId)
        check.check(self.ClientRequestToken, at: "clientRequestToken", .clientRequestToken)
        check.check(self.RotationLambdaARN, at: "rotationLambdaARN", .rotationLambdaARN)
        check.check(self.RotationRules?.AutomaticallyAfterDays, at: "rotationRules.automaticallyAfterDays", min: 1, max: 1000)
        check.check(self.RotationRules?.Duration, at: "rotationRules.duration", .duration)
        check.check(self.RotationRules?.ScheduleExpression, at: "rotationRules.scheduleExpression", .scheduleExpression)
        check.check(self.ExternalSecretRotationRoleArn, at: "externalSecretRotationRoleArn", .roleARN)
        check.each(self.ExternalSecretRotationMetadata, at: "externalSecretRotationMetadata") { check, item, member in
            check.check(item.Key, at: "\(member).key", .metadataKey)
            check.check(item.Value, at: "\(member).value", .metadataValue)
        }
    }
}

extension RotateSecretRequest {
    /// The engine and `lockstep rotate` may let the service pick the token; a request on the wire must carry one.
    func checkRequiredMembers() throws(SecretsManagerError) {
        if self.ClientRequestToken == nil { throw SecretsManagerError.missingRotationClientRequestToken }
    }
}

extension CancelRotateSecretRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) { check.check(self.SecretId, at: "secretId", .secretId) }
}

extension GetRandomPasswordRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) {
        check.check(self.PasswordLength, at: "passwordLength", min: 1, max: 4096)
        check.check(self.ExcludeCharacters, at: "excludeCharacters", .excludeCharacters)
    }
}

extension PutResourcePolicyRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) {
        check.check(self.SecretId, at: "secretId", .secretId)
        check.check(self.ResourcePolicy, at: "resourcePolicy", .resourcePolicy)
    }
}

extension ResourcePolicySecretRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) { check.check(self.SecretId, at: "secretId", .secretId) }
}

extension ValidateResourcePolicyRequest: ValidatedRequest {
    func validate(_ check: inout ConstraintCheck) {
        check.check(self.SecretId, at: "secretId", .secretId)
        check.check(self.ResourcePolicy, at: "resourcePolicy", .resourcePolicy)
    }
}

extension ConstraintCheck {
    /// A violation worded by the caller (a sensitive member, whose value is never shown).
    mutating func report(_ violation: String) { self.violations.append(violation) }
}
