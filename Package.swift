// swift-tools-version:6.1
import PackageDescription

/// Upcoming features every Lockstep module builds with (the Hummingbird set, see STYLE.md rule 9).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "lockstep",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lockstep", targets: ["lockstep"]),
        .executable(name: "lockstep-benchmarks", targets: ["LockstepBenchmarks"]),
        .executable(name: "lockstep-bare-route", targets: ["LockstepBareRoute"]),
        .executable(name: "lockstep-rotation-benchmarks", targets: ["RotationBenchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // The agent's configuration file is TOML, as AWS's Secrets Manager Agent's is.
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        .systemLibrary(name: "CPostgreSQL", pkgConfig: "libpq", providers: [.apt(["libpq-dev"]), .brew(["libpq"])]),
        .systemLibrary(
            name: "CMariaDB",
            pkgConfig: "libmariadb",
            providers: [.apt(["libmariadb-dev"]), .brew(["mariadb-connector-c"])]
        ),
        // glibc's spawn extensions (posix_spawn_file_actions_addchdir_np, ...closefrom_np, pipe2) for process rotators.
        .systemLibrary(name: "CSpawn"),
        .target(name: "LockstepCore", dependencies: ["CSpawn"], swiftSettings: swiftSettings),
        .target(
            name: "LockstepCrypto",
            dependencies: [
                "LockstepCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LockstepStore",
            dependencies: ["LockstepCore", "CSQLite", "CPostgreSQL"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LockstepAuth",
            dependencies: [
                "LockstepCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LockstepAudit",
            dependencies: [
                "LockstepCore", "LockstepStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // gzip for exported segments.
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LockstepService",
            dependencies: [
                "LockstepCore", "LockstepCrypto", "LockstepStore", "LockstepAuth", "LockstepAudit",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "LockstepDatabase", dependencies: ["LockstepCore"], swiftSettings: swiftSettings),
        .target(
            name: "LockstepPostgres",
            dependencies: ["LockstepDatabase", "LockstepCore", "CPostgreSQL"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LockstepMariaDB",
            dependencies: [
                "LockstepDatabase", "LockstepCore", "CMariaDB",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LockstepRotation",
            dependencies: [
                "LockstepCore", "LockstepDatabase", "LockstepService", "LockstepStore", "CSpawn",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LockstepServer",
            dependencies: [
                "LockstepCore", "LockstepAuth", "LockstepService", "LockstepStore", "LockstepAudit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // A signed client of a Secrets Manager endpoint (the AWS credential chain, SigV4): the CLI's remote mode and the agent.
        .target(
            name: "LockstepClient",
            dependencies: [
                "LockstepAuth",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // `lockstep agent`: AWS's Secrets Manager Agent's local API, cached, following the change feed.
        .target(
            name: "LockstepAgent",
            dependencies: [
                "LockstepClient", "LockstepCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: swiftSettings
        ),
        // EventBridge-shaped events of the change outbox, delivered to webhooks (signed, retried, leased per endpoint).
        .target(
            name: "LockstepEvents",
            dependencies: [
                "LockstepCore", "LockstepStore", "LockstepService", "LockstepAudit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LockstepCLI",
            dependencies: [
                "LockstepCore", "LockstepCrypto", "LockstepService", "LockstepAuth", "LockstepAudit", "LockstepStore", "LockstepServer",
                "LockstepRotation", "LockstepDatabase", "LockstepPostgres", "LockstepMariaDB", "LockstepClient", "LockstepAgent",
                "LockstepEvents",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "lockstep",
            dependencies: [
                "LockstepCLI", "LockstepMariaDB",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "LockstepBenchmarks",
            dependencies: ["LockstepCore", "LockstepCrypto", "LockstepService", "LockstepStore", "LockstepAuth", "LockstepAudit", "LockstepServer"],
            path: "Benchmarks/LockstepBenchmarks",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "RotationBenchmarks",
            dependencies: [
                "LockstepCore", "LockstepDatabase", "LockstepMariaDB", "LockstepPostgres", "LockstepRotation", "LockstepService",
                "LockstepStore", "CPostgreSQL", "CMariaDB",
            ],
            path: "Benchmarks/RotationBenchmarks",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "LockstepBareRoute",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/BareRoute",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "LockstepCoreTests", dependencies: ["LockstepCore"], swiftSettings: swiftSettings),
        .testTarget(name: "LockstepAgentTests", dependencies: ["LockstepAgent"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LockstepEventsTests",
            dependencies: ["LockstepEvents", "LockstepStore", "LockstepCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LockstepCryptoTests",
            dependencies: ["LockstepCrypto", "LockstepCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LockstepStoreTests",
            dependencies: ["LockstepStore", "LockstepCore", "CSQLite"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LockstepServiceTests",
            dependencies: ["LockstepService", "LockstepStore", "LockstepCrypto", "LockstepCore", "LockstepAuth", "LockstepAudit"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LockstepAuditTests",
            dependencies: ["LockstepAudit", "LockstepStore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LockstepAuthTests",
            dependencies: ["LockstepAuth", "LockstepCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LockstepRotationTests",
            dependencies: [
                "LockstepRotation", "LockstepDatabase", "LockstepService", "LockstepStore", "LockstepCore", "LockstepPostgres",
                "LockstepMariaDB",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "LockstepDatabaseTests", dependencies: ["LockstepDatabase", "LockstepCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LockstepPostgresTests",
            dependencies: ["LockstepPostgres", "LockstepDatabase", "LockstepCore", "CPostgreSQL"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LockstepMariaDBTests",
            dependencies: ["LockstepMariaDB", "LockstepDatabase", "LockstepCore", "CMariaDB"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LockstepServerTests",
            dependencies: [
                "LockstepServer", "LockstepService", "LockstepAuth", "LockstepCore",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LockstepCLITests",
            dependencies: ["LockstepCLI", "LockstepService", "LockstepRotation", "LockstepDatabase", "LockstepCore", "lockstep"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
