public import Crypto
public import Foundation
import LockstepCore
public import LockstepStore
public import Logging
public import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The audit log: every API call and lifecycle event becomes a hash-chained CloudTrail record in the audit store
/// (its own file, `audit.db`, apart from the secrets).
///
/// Two ways to record, one per kind of call:
/// - ``recordDurably(_:)`` (calls that change something) returns once the record is committed: a call is never
///   acknowledged before its record is durable. Concurrent callers share commits: whoever finds no batch being
///   written writes everything queued (reads' records too), the others wait for that commit.
/// - ``record(_:)`` (reads, lifecycle events) puts the event on a bounded in-memory queue and returns at once. The
///   log's ``run()`` (a `Service` in `lockstep serve`) writes queued events in batches, at most
///   ``Configuration/batchInterval`` after the first of a quiet spell, so GetSecretValue pays a queue append rather
///   than an fsync; a crash loses at most that window of reads' records. When the queue is full, events are counted
///   and dropped, and the next batch records an `AuditRecordsDropped` event with the count, so a loss is itself on
///   the record.
///
/// Batches commit in queue order, one writer at a time, one store transaction each. One-shot processes (the CLI)
/// call ``flush()`` before they exit.
public final class AuditLog: Service, Sendable {
    public struct Configuration: Sendable {
        /// Events held in memory at most.
        public var queueCapacity = 100_000
        /// Events per store transaction at most.
        public var batchSize = 1_000
        /// After the first event of a quiet spell, wait this long for more before writing, so records share an fsync.
        public var batchInterval: Duration = .milliseconds(25)
        /// Also append every record as one JSON line to this file.
        public var jsonLinesPath: String?
        /// Run this shell command for each notification ("Secret Label Updated", RotationFailed), the
        /// EventBridge-shaped event JSON on its stdin.
        public var notifyCommand: String?
        /// A notification command still running after this long is terminated.
        public var notifyTimeout: TimeInterval = 10
        /// Write signed digests here (`lockstep serve`: at ``digestInterval`` and on shutdown).
        public var digestDirectory: String?
        public var digestInterval: Duration = .seconds(3600)
        /// This node's name in digests and segment seals, and the name its signing key is derived for.
        public var node = AuditLog.Configuration.defaultNode
        /// Export records older than this into ``exportDirectory`` (checked every minute); nil keeps everything live.
        public var retention: Duration?
        public var exportDirectory: String?
        /// How often the server looks for work besides writing: records to copy, a digest or retention that is due.
        public var maintenanceInterval: Duration = .seconds(1)

        /// The host name (`gethostname`, no DNS lookup), reduced to the characters a node name may hold.
        public static var defaultNode: String {
            var buffer = [CChar](repeating: 0, count: 256)
            guard gethostname(&buffer, buffer.count - 1) == 0 else { return "lockstep" }
            let host = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let name = String(host.prefix(64).map { AuditDigest.isValidNode(String($0)) ? $0 : "-" })
            return AuditDigest.isValidNode(name) ? name : "lockstep"
        }

        public init(jsonLinesPath: String? = nil, notifyCommand: String? = nil) {
            self.jsonLinesPath = jsonLinesPath
            self.notifyCommand = notifyCommand
        }
    }

    private struct Queue {
        var events: [AuditEvent] = []
        var dropped = 0
        /// Events ever queued, and how many of them are written: the n-th (from 1) is durable once `written >= n`.
        var queued = 0
        var written = 0
        /// A batch is being written; other writers wait for it (`waiters`), so batches commit in queue order.
        var writing = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// How long ``recordDurably(_:)`` keeps retrying a failing store before it gives up.
    static let durableRetryLimit: Duration = .seconds(5)

    public let chain: AuditChain
    let store: any AuditStore
    let configuration: Configuration
    public let signingKeys: AuditSigningKeys?
    let maintenance: Mutex<Maintenance>
    private let queue = Mutex(Queue())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    let sinks: AuditSinks
    let logger: Logger
    private let eventIDs = SequentialUUIDs()

