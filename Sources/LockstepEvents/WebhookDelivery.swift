import AsyncHTTPClient
import Foundation
import LockstepCore
public import LockstepService
public import LockstepStore
public import Logging
import NIOCore
import NIOHTTP1
public import ServiceLifecycle

/// Delivers the change outbox to the configured webhook endpoints as EventBridge events (``EventBridgeShape``): one
/// event per request, signed (``WebhookSignature``), in the outbox's order per endpoint, at least once.
///
/// Each endpoint has a row in the store (``WebhookCursorRecord``): the last change delivered and a lease. A node
/// delivers an endpoint only while it holds the lease, claimed and renewed in write transactions (the store's
/// write lock serializes them across PostgreSQL nodes) and renewed before every request, so one node at a time
/// sends to an endpoint. The cursor moves in a write after the receiver's 2xx: a crash between the two sends that
/// change's events again after the restart, with the same ids. A failed attempt is recorded (status, error,
/// attempts), then retried after ``DeliveryBackoff``'s delay, forever: later changes wait behind it. Every write goes
/// through ``FaultPoint/webhookTransaction``, outside the crash matrix's count of `store.transaction`.
public struct WebhookDelivery: Service {
    let configuration: EventsConfiguration
    let store: any SecretStore
    let manager: SecretsManager
    let owner: String
    let isGone: @Sendable (String) -> Bool
    let logger: Logger

    /// - Parameters:
    ///   - configuration: the endpoints and delivery settings.
    ///   - store: the store holding the outbox and the cursors.
    ///   - manager: the service, whose change signal wakes an idle delivery as soon as a change commits.
    ///   - owner: this process's lease identity (unique per process).
    ///   - isGone: whether a lease's owner is a process of this machine that has died (its lease is taken at once).
    ///   - logger: where attempts that fail are reported (by endpoint name, never the URL's path or the secret).
    public init(
        configuration: EventsConfiguration,
        store: any SecretStore,
        manager: SecretsManager,
        owner: String,
        isGone: @escaping @Sendable (String) -> Bool = { _ in false },
        logger: Logger
    ) {
        self.configuration = configuration
        self.store = store
        self.manager = manager
        self.owner = owner
        self.isGone = isGone
        self.logger = logger
    }

    /// Makes the row of every configured endpoint that has none, at the newest change: a new endpoint receives the
    /// changes made from now on. Called before the server accepts requests, so none of theirs is missed.
    public func register() async throws {
        let names = self.configuration.endpoints.map(\.name)
        let now = Date()
        try await self.store.write(faultPoint: .webhookTransaction) { tx in
            let newest = try tx.changeFeedBounds().newest
            for name in names where try tx.webhookCursor(name: name) == nil {
                try tx.saveWebhookCursor(WebhookCursorRecord(name: name, deliveredThrough: newest, seen: now))
            }
        }
    }

    public func run() async throws {
        var client = HTTPClient.Configuration(redirectConfiguration: .disallow)
        let limit = TimeAmount.milliseconds(Int64(self.configuration.timeout / .milliseconds(1)))
        client.timeout = .init(connect: limit, read: limit)
        try await HTTPClient.withHTTPClient(configuration: client) { http in
            await cancelWhenGracefulShutdown {
                await withDiscardingTaskGroup { group in
                    for endpoint in self.configuration.endpoints {
                        let delivery = EndpointDelivery(
                            endpoint: endpoint,
                            settings: self.configuration,
                            store: self.store,
                            manager: self.manager,
                            http: http,
                            owner: self.owner,
                            isGone: self.isGone,
                            logger: self.logger
                        )
                        group.addTask { await delivery.run() }
                    }
                }
            }
        }
        // Outside the cancelled loops (a graceful shutdown cancels only them): free the leases, so another node takes
        // the endpoints over at once instead of after the lease runs out.
        await self.release()
    }

    /// Frees this process's leases.
    func release() async {
        let (names, owner) = (self.configuration.endpoints.map(\.name), self.owner)
        do {
            try await self.store.write(faultPoint: .webhookTransaction) { tx in
                for name in names {
                    guard let row = try tx.webhookCursor(name: name), row.leaseOwner == owner else { continue }
                    try tx.saveWebhookCursor(WebhookLease.released(row, owner: owner))
                }
            }
        } catch {
            self.logger.notice("webhook leases not freed at shutdown; they run out by themselves", metadata: ["error": "\(error)"])
        }
    }
}

