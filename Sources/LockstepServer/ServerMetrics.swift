import CoreMetrics
import Foundation
import LockstepService
import Metrics
import Prometheus
import Synchronization

/// Prometheus metrics of the API: requests by operation and error code, and a latency histogram.
///
/// Every label value comes from a fixed set: the operation is one the server implements (``operations``), `-` for a
/// request without one, or `unknown` for anything else, whatever the request said; the code is one of our error
/// codes. So no request, signed or not, can add a series.
///
/// `MetricsSystem` can be bootstrapped once per process; the registry is shared by every server in it (tests run
/// several).
public final class ServerMetrics: Sendable {
    public static let shared = ServerMetrics()

    let registry = PrometheusCollectorRegistry()
    private let bootstrapped = Mutex(false)

    private struct Series: Hashable {
        var operation: String
        var code: String
    }

    /// Metric handles by series: making one through the factory costs a registry lookup, reusing it doesn't.
    private let counters = Mutex<[Series: CoreMetrics.Counter]>([:])
    private let timers = Mutex<[String: Metrics.Timer]>([:])

    private init() {}

    /// The operation labels: every Secrets Manager operation the dispatcher implements and the STS actions served.
    public static let operations: Set<String> = Set(OperationDispatcher.operations).union(APIHandler.stsActions)
    /// The label of every other operation name.
    public static let unknownOperation = "unknown"

    /// The label for a request's operation: itself when known, `-` when absent, ``unknownOperation`` otherwise.
    static func label(forOperation operation: String) -> String {
        if operation == "-" || Self.operations.contains(operation) { return operation }
        return Self.unknownOperation
    }

    /// Makes swift-metrics report to ``registry`` (once).
    public func bootstrap() {
        self.bootstrapped.withLock { done in
            guard !done else { return }
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: self.registry))
            done = true
        }
    }

    func record(operation: String, errorCode: String?, nanoseconds: UInt64) {
        let operation = Self.label(forOperation: operation)
        let series = Series(operation: operation, code: errorCode ?? "OK")
        let counter = self.counters.withLock { counters in
            if let counter = counters[series] { return counter }
            let counter = CoreMetrics.Counter(label: "lockstep_requests_total", dimensions: [("operation", series.operation), ("code", series.code)])
            counters[series] = counter
            return counter
        }
        counter.increment()
        let timer = self.timers.withLock { timers in
            if let timer = timers[operation] { return timer }
            let timer = Metrics.Timer(label: "lockstep_request_duration_seconds", dimensions: [("operation", operation)])
            timers[operation] = timer
            return timer
        }
        timer.recordNanoseconds(Int64(nanoseconds))
    }

    /// The Prometheus text exposition.
    func render() -> String {
        var buffer: [UInt8] = []
        self.registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
