import Foundation
import LockstepService

/// The per-secret rotation gauges in Prometheus's text format, read from the store at each scrape (so every node of a
/// shared store shows the same values, and a deleted secret's series go with it). Labels `name` and `arn`, escaped as
/// the format asks.
enum RotationGaugeText {
    /// At most this many secrets get series; `serve --no-rotation-secret-metrics` turns them off.
    static let limit = 10_000

    static func render(_ gauges: [RotationGauge]) -> String {
        var text = ""
        func family(_ name: String, _ help: String, _ value: (RotationGauge) -> Double?) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for gauge in gauges {
                guard let number = value(gauge) else { continue }
                text += "\(name){name=\"\(Self.escaped(gauge.name))\",arn=\"\(Self.escaped(gauge.arn))\"} \(Self.format(number))\n"
            }
        }
        family(
            "lockstep_secret_rotation_last_success_timestamp_seconds",
            "When the secret's last successful rotation finished (LastRotatedDate), seconds since 1970.",
            { $0.lastSuccess?.timeIntervalSince1970 }
        )
        family(
            "lockstep_secret_rotation_consecutive_failures",
            "Rotations of the secret that failed for good since its last success.",
            { Double($0.consecutiveFailures) }
        )
        family(
            "lockstep_secret_rotation_pending_seconds",
            "How long the secret's unfinished rotation has been running (its AWSPENDING version waiting); 0 when none.",
            { $0.pendingSeconds }
        )
        family(
            "lockstep_secret_rotation_next_timestamp_seconds",
            "When the secret's next rotation is scheduled (NextRotationDate), seconds since 1970.",
            { $0.next?.timeIntervalSince1970 }
        )
        return text
    }

    /// Backslash, double quote and line feed escaped (Prometheus text format, label values).
    static func escaped(_ value: String) -> String {
        var result = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.3f", value)
    }
}
