import CoreMetrics

/// The webhooks' Prometheus series (through swift-metrics; `serve` exports them on `/metrics`), labelled only by the
/// configured endpoint names and fixed words, so no event or receiver can add series:
/// - `lockstep_webhook_attempts_total{webhook, result}`: attempts, `delivered` (a 2xx) or `failed`;
/// - `lockstep_webhook_consecutive_failures{webhook}`: failed attempts at the event now waiting (0 when flowing);
/// - `lockstep_webhook_lag_changes{webhook}`: changes in the outbox not yet delivered to the endpoint;
/// - `lockstep_webhook_delivered_through{webhook}`: the last change delivered (its sequence);
/// - `lockstep_webhook_lost_changes{webhook}`: changes retention removed before the endpoint had them.
struct WebhookMetrics: Sendable {
    let webhook: String

    func attempt(delivered: Bool) {
        Counter(label: "lockstep_webhook_attempts_total", dimensions: [("webhook", self.webhook), ("result", delivered ? "delivered" : "failed")])
            .increment()
    }

    func standing(deliveredThrough: Int64, newest: Int64, failures: Int64, lost: Int64) {
        Gauge(label: "lockstep_webhook_consecutive_failures", dimensions: [("webhook", self.webhook)]).record(failures)
        Gauge(label: "lockstep_webhook_lag_changes", dimensions: [("webhook", self.webhook)]).record(max(newest - deliveredThrough, 0))
        Gauge(label: "lockstep_webhook_delivered_through", dimensions: [("webhook", self.webhook)]).record(deliveredThrough)
        Gauge(label: "lockstep_webhook_lost_changes", dimensions: [("webhook", self.webhook)]).record(lost)
    }
}
