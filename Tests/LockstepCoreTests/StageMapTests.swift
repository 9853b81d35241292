import LockstepCore
import Testing

private let current = StagingLabel.current
private let pending = StagingLabel.pending
private let previous = StagingLabel.previous

/// Every label appears in exactly one version's list (the invariant of spec §3.1.2).
private func expectEachLabelOnOneVersion(_ map: StageMap, sourceLocation: SourceLocation = #_sourceLocation) {
    let all = map.labelsByVersion.values.flatMap { $0 }
    #expect(all.count == Set(all).count, "a label sits on two versions: \(map.labelsByVersion)", sourceLocation: sourceLocation)
    #expect(Set(all) == Set(map.versionByLabel.keys), sourceLocation: sourceLocation)
}

@Suite struct StageMapNewVersionTests {
    @Test func firstVersionGetsCurrentByDefault() throws {
        var map = StageMap()
        try map.labelNewVersion("v1", requested: nil)
        #expect(map.labelsByVersion == ["v1": [current]])
        #expect(map.version(for: current) == "v1")
    }

    @Test func firstVersionGetsCurrentWhateverWasAsked() throws {
        var map = StageMap()
        try map.labelNewVersion("v1", requested: ["CUSTOM"])
        #expect(map.labels(of: "v1") == [current, "CUSTOM"])

        var pendingOnly = StageMap()
        try pendingOnly.labelNewVersion("v1", requested: [pending])
        #expect(pendingOnly.labels(of: "v1") == [current, pending])
    }

    @Test func putMovesCurrentAndPrevious() throws {
        var map = StageMap()
        try map.labelNewVersion("v1", requested: nil)
        try map.labelNewVersion("v2", requested: nil)
        #expect(map.labelsByVersion == ["v1": [previous], "v2": [current]])

        try map.labelNewVersion("v3", requested: nil)
        #expect(map.labelsByVersion == ["v2": [previous], "v3": [current]])
        #expect(!map.isLabelled("v1"), "the old previous loses AWSPREVIOUS and becomes deprecated")
        #expect(map.isLabelled("v2"))
        expectEachLabelOnOneVersion(map)
    }

    @Test func demotedCurrentLosesPending() throws {
        // Spec §3.2: {v2:[AWSCURRENT,AWSPENDING]} -> put v3 -> {v2:[AWSPREVIOUS], v3:[AWSCURRENT]}.
        var map = StageMap([current: "v2", pending: "v2"])
        try map.labelNewVersion("v3", requested: nil)
        #expect(map.labelsByVersion == ["v2": [previous], "v3": [current]])
    }

    @Test func pendingOnAnotherVersionStaysWhenCurrentMoves() throws {
        var map = StageMap([current: "v1", pending: "v2"])
        try map.labelNewVersion("v3", requested: nil)
        #expect(map.labelsByVersion == ["v1": [previous], "v2": [pending], "v3": [current]])
    }

    @Test func customLabelsNeverMoveImplicitly() throws {
        var map = StageMap([current: "v1", "CUSTOM": "v1", "OTHER": "v0"])
        try map.labelNewVersion("v2", requested: nil)
        #expect(map.labels(of: "v1") == [previous, "CUSTOM"])
        #expect(map.labels(of: "v2") == [current])
        #expect(map.labels(of: "v0") == ["OTHER"])
    }

    @Test func requestedLabelsMoveAndCurrentIsUntouchedUnlessListed() throws {
        var map = StageMap([current: "v1", pending: "v2"])
        try map.labelNewVersion("v3", requested: [pending])
        #expect(map.labelsByVersion == ["v1": [current], "v3": [pending]])
        #expect(map.version(for: previous) == nil)
        #expect(!map.isLabelled("v2"), "a version stripped of its last label is deprecated")
    }

    @Test func requestedCurrentAppliesThePreviousRule() throws {
        var map = StageMap([current: "v1", pending: "v1", "CUSTOM": "v0"])
        try map.labelNewVersion("v2", requested: [current, "CUSTOM"])
        #expect(map.labelsByVersion == ["v1": [previous], "v2": [current, "CUSTOM"]])
    }

    @Test func duplicateRequestedLabelsCountOnce() throws {
        var map = StageMap([current: "v1"])
        try map.labelNewVersion("v2", requested: Array(repeating: "A", count: 25))
        #expect(map.labels(of: "v2") == ["A"])
    }

