import CoreMetrics
import Foundation
import LockstepCore

/// The engine's Prometheus series (through swift-metrics; `serve` exports them on `/metrics`):
/// - `lockstep_rotations_total{result, rotator}`: runs ended, by how (`succeeded`, `failed`, `retrying`, `paused`,
///   `lost`) and by rotator;
/// - `lockstep_rotation_step_duration_seconds{step, rotator, result}`: each step's rotator call (`ok` or `failed`).
///
/// Every label value comes from a fixed set: the outcomes, the four steps, and the rotator names this process has
/// installed (the built-ins and its rotators directory), `unknown` for any other RotationLambdaARN a secret names. So
/// no secret or request can add series.
struct RotationMetrics: Sendable {
    /// nil: the process's metrics system as it is at each use (`serve` bootstraps it after building the engine).
    let explicitFactory: (any MetricsFactory)?
    let rotators: Set<String>

    var factory: any MetricsFactory { self.explicitFactory ?? MetricsSystem.factory }

    static let unknownRotator = "unknown"

    /// The rotator label of a RotationLambdaARN: its function name when installed here, ``unknownRotator`` otherwise.
    func rotator(_ reference: String) -> String {
        guard let name = RotatorRegistry.functionName(reference), self.rotators.contains(name) else { return Self.unknownRotator }
        return name
    }

    func finished(_ outcome: RotationOutcome, rotator reference: String) {
        let result =
            switch outcome {
            case .succeeded: "succeeded"
            case .failed: "failed"
            case .waiting: "retrying"
            case .paused: "paused"
            case .lost: "lost"
            }
        Counter(label: "lockstep_rotations_total", dimensions: [("result", result), ("rotator", self.rotator(reference))], factory: self.factory)
            .increment()
    }

    func step(_ step: RotationStep, rotator reference: String, failed: Bool, nanoseconds: UInt64) {
        Timer(
            label: "lockstep_rotation_step_duration_seconds",
            dimensions: [("step", step.rawValue), ("rotator", self.rotator(reference)), ("result", failed ? "failed" : "ok")],
            factory: self.factory
        ).recordNanoseconds(Int64(clamping: nanoseconds))
    }
}
