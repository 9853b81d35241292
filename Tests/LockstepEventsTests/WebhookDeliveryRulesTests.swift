import Crypto
import Foundation
import LockstepStore
import Testing

@testable import LockstepEvents

/// The pure rules of delivery: the signature, the backoff, the lease, the configuration.
@Suite struct WebhookDeliveryRulesTests {
    @Test func theSignatureIsHMACSHA256OfTimestampDotBody() {
        let secret = Data("0123456789abcdef-secret".utf8)
        let body = Data(#"{"id":"x"}"#.utf8)
        let header = WebhookSignature(secret: secret).sign(body, timestamp: 1_700_000_000)
        var message = Data("1700000000.".utf8)
        message.append(body)
        let expected = Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret))).map { String(format: "%02x", $0) }
            .joined()
        #expect(header == "v1=" + expected)
        let signature = WebhookSignature(secret: secret)
        let now = Date(timeIntervalSince1970: 1_700_000_100)
        #expect(signature.verify(header, body: body, timestamp: 1_700_000_000, now: now))
        #expect(!signature.verify(header, body: Data(#"{"id":"y"}"#.utf8), timestamp: 1_700_000_000, now: now))
        #expect(!signature.verify(header, body: body, timestamp: 1_700_000_001, now: now))
        // A replay long after: refused even with the right signature.
        #expect(!signature.verify(header, body: body, timestamp: 1_700_000_000, now: Date(timeIntervalSince1970: 1_700_001_000)))
        #expect(!WebhookSignature(secret: Data("another-secret-0123".utf8)).verify(header, body: body, timestamp: 1_700_000_000, now: now))
    }

    @Test func backoffDoublesUpToItsBoundWithHalfOfItJittered() {
        let backoff = DeliveryBackoff(initial: .milliseconds(500), maximum: .seconds(10))
        #expect(
            (1...7).map { backoff.ceiling(afterFailures: $0) } == [
                .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(10), .seconds(10),
            ]
        )
        #expect(backoff.ceiling(afterFailures: 10_000) == .seconds(10))
        #expect(backoff.delay(afterFailures: 3, random: 0) == .seconds(1))
        #expect(backoff.delay(afterFailures: 3, random: 1) == .seconds(2))
        #expect(backoff.delay(afterFailures: 3, random: 7) == .seconds(2))
    }

    @Test func oneOwnerHoldsALeaseUntilItRunsOutOrItsOwnerIsGone() throws {
        let now = Date(timeIntervalSince1970: 1_000)
        let made = try #require(WebhookLease.claim(nil, name: "ops", owner: "a", now: now, duration: 15, newest: 42))
        #expect(made.deliveredThrough == 42 && made.leaseOwner == "a" && made.leaseUntil == now.addingTimeInterval(15))
        #expect(WebhookLease.claim(made, name: "ops", owner: "b", now: now.addingTimeInterval(10), duration: 15, newest: 50) == nil)
        #expect(
            WebhookLease.claim(made, name: "ops", owner: "a", now: now.addingTimeInterval(10), duration: 15, newest: 50)?.leaseUntil
                == now.addingTimeInterval(25)
        )
        let taken = try #require(WebhookLease.claim(made, name: "ops", owner: "b", now: now.addingTimeInterval(16), duration: 15, newest: 50))
        #expect(taken.leaseOwner == "b" && taken.deliveredThrough == 42)
        #expect(
            WebhookLease.claim(made, name: "ops", owner: "b", now: now.addingTimeInterval(1), duration: 15, newest: 50, isGone: { $0 == "a" }) != nil
        )
        #expect(WebhookLease.holds(made, owner: "a", now: now.addingTimeInterval(14)))
        #expect(!WebhookLease.holds(made, owner: "a", now: now.addingTimeInterval(15)))
        #expect(WebhookLease.released(made, owner: "a").leaseOwner == nil)
        #expect(WebhookLease.released(made, owner: "b").leaseOwner == "a")
    }

    @Test func attemptsAreCountedUntilADeliveryMovesTheCursor() {
        let now = Date(timeIntervalSince1970: 1_000)
        let row = WebhookCursorRecord(name: "ops", deliveredThrough: 5, leaseOwner: "a", leaseUntil: now, seen: now)
        let failed = WebhookLease.failed(
            WebhookLease.failed(row, status: 500, error: "HTTP 500", now: now, duration: 15),
            status: nil,
            error: "refused",
            now: now,
            duration: 15
        )
        #expect(failed.attempts == 2 && failed.lastStatus == nil && failed.lastError == "refused")
        let delivered = WebhookLease.delivered(failed, through: 9, events: 2, status: 204, now: now, duration: 15)
        #expect(delivered.attempts == 0 && delivered.deliveredThrough == 9 && delivered.delivered == 2 && delivered.lastError == nil)
        // Never backwards (retention may have moved the cursor past the change being delivered).
        #expect(WebhookLease.delivered(delivered, through: 7, events: 1, status: 200, now: now, duration: 15).deliveredThrough == 9)
    }

    @Test func theStatusShowsLagAndFailures() {
        let now = Date(timeIntervalSince1970: 1_000)
        let row = WebhookCursorRecord(
            name: "ops",
            deliveredThrough: 5,
            leaseOwner: "a",
            leaseUntil: now.addingTimeInterval(5),
            seen: now,
            attempts: 3
        )
        let entry = EventsStatusEntry(row, newest: 9, oldestWaiting: now.addingTimeInterval(-30), now: now)
        #expect(entry.LagChanges == 4 && entry.LagSeconds == 30 && entry.State == "failing" && entry.Owner == "a")
        var idle = row
        idle.attempts = 0
        idle.leaseUntil = now.addingTimeInterval(-1)
        #expect(EventsStatusEntry(idle, newest: 5, oldestWaiting: nil, now: now).State == "idle")
    }

    @Test func theConfigurationReadsSecretsFromFilesOrTheEnvironmentOnly() throws {
        let text = """
            [delivery]
            initial_backoff_ms = 100
            max_backoff_ms = 2000

            [[webhook]]
            name = "ops"
            url = "https://hooks.example.com/path?token=x"
            secret_file = "/run/ops.secret"

            [[webhook]]
            name = "audit-2"
            url = "http://127.0.0.1:9000/"
            secret_env = "HOOK"
            """
        let configuration = try EventsConfiguration(toml: text, environment: ["HOOK": "an-env-secret-0123456"]) { path in
            #expect(path == "/run/ops.secret")
            return Data("a-file-secret-0123456\n".utf8)
        }
        #expect(configuration.endpoints.map(\.name) == ["ops", "audit-2"])
        #expect(configuration.endpoints[0].secret == Data("a-file-secret-0123456".utf8))
        #expect(configuration.backoff == DeliveryBackoff(initial: .milliseconds(100), maximum: .seconds(2)))
        // Its description never shows a secret or the URL's path and query.
        let shown = configuration.endpoints.map(\.description).joined()
        #expect(shown == "ops (https://hooks.example.com)audit-2 (http://127.0.0.1:9000)")

        func refused(_ text: String, _ needle: String) {
            #expect(throws: EventsConfiguration.Invalid.self) { try EventsConfiguration(toml: text, environment: [:]) { _ in Data("x".utf8) } }
            do {
                _ = try EventsConfiguration(toml: text, environment: [:]) { _ in Data("short".utf8) }
            } catch {
                #expect(error.description.contains(needle), "\(error.description)")
            }
        }
        refused("[[webhook]]\nname = \"a\"\nurl = \"http://h/\"\nsecret = \"inline-secret-0123456\"", "never written")
        refused("[[webhook]]\nname = \"a\"\nurl = \"ftp://h/\"\nsecret_file = \"f\"", "http")
        refused("[[webhook]]\nname = \"a b\"\nurl = \"http://h/\"\nsecret_file = \"f\"", "name")
        refused("[[webhook]]\nname = \"a\"\nurl = \"http://h/\"\nsecret_env = \"UNSET\"", "not set")
        refused("[[webhook]]\nname = \"a\"\nurl = \"http://h/\"\nsecret_file = \"f\"", "at least 16 bytes")
        refused("", "no [[webhook]]")
        let slowAttempts = "[delivery]\ntimeout_ms = 20000\n[[webhook]]\nname = \"a\"\nurl = \"http://h/\"\nsecret_file = \"f\""
        #expect(throws: EventsConfiguration.Invalid.self) {
            try EventsConfiguration(toml: slowAttempts, environment: [:]) { _ in Data("a-long-enough-secret".utf8) }
        }
    }
}