    @Test func atMostTwentyLabelsPerVersion() throws {
        var map = StageMap([current: "v1"])
        let twenty = (1...20).map { "L\($0)" }
        try map.labelNewVersion("v2", requested: twenty)
        #expect(map.labels(of: "v2").count == 20)

        let before = map
        expectError(.limitExceeded) { try map.labelNewVersion("v3", requested: twenty + ["L21"]) }
        #expect(map == before, "a failed mutation leaves the map unchanged")
    }

    @Test func implicitCurrentCountsTowardsTheLimit() {
        var map = StageMap()
        expectError(.limitExceeded) { try map.labelNewVersion("v1", requested: (1...20).map { "L\($0)" }) }
        #expect(map == StageMap())
    }

    @Test(arguments: ["", String(repeating: "x", count: 257)])
    func invalidLabelIsRejectedAndMapUnchanged(label: String) {
        var map = StageMap([current: "v1", pending: "v1"])
        let before = map
        expectError(.validation) { try map.labelNewVersion("v2", requested: [current, label]) }
        #expect(map == before)
    }

    @Test func longestLabelIsAccepted() throws {
        var map = StageMap([current: "v1"])
        let label = String(repeating: "x", count: 256)
        try map.labelNewVersion("v2", requested: [label])
        #expect(map.version(for: label) == "v2")
    }
}

@Suite struct StageMapUpdateStageTests {
    @Test func movingCurrentMovesPreviousAndStripsPendingFromDemoted() throws {
        var map = StageMap([current: "v2", pending: "v2", previous: "v1"])
        try map.updateStage(current, moveTo: "v3", removeFrom: "v2")
        #expect(map.labelsByVersion == ["v2": [previous], "v3": [current]])
        expectEachLabelOnOneVersion(map)
    }

    @Test func targetKeepsItsPendingWhenCurrentArrives() throws {
        // Rotation's finishSecret step: AWSCURRENT moves onto the pending version.
        var map = StageMap([current: "v1", pending: "v2"])
        try map.updateStage(current, moveTo: "v2", removeFrom: "v1")
        #expect(map.labelsByVersion == ["v1": [previous], "v2": [current, pending]])
    }

    @Test func movingCurrentBackOntoPreviousHolder() throws {
        var map = StageMap([current: "v2", previous: "v1"])
        try map.updateStage(current, moveTo: "v1", removeFrom: "v2")
        #expect(map.labelsByVersion == ["v1": [current], "v2": [previous]])
    }

    @Test func movingCustomLabelLeavesOtherLabelsAlone() throws {
        var map = StageMap([current: "v2", previous: "v1", "CUSTOM": "v2"])
        try map.updateStage("CUSTOM", moveTo: "v1", removeFrom: "v2")
        #expect(map.labelsByVersion == ["v1": [previous, "CUSTOM"], "v2": [current]])
    }

    @Test func attachingAnUnattachedLabelNeedsNoRemoveFrom() throws {
        var map = StageMap([current: "v1"])
        try map.updateStage("NEW", moveTo: "v1", removeFrom: nil)
        #expect(map.labels(of: "v1") == [current, "NEW"])
    }

