// lockstep-benchmarks: in-process figures for the secrets core on a realistic store.
//
//   swift run -c release lockstep-benchmarks [--secrets 10000] [--versions 5] [--reads 200000] [--data-dir DIR]
//       [--data-key-cache N] [--sqlite-cache-kib N] [--sqlite-mmap-mib N]   (serve's memory settings, same defaults)
//
// Prints GetSecretValue ops/s and latency percentiles (single task, then 2 concurrent tasks), PutSecretValue
// ops/s (each one a durable transaction: WAL + synchronous=FULL), ListSecrets page latency, and the store's size on
// disk. A plain executable rather than a timed test: figures are for reading, not for pass/fail.
import Foundation
import LockstepAudit
import LockstepAuth
import LockstepCore
import LockstepCrypto
import LockstepServer
import LockstepService
import LockstepStore

struct Options {
    var secrets = 10_000
    var versions = 5
    var reads = 200_000
    var pages = 500
    var dataDirectory: URL?
    var cachedDataKeys = Envelope.defaultCachedDataKeys
    var sqliteCacheKiB = SQLiteMemory.defaultCacheKiB
    var sqliteMmapMiB = 0

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            let value = iterator.next() ?? ""
            switch argument {
            case "--secrets": self.secrets = Int(value) ?? self.secrets
            case "--versions": self.versions = Int(value) ?? self.versions
            case "--reads": self.reads = Int(value) ?? self.reads
            case "--pages": self.pages = Int(value) ?? self.pages
            case "--data-dir": self.dataDirectory = URL(fileURLWithPath: value)
            case "--data-key-cache": self.cachedDataKeys = Int(value) ?? self.cachedDataKeys
            case "--sqlite-cache-kib": self.sqliteCacheKiB = Int(value) ?? self.sqliteCacheKiB
            case "--sqlite-mmap-mib": self.sqliteMmapMiB = Int(value) ?? self.sqliteMmapMiB
            default:
                print(
                    "usage: lockstep-benchmarks [--secrets N] [--versions N] [--reads N] [--pages N] [--data-dir DIR] [--data-key-cache N] [--sqlite-cache-kib N] [--sqlite-mmap-mib N]"
                )
                exit(64)
            }
        }
    }
}

/// Latency samples in nanoseconds.
struct Samples {
    var values: [UInt64] = []

    mutating func time<T>(_ body: () async throws -> T) async rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try await body()
        self.values.append(DispatchTime.now().uptimeNanoseconds - start)
        return result
    }

    func percentile(_ p: Double) -> Double {
        let sorted = self.values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1_000
    }
}

func format(_ value: Double, _ unit: String) -> String { String(format: "%10.1f %@", value, unit) }

func row(_ name: String, _ figures: String...) {
    print(name.padding(toLength: 44, withPad: " ", startingAt: 0) + figures.joined(separator: "  "))
}

/// One row: throughput (samples per second of measured time) and the median and 99th percentile latencies.
func report(_ name: String, _ samples: Samples) {
    let total = samples.values.reduce(0, +)
    let opsPerSecond = total == 0 ? 0 : Double(samples.values.count) / (Double(total) / 1e9)
    row(name, format(opsPerSecond, ""), format(samples.percentile(0.5), "us"), format(samples.percentile(0.99), "us"))
}

/// User and system CPU time of this process so far, all threads.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func directorySize(_ url: URL) -> Int {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
    return files.reduce(0) { total, file in
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.appendingPathComponent(file).path)
        return total + ((attributes?[.size] as? NSNumber)?.intValue ?? 0)
    }
}