/// One endpoint's delivery loop.
struct EndpointDelivery: Sendable {
    let endpoint: EventsConfiguration.Endpoint
    let settings: EventsConfiguration
    let store: any SecretStore
    let manager: SecretsManager
    let http: HTTPClient
    let owner: String
    let isGone: @Sendable (String) -> Bool
    let logger: Logger

    var metrics: WebhookMetrics { WebhookMetrics(webhook: self.endpoint.name) }
    var lease: TimeInterval { Double(self.settings.lease.components.seconds) }
    var timeout: TimeInterval { Double(self.settings.timeout / .milliseconds(1)) / 1_000 }

    /// The outcome of one attempt.
    struct Attempt {
        var status: Int?
        var error: String?
        var delivered: Bool { self.error == nil }
    }

    func run() async {
        while !Task.isCancelled {
            do {
                try await self.deliverWhileHolding()
            } catch is CancellationError {
                break
            } catch {
                self.logger.warning(
                    "webhook delivery: the store failed; trying again",
                    metadata: ["webhook": "\(self.endpoint.name)", "error": "\(error)"]
                )
            }
            // Not holding the lease (another node delivers this endpoint), or the store failed: look again soon.
            try? await Task.sleep(for: .seconds(min(2, max(self.lease / 4, 0.5))))
        }
    }

    /// Delivers while this process holds the endpoint's lease; returns when it doesn't (or never got it).
    private func deliverWhileHolding() async throws {
        guard var row = try await self.claim() else { return }
        while true {
            try Task.checkCancellation()
            let after = row.deliveredThrough
            let rings = self.manager.changeRings
            let (changes, bounds) = try await self.store.read { tx in (try tx.changes(after: after, limit: 64), try tx.changeFeedBounds()) }
            self.metrics.standing(deliveredThrough: row.deliveredThrough, newest: bounds.newest, failures: row.attempts, lost: row.lost)
            if bounds.prunedThrough > row.deliveredThrough {
                // Retention went past this endpoint's cursor (and moved it, counting the changes lost): read it again.
                guard let claimed = try await self.claim() else { return }
                row = claimed
                continue
            }
            if changes.isEmpty {
                if let until = row.leaseUntil, until.timeIntervalSinceNow < self.lease * 2 / 3 {
                    guard let claimed = try await self.claim() else { return }
                    row = claimed
                }
                await self.manager.waitForChanges(upTo: .milliseconds(Int64(min(self.lease / 3, 1) * 1_000)), after: rings)
                continue
            }
            for change in changes {
                var status: Int?
                let events = EventBridgeShape.events(for: change)
                for event in events {
                    while true {
                        guard let held = try await self.ensureLease(row) else { return }
                        row = held
                        let attempt = await self.post(event)
                        self.metrics.attempt(delivered: attempt.delivered)
                        if attempt.delivered {
                            status = attempt.status
                            break
                        }
                        guard let failed = try await self.recordFailure(attempt) else { return }
                        row = failed
                        self.logger.warning(
                            "webhook delivery failed; retrying",
                            metadata: [
                                "webhook": "\(self.endpoint.name)", "event": "\(event.id)", "attempts": "\(row.attempts)",
                                "error": "\(attempt.error ?? "-")",
                            ]
                        )
                        let delay = self.settings.backoff.delay(afterFailures: Int(row.attempts), random: Double.random(in: 0...1))
                        guard let slept = try await self.sleepHolding(delay, row) else { return }
                        row = slept
                    }
                }
                guard let delivered = try await self.recordDelivered(change.sequence, events: events.count, status: status) else { return }
                row = delivered
            }
        }
    }

