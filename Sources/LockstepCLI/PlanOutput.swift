import Foundation
import LockstepCore
import LockstepDatabase
import LockstepRotation

/// How `rotation plan` prints a ``RotationPlan``: a table for people, JSON for programs. Pure formatting.
enum PlanOutput {
    /// The plan as JSON (keys in the AWS style of the other commands' output).
    struct Document: Encodable {
        struct Check: Encodable {
            var Check: String
            var Status: String
            var Reason: String
        }

        struct Window: Encodable {
            var Start: String
            var End: String
        }

        var Name: String
        var ARN: String
        var RotationLambdaARN: String?
        var Result: String
        var Checks: [Check]
        var Schedule: String?
        var Windows: [Window]
    }

    static func document(_ plan: RotationPlan) -> Document {
        Document(
            Name: plan.name,
            ARN: plan.arn,
            RotationLambdaARN: plan.rotator,
            Result: plan.status.rawValue,
            Checks: plan.checks.map { Document.Check(Check: $0.check, Status: $0.status.rawValue, Reason: $0.reason) },
            Schedule: plan.schedule,
            Windows: plan.windows.map { Document.Window(Start: UTCDate.iso8601($0.start), End: UTCDate.iso8601($0.end)) }
        )
    }

    static func json(_ plan: RotationPlan) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(Self.document(plan)), as: UTF8.self)
    }

    /// One line per check (`pass  login  AWSCURRENT logs in as app@db:5432`), then the windows and the verdict.
    static func table(_ plan: RotationPlan) -> String {
        var lines = ["Rotation plan for \(plan.name) (\(plan.arn))", "Rotator: \(plan.rotator ?? "-")", ""]
        let width = max(5, plan.checks.map(\.check.count).max() ?? 0)
        lines.append("STATUS  " + "CHECK".padding(toLength: width, withPad: " ", startingAt: 0) + "  REASON")
        for check in plan.checks {
            let status = check.status.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)
            lines.append("\(status)  \(check.check.padding(toLength: width, withPad: " ", startingAt: 0))  \(check.reason)")
        }
        lines.append("")
        if plan.windows.isEmpty {
            lines.append("No rotation windows.")
        } else {
            lines.append("Next rotation windows (UTC, \(plan.schedule ?? "-")):")
            for window in plan.windows {
                lines.append("  \(UTCDate.iso8601(window.start)) to \(UTCDate.iso8601(window.end))")
            }
        }
        let failed = plan.checks.filter { $0.status == .fail }.count
        let warned = plan.checks.filter { $0.status == .warn }.count
        lines.append("")
        lines.append("Result: \(plan.status.rawValue) (\(failed) failed, \(warned) warning\(warned == 1 ? "" : "s"), \(plan.checks.count) checks)")
        return lines.joined(separator: "\n") + "\n"
    }
}