func runBenchmarks() async throws {
    let options = Options(CommandLine.arguments)
    let directory = options.dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-bench-\(UUID().uuidString)")
    var configuration = LockstepEnvironment.Configuration(dataDirectory: directory, environment: [:])
    // The same memory settings as `serve` (--data-key-cache, --sqlite-cache-kib, --sqlite-mmap-mib).
    configuration.cachedDataKeys = options.cachedDataKeys
    configuration.sqliteMemory = SQLiteMemory(cacheKiB: options.sqliteCacheKiB, mmapBytes: options.sqliteMmapMiB << 20)
    let environment = try LockstepEnvironment.open(configuration, create: true)
    let manager = environment.manager
    // A fresh context per call, as the dispatcher makes one per request and the CLI one per command: a context
    // collects the secrets its request touched (for the audit record), so one reused for every call would grow
    // with the store and make each call scan that list. The local operator's, with a fixed request id (the
    // dispatcher's are cheap too; a UUID per call would be the benchmark's own cost).
    let operatorCaller = Caller(
        principal: Principal(account: environment.configuration.account, kind: .root, accessKeyId: "local"),
        permissions: .accountRoot
    )
    let region = environment.configuration.region
    var context: RequestContext {
        RequestContext(
            caller: operatorCaller,
            region: region,
            sourceIP: "127.0.0.1",
            userAgent: "lockstep-benchmarks",
            secureTransport: true,
            requestID: "benchmark"
        )
    }
    let value = String(repeating: "x", count: 200)  // a typical JSON credential document's size

    print("Lockstep benchmarks: \(options.secrets) secrets x \(options.versions) versions, data directory \(directory.path)")
    print("")

    // Populate: CreateSecret, then PutSecretValue for the other versions. Every call is one durable transaction.
    let existing = try await manager.listSecrets(ListSecretsRequest(MaxResults: 1), context: context).SecretList.count
    var putSamples = Samples()
    var createSamples = Samples()
    if existing == 0 {
        let started = Date()
        for index in 0..<options.secrets {
            let name = String(format: "bench/app-%05d/db", index)
            _ = try await createSamples.time {
                try await manager.createSecret(
                    CreateSecretRequest(
                        Name: name,
                        ClientRequestToken: UUID().uuidString,
                        Description: index % 10 == 0 ? "tenth secret" : nil,
                        SecretString: Sensitive(value),
                        Tags: [Tag(Key: "env", Value: index % 2 == 0 ? "prod" : "dev")]
                    ),
                    context: context
                )
            }
            for _ in 1..<options.versions {
                _ = try await putSamples.time {
                    try await manager.putSecretValue(
                        PutSecretValueRequest(SecretId: name, ClientRequestToken: UUID().uuidString, SecretString: Sensitive(value)),
                        context: context
                    )
                }
            }
            if index % 1000 == 999 { print("  populated \(index + 1) secrets (\(Int(Date().timeIntervalSince(started))) s)") }
        }
        print("")
    }

    print("operation".padding(toLength: 44, withPad: " ", startingAt: 0) + "       ops/s         p50          p99")
    if !createSamples.values.isEmpty {
        report("CreateSecret (durable, 1 task)", createSamples)
        report("PutSecretValue (durable, 1 task)", putSamples)
    }

    // GetSecretValue: random secrets, AWSCURRENT. Warm up first (statement caches, master key cache, page cache).
    let names = (0..<options.secrets).map { String(format: "bench/app-%05d/db", $0) }
    // The first read of a secret each day also records LastAccessedDate (a durable write): measure that apart,
    // then the steady state.
    var firstReadSamples = Samples()
    for name in names {
        _ = try await firstReadSamples.time { try await manager.getSecretValue(GetSecretValueRequest(SecretId: name), context: context) }
    }
    report("GetSecretValue, first read of the day", firstReadSamples)
    var hopSamples = Samples()
    for _ in 0..<20_000 { _ = try await hopSamples.time { try await environment.store.read { _ in 0 } } }
    report("store round trip (empty read transaction)", hopSamples)
    var getSamples = Samples()
    let getStart = DispatchTime.now().uptimeNanoseconds
    let getCPU = processCPUSeconds()
    for _ in 0..<options.reads {
        let name = names.randomElement()!
        _ = try await getSamples.time { try await manager.getSecretValue(GetSecretValueRequest(SecretId: name), context: context) }
    }
    let getElapsed = Double(DispatchTime.now().uptimeNanoseconds - getStart) / 1e9
    let getCPUPerRead = (processCPUSeconds() - getCPU) / Double(options.reads) * 1e6
    row(
        "GetSecretValue (1 task)",
        format(Double(options.reads) / getElapsed, ""),
        format(getSamples.percentile(0.5), "us"),
        format(getSamples.percentile(0.99), "us")
    )
    // On a shared machine the wall clock counts other processes' turns too; the process's CPU time per read is the
    // figure that says what one core does alone.
    row("  CPU per read (process, all threads)", format(getCPUPerRead, "us"), format(1e6 / getCPUPerRead, "reads/s per core"))

    let concurrentStart = DispatchTime.now().uptimeNanoseconds
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<2 {
            group.addTask {
                for _ in 0..<(options.reads / 2) {
                    _ = try await manager.getSecretValue(GetSecretValueRequest(SecretId: names.randomElement()!), context: context)
                }
            }
        }
        try await group.waitForAll()
    }
    let concurrentElapsed = Double(DispatchTime.now().uptimeNanoseconds - concurrentStart) / 1e9
    row("GetSecretValue (2 tasks)", format(Double(options.reads) / concurrentElapsed, ""))

    // The HTTP request path without HTTP: SigV4 verification, access key lookup, policy evaluation, JSON decode,
    // GetSecretValue, JSON encode and the audit record (written by the audit log's background writer, running here as
    // it does in `serve`), as APIHandler does them for every POST /. Then the same with access control and audit off
    // (the benchmark-only switch), on the same store.
    let keys = AccessKeys(manager: manager)
    let key = try await keys.create(userName: "bench-\(UUID().uuidString.prefix(8))", account: environment.configuration.account)
    let handler = APIHandler(dispatcher: environment.dispatcher, accessKeys: keys, authentication: .sigV4)
    var unguarded = configuration
    unguarded.accessControl = false
    let open = try LockstepEnvironment.open(unguarded, create: false)
    let openHandler = APIHandler(dispatcher: open.dispatcher, accessKeys: AccessKeys(manager: open.manager), authentication: .sigV4)
    var signed = SignableRequest(
        method: "POST",
        path: "/",
        headers: [
            (name: "host", value: "127.0.0.1:8088"),
            (name: "content-type", value: APIHandler.contentType),
            (name: "x-amz-target", value: "secretsmanager.GetSecretValue"),
        ],
        body: Data(#"{"SecretId":"\#(names[0])"}"#.utf8)
    )
    SigV4Signer(accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey.value, region: environment.configuration.region).sign(&signed)
    let request = signed
    // Alternate the two (without, with, without, with) and report the second pair, so warm-up doesn't favour one.
    let handlerReads = options.reads / 4
    func measure(_ handler: APIHandler) async -> (Samples, Double) {
        let cpu = processCPUSeconds()
        var samples = Samples()
        for _ in 0..<handlerReads {
            let answer = await samples.time { await handler.handle(request) }
            precondition(answer.status == 200)
        }
        return (samples, (processCPUSeconds() - cpu) / Double(handlerReads) * 1e6)
    }
    let policiesOnly = SecretsManager(store: environment.store, keyProvider: environment.keyring, audit: nil, enforcesPolicies: true)
    let policiesHandler = APIHandler(
        dispatcher: OperationDispatcher(manager: policiesOnly),
        accessKeys: AccessKeys(manager: policiesOnly),
        authentication: .sigV4
    )
    var audited = (Samples(), 0.0)
    var unaudited = (Samples(), 0.0)
    var policed = (Samples(), 0.0)
    await withTaskGroup(of: Void.self) { group in
        group.addTask { try? await environment.auditLog.run() }
        for _ in 0..<2 {
            unaudited = await measure(openHandler)
            policed = await measure(policiesHandler)
            audited = await measure(handler)
        }
        group.cancelAll()
        await group.waitForAll()
    }
    report("GetSecretValue via APIHandler (SigV4, JSON)", audited.0)
    report("  same, policies but no audit", policed.0)
    report("  same, without policies and audit", unaudited.0)
    print(
        "  process CPU per request (all threads, audit writer included): \(String(format: "%.1f", audited.1)) us with policies and audit, \(String(format: "%.1f", policed.1)) us with policies only, \(String(format: "%.1f", unaudited.1)) us without"
    )
    // The audit writer alone: queue 50,000 GetSecretValue records, then write them (batches of 1,000, one
    // transaction each).
    let auditEvents = 50_000
    let writerCPU = processCPUSeconds()
    let writerStart = DispatchTime.now().uptimeNanoseconds
    for index in 0..<auditEvents {
        environment.auditLog.record(
            AuditEvent(
                eventTime: Date(),
                eventName: "GetSecretValue",
                region: "us-east-1",
                recipientAccount: environment.configuration.account,
                sourceIPAddress: "127.0.0.1",
                userAgent: "bench",
                identity: AuditEvent.Identity(type: "IAMUser", arn: "arn:aws:iam::000000000000:user/bench", accountId: "000000000000"),
                requestParameters: Data(#"{"SecretId":"\#(names[index % names.count])"}"#.utf8),
                requestID: "r",
                readOnly: true,
                resources: ["arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-AbCdEf"]
            )
        )
    }
    let queued = DispatchTime.now().uptimeNanoseconds
    try await environment.auditLog.flush()
    let written = DispatchTime.now().uptimeNanoseconds
    print(
        "  audit writer alone: queue \(String(format: "%.2f", Double(queued - writerStart) / 1e3 / Double(auditEvents))) us/record, write \(String(format: "%.1f", Double(written - queued) / 1e3 / Double(auditEvents))) us/record, CPU \(String(format: "%.1f", (processCPUSeconds() - writerCPU) * 1e6 / Double(auditEvents))) us/record"
    )
    let verification = try await AuditLog.verify(store: environment.auditStore, chain: environment.auditLog.chain)
    print("  audit records written: \(verification.records), chain \(verification.problem.map { "BROKEN: \($0)" } ?? "intact")")

    // ListSecrets: pages of 100 in several orders, and with a filter that matches half the secrets.
    var pageSamples = Samples()
    var filteredSamples = Samples()
    var token: String?
    for index in 0..<options.pages {
        let page = try await pageSamples.time {
            try await manager.listSecrets(ListSecretsRequest(MaxResults: 100, NextToken: token, SortBy: "name"), context: context)
        }
        token = index % 50 == 49 ? nil : page.NextToken
    }
    for _ in 0..<max(1, options.pages / 5) {
        _ = try await filteredSamples.time {
            try await manager.listSecrets(
                ListSecretsRequest(MaxResults: 100, Filters: [Filter(Key: "tag-value", Values: ["prod"])]),
                context: context
            )
        }
    }
    report("ListSecrets page of 100", pageSamples)
    report("ListSecrets page of 100, tag filter", filteredSamples)

    try await environment.store.checkpoint()
    let bytes = directorySize(directory)
    print("")
    print(
        "store size on disk: \(String(format: "%.1f", Double(bytes) / 1_048_576)) MiB (\(bytes / max(1, options.secrets * options.versions)) bytes per version)"
    )
    if options.dataDirectory == nil { try? FileManager.default.removeItem(at: directory) }
}

try await runBenchmarks()
