import Foundation
import LockstepService
import Testing

@testable import LockstepServer

@Suite struct RotationGaugeTextTests {
    @Test func eachSecretGetsItsFourSeriesWithEscapedLabels() {
        let gauges = [
            RotationGauge(arn: "arn:a", name: "db/app", lastSuccess: Date(timeIntervalSince1970: 1_700_000_000), consecutiveFailures: 0, pendingSeconds: 0, next: nil),
            RotationGauge(arn: "arn:b", name: "odd\"name\\\n", lastSuccess: nil, consecutiveFailures: 3, pendingSeconds: 12.5, next: Date(timeIntervalSince1970: 1_800_000_000)),
        ]
        let text = RotationGaugeText.render(gauges)
        #expect(text.contains(#"lockstep_secret_rotation_last_success_timestamp_seconds{name="db/app",arn="arn:a"} 1700000000"#))
        #expect(text.contains(#"lockstep_secret_rotation_consecutive_failures{name="odd\"name\\\n",arn="arn:b"} 3"#))
        #expect(text.contains(#"lockstep_secret_rotation_pending_seconds{name="odd\"name\\\n",arn="arn:b"} 12.500"#))
        #expect(text.contains(#"lockstep_secret_rotation_next_timestamp_seconds{name="odd\"name\\\n",arn="arn:b"} 1800000000"#))
        // A value that doesn't exist has no sample rather than a made-up one.
        #expect(!text.contains(#"last_success_timestamp_seconds{name="odd"#) && !text.contains(#"next_timestamp_seconds{name="db/app""#))
        #expect(text.components(separatedBy: "# TYPE").count == 5)
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("lockstep") && $0.contains("\n") })
    }
}