    @Test func removeFromIsRequiredWhenLabelIsAttachedElsewhere() {
        var map = StageMap([current: "v1", "CUSTOM": "v1"])
        let before = map
        let error = expectError(.invalidParameter) { try map.updateStage(current, moveTo: "v2", removeFrom: nil) }
        #expect(
            error?.message
                == "The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version v1, so you must explicitly reference that version in RemoveFromVersionId."
        )
        expectError(.invalidParameter) { try map.updateStage("CUSTOM", moveTo: "v2", removeFrom: nil) }
        #expect(map == before)
    }

    @Test func wrongRemoveFromIsRejected() {
        var map = StageMap([current: "v1", previous: "v0"])
        let before = map
        expectError(.invalidParameter) { try map.updateStage(current, moveTo: "v2", removeFrom: "v0") }
        expectError(.invalidParameter) { try map.updateStage(current, moveTo: nil, removeFrom: "v0") }
        #expect(map == before)
    }

    @Test func removeFromForALabelAttachedNowhereIsRejected() {
        var map = StageMap([current: "v1"])
        let before = map
        expectError(.invalidParameter) { try map.updateStage("CUSTOM", moveTo: "v1", removeFrom: "v1") }
        expectError(.invalidParameter) { try map.updateStage("CUSTOM", moveTo: nil, removeFrom: "v1") }
        #expect(map == before)
    }

    @Test func detachingCurrentWithoutMovingItIsRejected() {
        var map = StageMap([current: "v1", previous: "v0"])
        let before = map
        expectError(.invalidParameter) { try map.updateStage(current, moveTo: nil, removeFrom: "v1") }
        #expect(map == before)
    }

    @Test func neitherMoveToNorRemoveFromIsRejected() {
        var map = StageMap([current: "v1", "CUSTOM": "v1"])
        let before = map
        expectError(.invalidParameter) { try map.updateStage("CUSTOM", moveTo: nil, removeFrom: nil) }
        #expect(map == before)
    }

    @Test func detachingACustomLabelCanDeprecateTheVersion() throws {
        var map = StageMap([current: "v2", "CUSTOM": "v1"])
        try map.updateStage("CUSTOM", moveTo: nil, removeFrom: "v1")
        #expect(map.version(for: "CUSTOM") == nil)
        #expect(!map.isLabelled("v1"))
        #expect(map.labelsByVersion == ["v2": [current]])
    }

    @Test func detachingPendingWorks() throws {
        var map = StageMap([current: "v1", pending: "v2"])
        try map.updateStage(pending, moveTo: nil, removeFrom: "v2")
        #expect(map.labelsByVersion == ["v1": [current]])
    }

    @Test func moveToTheCurrentHolderIsANoOp() throws {
        let start = StageMap([current: "v1", pending: "v1", previous: "v0"])
        var map = start
        try map.updateStage(current, moveTo: "v1", removeFrom: nil)
        #expect(map == start)
        try map.updateStage(current, moveTo: "v1", removeFrom: "v1")
        #expect(map == start, "AWSPREVIOUS must not land on the version that keeps AWSCURRENT")
    }

    @Test func limitAppliesToTheTargetVersion() throws {
        var labels = [current: "v1"]
        for index in 1...19 { labels["L\(index)"] = "v1" }
        var map = StageMap(labels)
        #expect(map.labels(of: "v1").count == 20)
        let before = map
        expectError(.limitExceeded) { try map.updateStage("L20", moveTo: "v1", removeFrom: nil) }
        #expect(map == before)
        // Re-attaching a label the version already has is not a new label.
        try map.updateStage("L1", moveTo: "v1", removeFrom: "v1")
        #expect(map == before)
        // Other versions are not affected by the full one.
        try map.updateStage("L20", moveTo: "v2", removeFrom: nil)
        #expect(map.labels(of: "v2") == ["L20"])
    }

    @Test(arguments: ["", String(repeating: "y", count: 257)])
    func invalidLabelIsRejected(label: String) {
        var map = StageMap([current: "v1"])
        expectError(.validation) { try map.updateStage(label, moveTo: "v1", removeFrom: nil) }
        #expect(map == StageMap([current: "v1"]))
    }
}

@Suite struct StageMapReadTests {
    @Test func labelsAreOrderedWellKnownFirst() {
        let map = StageMap(["zeta": "v1", previous: "v1", "alpha": "v1", current: "v1", pending: "v1"])
        #expect(map.labels(of: "v1") == [current, pending, previous, "alpha", "zeta"])
        #expect(map.labelsByVersion == ["v1": [current, pending, previous, "alpha", "zeta"]])
    }

    @Test func unknownVersionHasNoLabels() {
        let map = StageMap([current: "v1"])
        #expect(map.labels(of: "v9").isEmpty)
        #expect(!map.isLabelled("v9"))
        #expect(map.labelsByVersion["v9"] == nil)
    }

    @Test func removeLabelDetachesWhereverItSits() {
        var map = StageMap([current: "v1", pending: "v2"])
        map.removeLabel(pending)
        #expect(map.labelsByVersion == ["v1": [current]])
        map.removeLabel("ABSENT")
        #expect(map.labelsByVersion == ["v1": [current]])
    }

    @Test func aLabelSitsOnOneVersionThroughAnyHistory() throws {
        var map = StageMap()
        try map.labelNewVersion("v1", requested: ["A", "B"])
        try map.labelNewVersion("v2", requested: ["A", pending])
        try map.updateStage("B", moveTo: "v2", removeFrom: "v1")
        try map.labelNewVersion("v3", requested: nil)
        try map.updateStage(current, moveTo: "v1", removeFrom: "v3")
        try map.labelNewVersion("v4", requested: [pending, "B"])
        expectEachLabelOnOneVersion(map)
        #expect(map.version(for: current) == "v1")
        #expect(map.version(for: previous) == "v3")
        #expect(map.version(for: pending) == "v4")
        #expect(map.version(for: "B") == "v4")
        #expect(map.version(for: "A") == "v2")
    }
}
