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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        .target(name: "LockstepCore", swiftSettings: swiftSettings),
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
            dependencies: ["LockstepCore", "CSQLite"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LockstepService",
            dependencies: [
                "LockstepCore", "LockstepCrypto", "LockstepStore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LockstepCLI",
            dependencies: [
                "LockstepCore", "LockstepService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "lockstep",
            dependencies: ["LockstepCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "LockstepBenchmarks",
            dependencies: ["LockstepCore", "LockstepService", "LockstepStore"],
            path: "Benchmarks/LockstepBenchmarks",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "LockstepCoreTests", dependencies: ["LockstepCore"], swiftSettings: swiftSettings),
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
            dependencies: ["LockstepService", "LockstepStore", "LockstepCrypto", "LockstepCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LockstepCLITests",
            dependencies: ["LockstepCLI", "lockstep"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