    /// One signed POST of `event`.
    private func post(_ event: WebhookEvent) async -> Attempt {
        let timestamp = Int64(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: self.endpoint.url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "lockstep-events/1")
        request.headers.add(name: "Lockstep-Webhook", value: self.endpoint.name)
        request.headers.add(name: WebhookSignature.eventIDHeader, value: event.id)
        request.headers.add(name: WebhookSignature.timestampHeader, value: String(timestamp))
        request.headers.add(name: WebhookSignature.signatureHeader, value: self.endpoint.signature.sign(event.body, timestamp: timestamp))
        request.body = .bytes(ByteBuffer(bytes: event.body))
        do {
            let response = try await self.http.execute(request, timeout: .milliseconds(Int64(self.timeout * 1_000)))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let code = Int(response.status.code)
            guard (200..<300).contains(code) else { return Attempt(status: code, error: "HTTP \(code)") }
            return Attempt(status: code, error: nil)
        } catch {
            // AsyncHTTPClient's errors name what failed (connect, timeout, TLS), not the URL.
            return Attempt(status: nil, error: String(describing: error))
        }
    }

    /// Claims or renews the lease; nil when another node holds it.
    private func claim() async throws -> WebhookCursorRecord? {
        let (name, owner, lease, isGone) = (self.endpoint.name, self.owner, self.lease, self.isGone)
        let (claimed, row, newest) = try await self.store.write(faultPoint: .webhookTransaction) { tx in
            let existing = try tx.webhookCursor(name: name)
            let newest = try tx.changeFeedBounds().newest
            guard let claimed = WebhookLease.claim(existing, name: name, owner: owner, now: Date(), duration: lease, newest: newest, isGone: isGone)
            else { return (false, existing, newest) }
            try tx.saveWebhookCursor(claimed)
            return (true, claimed, newest)
        }
        if let row { self.metrics.standing(deliveredThrough: row.deliveredThrough, newest: newest, failures: row.attempts, lost: row.lost) }
        return claimed ? row : nil
    }

    /// Renews the lease when what is left of it might not cover an attempt.
    private func ensureLease(_ row: WebhookCursorRecord) async throws -> WebhookCursorRecord? {
        guard let until = row.leaseUntil, until.timeIntervalSinceNow > self.timeout + 2 else { return try await self.claim() }
        return row
    }

    /// Waits `delay`, renewing the lease as it goes; nil when it was lost meanwhile.
    private func sleepHolding(_ delay: Duration, _ row: WebhookCursorRecord) async throws -> WebhookCursorRecord? {
        var row = row
        let clock = ContinuousClock()
        let deadline = clock.now + delay
        let step = Duration.milliseconds(Int64(self.lease / 3 * 1_000))
        while clock.now < deadline {
            try await Task.sleep(for: min(step, deadline - clock.now))
            guard let renewed = try await self.claim() else { return nil }
            row = renewed
        }
        return row
    }

    /// Writes an attempt's result when the lease is still this process's (or free): nil otherwise.
    private func update(_ change: @escaping @Sendable (WebhookCursorRecord, Date) -> WebhookCursorRecord) async throws -> WebhookCursorRecord? {
        let (name, owner, lease, isGone) = (self.endpoint.name, self.owner, self.lease, self.isGone)
        let result = try await self.store.write(faultPoint: .webhookTransaction) { tx -> (WebhookCursorRecord, Int64)? in
            let now = Date()
            let newest = try tx.changeFeedBounds().newest
            guard
                let held = WebhookLease.claim(
                    try tx.webhookCursor(name: name),
                    name: name,
                    owner: owner,
                    now: now,
                    duration: lease,
                    newest: newest,
                    isGone: isGone
                )
            else { return nil }
            let row = change(held, now)
            try tx.saveWebhookCursor(row)
            return (row, newest)
        }
        guard let (row, newest) = result else { return nil }
        self.metrics.standing(deliveredThrough: row.deliveredThrough, newest: newest, failures: row.attempts, lost: row.lost)
        return row
    }

    private func recordFailure(_ attempt: Attempt) async throws -> WebhookCursorRecord? {
        let lease = self.lease
        return try await self.update { row, now in
            WebhookLease.failed(row, status: attempt.status, error: attempt.error ?? "failed", now: now, duration: lease)
        }
    }

    private func recordDelivered(_ sequence: Int64, events: Int, status: Int?) async throws -> WebhookCursorRecord? {
        let lease = self.lease
        return try await self.update { row, now in
            WebhookLease.delivered(row, through: sequence, events: events, status: status, now: now, duration: lease)
        }
    }
}
