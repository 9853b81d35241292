import Foundation
import LockstepCore
import LockstepRotation
import LockstepService
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Leases of runners that died on this machine are freed at start-up; every other lease is left to expire.
@Suite struct LeaseOwnerTests {
    /// The pid of a process that has exited and been reaped (its number is free, as after a SIGKILL).
    static func deadPid() throws -> Int32 {
        try ProcessLaunch.run("/bin/true", [], environment: [:]).pid
    }

    static func owner(pid: Int32, host: String = ProcessInfo.processInfo.hostName, namespace: String? = nil) throws -> String {
        let mine = try #require(LeaseOwner(RotationEngine.makeOwner()))
        return "\(host):\(pid):abc:\(namespace ?? mine.namespace)"
    }

    @Test func anOwnerIsHostPidRandomAndPidNamespace() throws {
        let owner = try #require(LeaseOwner(RotationEngine.makeOwner()))
        #expect(owner.host == ProcessInfo.processInfo.hostName && owner.pid == getpid())
        #expect(LeaseOwner("runner-a") == nil && LeaseOwner("host:12:abc") == nil)
    }

    @Test func onlyAnExitedProcessOfThisHostAndNamespaceIsDead() throws {
        let dead = try Self.deadPid()
        #expect(try #require(LeaseOwner(try Self.owner(pid: dead))).isDeadLocalProcess)
        #expect(try #require(LeaseOwner(try Self.owner(pid: getppid()))).isDeadLocalProcess == false)  // alive
        #expect(try #require(LeaseOwner(try Self.owner(pid: getpid()))).isDeadLocalProcess == false)  // ourselves
        #expect(try #require(LeaseOwner(try Self.owner(pid: dead, host: "elsewhere"))).isDeadLocalProcess == false)
        #expect(try #require(LeaseOwner(try Self.owner(pid: dead, namespace: "1"))).isDeadLocalProcess == false)
    }

    @Test func aStartingEngineFreesOnlyTheLeasesOfDeadRunners() async throws {
        let harness = try RotationHarness()
        let manager = harness.manager(accepting: ["scripted"])
        for name in ["dead", "alive"] {
            _ = try await manager.createSecret(
                CreateSecretRequest(Name: name, ClientRequestToken: UUID().uuidString, SecretString: "v1"),
                context: harness.context
            )
            _ = try await manager.rotateSecret(
                RotateSecretRequest(SecretId: name, RotationLambdaARN: "scripted", RotationRules: RotationRulesType(AutomaticallyAfterDays: 30)),
                context: harness.context
            )
            let runner = name == "dead" ? try Self.owner(pid: try Self.deadPid()) : try Self.owner(pid: getppid())
            let claimed = try #require(try await manager.claimRotation(of: name, owner: runner, lease: 600, context: harness.context))
            _ = try await manager.recordStepStart(.createSecret, of: claimed, owner: runner, lease: 600)
        }
        let engine = RotationEngine(manager: manager, registry: RotatorRegistry([:]))
        #expect(try await engine.reclaimLeasesOfDeadRunners() == 1)
        #expect(try await harness.status(manager, "dead")?.LeaseOwner == nil)
        #expect(try await harness.status(manager, "alive")?.LeaseOwner != nil)
        // Freed means due now: this runner takes it at once instead of in 600 s.
        let claims = try await manager.claimDueRotations(owner: engine.owner, lease: 60)
        #expect(claims.map(\.secretName) == ["dead"])
        #expect(claims.first?.stepMayHaveRun == true)  // the dead runner had started createSecret
    }
}
