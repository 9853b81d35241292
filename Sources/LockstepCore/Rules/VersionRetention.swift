/// Which deprecated versions to prune (spec §3.6).
///
/// Only unlabelled ("deprecated") versions are ever pruned. The newest ``keptDeprecatedVersions`` of them are
/// kept; older ones go. A labelled version is never pruned, however old.
public enum VersionRetention {
    public static let keptDeprecatedVersions = 100

    /// A version as pruning sees it.
    public struct Candidate: Sendable, Hashable {
        public var versionId: String
        /// Creation order: a larger value is newer.
        public var sequence: Int64

        public init(versionId: String, sequence: Int64) {
            self.versionId = versionId
            self.sequence = sequence
        }
    }

    /// The version ids to delete.
    public static func versionsToPrune(
        _ versions: [Candidate],
        stages: StageMap,
        keep: Int = keptDeprecatedVersions
    ) -> [String] {
        let deprecated = versions.filter { !stages.isLabelled($0.versionId) }.sorted { $0.sequence > $1.sequence }
        guard deprecated.count > keep else { return [] }
        return deprecated[keep...].map(\.versionId)
    }
}
