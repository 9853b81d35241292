/// The staging labels of one secret: each label sits on exactly one version.
///
/// A value type holding `label → version id`, so "a label on one version only" holds by construction. The
/// mutating functions apply AWS's movement rules (spec §3.1–§3.2) and throw the errors AWS answers with; on a
/// throw the map is unchanged. The store keeps the same shape (`stages` has primary key `(secret, label)`).
public struct StageMap: Sendable, Hashable {
    /// Label → version id.
    public private(set) var versionByLabel: [String: String]

    public init(_ versionByLabel: [String: String] = [:]) {
        self.versionByLabel = versionByLabel
    }

    /// The version carrying `label`, if any.
    public func version(for label: String) -> String? { self.versionByLabel[label] }

    /// The labels on `versionId`, sorted for stable output.
    public func labels(of versionId: String) -> [String] {
        self.versionByLabel.compactMap { $0.value == versionId ? $0.key : nil }.sorted(by: StageMap.labelOrder)
    }

    /// Version id → its labels, for `VersionIdsToStages`.
    public var labelsByVersion: [String: [String]] {
        var result: [String: [String]] = [:]
        for (label, version) in self.versionByLabel { result[version, default: []].append(label) }
        return result.mapValues { $0.sorted(by: StageMap.labelOrder) }
    }

    /// True when some label sits on `versionId`; a version with no label is deprecated.
    public func isLabelled(_ versionId: String) -> Bool { self.versionByLabel.values.contains(versionId) }

    /// AWS lists the well-known labels first.
    public static func labelOrder(_ a: String, _ b: String) -> Bool {
        let rank = { (label: String) -> Int in
            switch label {
            case StagingLabel.current: 0
            case StagingLabel.pending: 1
            case StagingLabel.previous: 2
            default: 3
            }
        }
        return (rank(a), a) < (rank(b), b)
    }

    // MARK: - Writes

    /// Labels a new version written by PutSecretValue, UpdateSecret or CreateSecret.
    ///
    /// - Parameters:
    ///   - versionId: the new version.
    ///   - requested: the `VersionStages` of the request; nil means `[AWSCURRENT]`.
    /// - Rules: the first version of a secret gets `AWSCURRENT` whatever was asked; listed labels move onto the new
    ///   version; if `AWSCURRENT` moves, the demoted version gets `AWSPREVIOUS` and loses `AWSPENDING`.
    public mutating func labelNewVersion(_ versionId: String, requested: [String]?) throws(SecretsManagerError) {
        var labels = requested ?? [StagingLabel.current]
        if self.versionByLabel[StagingLabel.current] == nil, !labels.contains(StagingLabel.current) {
            labels.append(StagingLabel.current)
        }
        var unique: [String] = []
        for label in labels where !unique.contains(label) {
            try StagingLabel.validate(label, parameter: "VersionStages")
            unique.append(label)
        }
        guard unique.count <= StagingLabel.maximumPerVersion else { throw Self.tooManyLabels }
        var next = self
        for label in unique { next.attach(label, to: versionId) }
        self = next
    }

    /// UpdateSecretVersionStage: moves, attaches or detaches one label.
    ///
    /// - Parameters:
    ///   - label: the staging label.
    ///   - moveTo: the version to attach it to (must exist; the caller checks).
    ///   - removeFrom: the version it must currently sit on. Required when the label is attached anywhere and
    ///     `moveTo` is another version.
    public mutating func updateStage(_ label: String, moveTo: String?, removeFrom: String?) throws(SecretsManagerError) {
        try StagingLabel.validate(label)
        let holder = self.versionByLabel[label]
        if let removeFrom, removeFrom != holder {
            throw SecretsManagerError(
                .invalidParameter,
                "The staging label \(label) is not currently attached to the version \(removeFrom), so it can't be removed from that version."
            )
        }
        guard let moveTo else {
            guard let removeFrom else {
                throw SecretsManagerError(.invalidParameter, "You must specify MoveToVersionId, RemoveFromVersionId, or both.")
            }
            if label == StagingLabel.current {
                throw SecretsManagerError(
                    .invalidParameter,
                    "You can't remove the staging label AWSCURRENT from version \(removeFrom) without moving it to another version."
                )
            }
            self.versionByLabel[label] = nil
            return
        }
        if let holder, holder != moveTo, removeFrom == nil {
            throw SecretsManagerError(
                .invalidParameter,
                "The parameter RemoveFromVersionId can't be empty. Staging label \(label) is currently attached to version \(holder), so you must explicitly reference that version in RemoveFromVersionId."
            )
        }
        if holder == moveTo { return }
        guard self.labels(of: moveTo).count < StagingLabel.maximumPerVersion else { throw Self.tooManyLabels }
        self.attach(label, to: moveTo)
    }

    /// Detaches `label` wherever it sits (a rotation abandoned or finished drops AWSPENDING this way).
    public mutating func removeLabel(_ label: String) {
        self.versionByLabel[label] = nil
    }

    /// Attaches `label` to `versionId`, applying the AWSPREVIOUS rule when `AWSCURRENT` moves.
    private mutating func attach(_ label: String, to versionId: String) {
        let former = self.versionByLabel[label]
        self.versionByLabel[label] = versionId
        guard label == StagingLabel.current, let former, former != versionId else { return }
        self.versionByLabel[StagingLabel.previous] = former
        if self.versionByLabel[StagingLabel.pending] == former {
            self.versionByLabel[StagingLabel.pending] = nil
        }
    }

    static let tooManyLabels = SecretsManagerError(
        .limitExceeded,
        "You can't attach more than \(StagingLabel.maximumPerVersion) staging labels to a version."
    )
}