    /// - Parameters:
    ///   - signingKeys: the nodes' digest keys (nil: no digests or exports).
    public init(
        store: any AuditStore,
        key: SymmetricKey,
        signingKeys: AuditSigningKeys? = nil,
        configuration: Configuration = .init(),
        logger: Logger = Logger(label: "lockstep.audit")
    ) {
        self.store = store
        self.signingKeys = signingKeys
        self.maintenance = Mutex(Maintenance(nextDigest: .now, nextRetention: .now))
        self.chain = AuditChain(key: key)
        self.configuration = configuration
        (self.wakeups, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.sinks = AuditSinks(configuration: configuration, logger: logger)
        self.logger = logger
    }

    /// Queues an event; returns at once.
    public func record(_ event: AuditEvent) {
        let capacity = self.configuration.queueCapacity
        self.queue.withLock { queue in
            if queue.events.count >= capacity {
                queue.dropped += 1
            } else {
                queue.events.append(event)
                queue.queued += 1
            }
        }
        self.wake.yield()
    }

    /// Records an event and returns once it is committed to the audit store (with whatever else was queued).
    ///
    /// The event is queued even when the queue is full (each caller waits, so these are bounded by the calls in
    /// flight). A failing store is retried for up to 5 s.
    ///
    /// - Throws: the store's error when the record could not be committed in that time; it stays queued, and
    ///   ``run()`` writes it once the store recovers.
    public func recordDurably(_ event: AuditEvent) async throws {
        let ticket = self.queue.withLock { queue in
            queue.events.append(event)
            queue.queued += 1
            return queue.queued
        }
        let deadline = ContinuousClock.now + Self.durableRetryLimit
        var delay = Duration.milliseconds(20)
        while true {
            do {
                return try await self.writeQueued(through: ticket)
            } catch {
                guard ContinuousClock.now + delay < deadline else { throw error }
                try? await Task.sleep(for: delay)
                // At most a quarter second apart: a database back from a restart is written to at once.
                delay = min(delay * 2, .milliseconds(250))
            }
        }
    }

    /// Records a lifecycle event of a secret (the rotation engine and the deletion paths call this).
    ///
    /// - Parameters:
    ///   - event: which event.
    ///   - secretARN: the secret's ARN.
    ///   - region: the secret's region.
    ///   - account: the secret's account.
    ///   - errorCode: for failures, a short code (e.g. the failed step's error class).
    ///   - errorMessage: for failures, a message; it must already be scrubbed of anything password-like.
    ///   - versionId: the version a deletion event is about.
    ///   - requestID: defaults to CloudTrail's `Rotation-<arn>-<uuid>` form for rotation events, a UUID otherwise.
    public func record(
        _ event: LifecycleEventName,
        secretARN: String,
        region: String,
        account: String,
        errorCode: String? = nil,
        errorMessage: String? = nil,
        versionId: String? = nil,
        requestID: String? = nil
    ) {
        var extra = ["SecretId": secretARN]
        if let versionId { extra["VersionId"] = versionId }
        let uuid = UUID().uuidString.lowercased()
        self.record(
            AuditEvent(
                eventTime: Date(),
                eventName: event.rawValue,
                eventType: .serviceEvent,
                region: region,
                recipientAccount: account,
                sourceIPAddress: AuditEvent.serviceName,
                userAgent: AuditEvent.serviceName,
                identity: .service(account: account),
                errorCode: errorCode,
                errorMessage: errorMessage,
                requestID: requestID ?? (event.rawValue.contains("Rotation") ? "Rotation-\(secretARN)-\(uuid)" : uuid),
                readOnly: false,
                resources: [secretARN],
                additionalEventData: extra
            )
        )
    }

    /// Events waiting to be written (for tests and metrics).
    public var pendingCount: Int { self.queue.withLock { $0.events.count } }

    /// Writes everything queued so far. One-shot processes call this before exiting.
    public func flush() async throws {
        try await self.writeQueued(through: nil)
    }

    /// Writes queued batches, taking turns with other writers, until event number `ticket` is written (nil: until
    /// nothing is queued).
    private func writeQueued(through ticket: Int?) async throws {
        enum Turn {
            case done, wait
            case write([AuditEvent], dropped: Int)
        }
        while true {
            let turn = self.queue.withLock { queue -> Turn in
                if let ticket, queue.written >= ticket { return .done }
                if queue.writing { return .wait }
                guard let (events, dropped) = Self.take(from: &queue, capacity: self.configuration.queueCapacity) else { return .done }
                queue.writing = true
                return .write(events, dropped: dropped)
            }
            switch turn {
            case .done:
                return
            case .wait:
                await withCheckedContinuation { continuation in
                    let resumeNow = self.queue.withLock { queue in
                        guard queue.writing else { return true }
                        queue.waiters.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            case .write(let events, let dropped):
                var failure: (any Error)?
                do { try await self.write(events, dropped: dropped) } catch { failure = error }
                let waiters = self.queue.withLock { queue in
                    queue.writing = false
                    defer { queue.waiters = [] }
                    return queue.waiters
                }
                for waiter in waiters { waiter.resume() }
                if let failure { throw failure }
            }
        }
    }

    /// Writes queued events until graceful shutdown, then writes what is left and a last digest. Between batches
    /// (and at least every ``Configuration/maintenanceInterval``) it does the log's other work (``maintain(final:)``).
    ///
    /// - Throws: ``AnchorMismatch`` at the start when the log ends before its newest digest or differs from it.
    public func run() async throws {
        try await self.prepareMaintenance()
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.configuration.maintenanceInterval)
                self.wake.yield()
            }
        }
        await withGracefulShutdownHandler {
            for await _ in self.wakeups {
                try? await Task.sleep(for: self.configuration.batchInterval)
                await self.drainLogging()
                await self.maintain(final: false)
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
        ticker.cancel()
        await self.drainLogging()
        await self.maintain(final: true)
    }

    /// Writes what is queued; on a failure, logs it and retries shortly (the API never waits for this).
    private func drainLogging() async {
        while true {
            do {
                return try await self.writeQueued(through: nil)
            } catch {
                self.logger.error("audit write failed; retrying", metadata: ["error": .string(String(describing: type(of: error)))])
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Writes `events` in transactions of at most ``Configuration/batchSize``, counting each into `written`; the
    /// count of dropped events goes with the last one. On a failure, what wasn't written goes back to the front of
    /// the queue (ahead of newer events, so the order holds), and the error is rethrown.
    private func write(_ events: [AuditEvent], dropped: Int) async throws {
        let size = self.configuration.batchSize
        var remaining = events[...]
        repeat {
            let chunk = remaining.prefix(size)
            let last = chunk.count == remaining.count
            do {
                try await self.writeBatch(Array(chunk), dropped: last ? dropped : 0)
            } catch {
                let unwritten = remaining
                self.queue.withLock { queue in
                    queue.events.insert(contentsOf: unwritten, at: 0)
                    queue.dropped += dropped
                }
                throw error
            }
            self.queue.withLock { $0.written += chunk.count }
            remaining = remaining.dropFirst(chunk.count)
        } while !remaining.isEmpty
    }

    /// Takes everything queued (swapping the buffer out, O(1) under the lock); `write` splits it into transactions.
    private static func take(from queue: inout Queue, capacity: Int) -> ([AuditEvent], Int)? {
        guard !queue.events.isEmpty || queue.dropped > 0 else { return nil }
        var batch: [AuditEvent] = []
        batch.reserveCapacity(min(queue.events.count * 2, capacity))
        swap(&batch, &queue.events)
        let dropped = queue.dropped
        queue.dropped = 0
        return (batch, dropped)
    }

    /// One store transaction: the records, their links, the new head.
    private func writeBatch(_ events: [AuditEvent], dropped: Int) async throws {
        var events = events
        if dropped > 0 {
            let first = events.first
            events.append(
                AuditEvent(
                    eventTime: Date(),
                    eventName: "AuditRecordsDropped",
                    eventType: .serviceEvent,
                    region: first?.region ?? "-",
                    recipientAccount: first?.recipientAccount ?? "-",
                    sourceIPAddress: AuditEvent.serviceName,
                    userAgent: AuditEvent.serviceName,
                    identity: .service(account: first?.recipientAccount ?? "-"),
                    errorCode: "QueueFull",
                    errorMessage: "\(dropped) audit records were dropped because the audit queue was full.",
                    requestID: UUID().uuidString.lowercased(),
                    readOnly: false,
                    additionalEventData: ["DroppedRecords": String(dropped)]
                )
            )
        }
        let chain = self.chain
        let written = events
        let eventIDs = self.eventIDs
        let node = self.configuration.node
        // The records are built on the store's writer thread, not on the caller's executor (in `serve`, NIO's event
        // loops, which must stay free for requests).
        let records = try await self.store.write(faultPoint: .auditTransaction) { tx -> [AuditRecord] in
            let records = written.map { AuditRecord($0, eventID: eventIDs.next(), node: node) }
            let head = try tx.auditHead()
            var sequence = head?.sequence ?? 0
            var previous = head?.hash ?? AuditChain.genesis
            var rows: [AuditEventRow] = []
            rows.reserveCapacity(records.count)
            for (event, record) in zip(written, records) {
                sequence += 1
                let hash = chain.hash(previous: previous, sequence: sequence, record: record.text)
                rows.append(
                    AuditEventRow(
                        sequence: sequence,
                        eventTime: event.eventTime,
                        eventName: event.eventName,
                        principal: event.identity.arn,
                        secretARN: event.resources.first,
                        record: record.text,
                        previousHash: previous,
                        hash: hash
                    )
                )
                previous = hash
            }
            try tx.appendAuditEvents(rows)
            try tx.setAuditHead(AuditHead(sequence: sequence, hash: previous, seal: chain.seal(sequence: sequence, hash: previous)))
            return records
        }
        self.sinks.deliver(records.map(\.text))
    }
}

