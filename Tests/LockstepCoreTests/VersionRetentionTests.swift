import LockstepCore
import Testing

@Suite struct VersionRetentionTests {
    private func candidates(_ count: Int) -> [VersionRetention.Candidate] {
        (1...count).map { VersionRetention.Candidate(versionId: "v\($0)", sequence: Int64($0)) }
    }

    @Test func keepsTheHundredNewestDeprecatedVersions() {
        // v1 and v2 are the oldest, but labelled; v3...v152 are deprecated.
        let stages = StageMap([StagingLabel.current: "v2", "CUSTOM": "v1"])
        let versions = self.candidates(152)
        let pruned = VersionRetention.versionsToPrune(versions, stages: stages)
        #expect(Set(pruned) == Set((3...52).map { "v\($0)" }))
        #expect(pruned.count == 50)
        #expect(!pruned.contains("v1") && !pruned.contains("v2"))
        #expect(VersionRetention.keptDeprecatedVersions == 100)
    }

    @Test func nothingToPruneAtOrUnderTheLimit() {
        let stages = StageMap([StagingLabel.current: "v101"])
        #expect(VersionRetention.versionsToPrune(self.candidates(101), stages: stages).isEmpty)
        #expect(VersionRetention.versionsToPrune([], stages: StageMap()).isEmpty)
    }

    @Test func oneOverTheLimitPrunesTheOldestDeprecated() {
        let stages = StageMap([StagingLabel.current: "v102"])
        #expect(VersionRetention.versionsToPrune(self.candidates(102), stages: stages) == ["v1"])
    }

    @Test func orderComesFromSequenceNotInputOrder() {
        let versions = self.candidates(105).shuffled()
        let pruned = VersionRetention.versionsToPrune(versions, stages: StageMap())
        #expect(Set(pruned) == Set((1...5).map { "v\($0)" }))
    }

    @Test func neverReturnsALabelledVersion() {
        // Every other version labelled, and nothing kept: only deprecated ones may come back.
        var labels: [String: String] = [:]
        for index in stride(from: 2, through: 40, by: 2) { labels["L\(index)"] = "v\(index)" }
        let stages = StageMap(labels)
        let pruned = VersionRetention.versionsToPrune(self.candidates(40), stages: stages, keep: 0)
        #expect(Set(pruned) == Set(stride(from: 1, through: 39, by: 2).map { "v\($0)" }))
        #expect(pruned.allSatisfy { !stages.isLabelled($0) })
    }

    @Test func customKeepCount() {
        let pruned = VersionRetention.versionsToPrune(self.candidates(10), stages: StageMap(), keep: 3)
        #expect(Set(pruned) == Set((1...7).map { "v\($0)" }))
    }
}
