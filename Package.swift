// swift-tools-version:6.2
import PackageDescription

#if canImport(Glibc)
    import Glibc
#endif

// Warnings fail the build only on our own targets, and only in CI.
let strict: [SwiftSetting] =
    Context.environment["CI"] != nil ? [.treatAllWarnings(as: .error)] : []
let settings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")] + strict

// The server binary exports no symbols: the toolchain's static link (`--static-swift-stdlib`)
// adds `-export-dynamic`, which put a 5 MiB dynamic symbol table in the binary for no reader
// (nothing here looks a symbol up by name), and the loader read 3.3 MB of it at every start:
// idle RSS 38.5 -> 37.0 MiB (docs/performance.md, session 34).
let unexported: [LinkerSetting] = [.unsafeFlags(["-Xlinker", "--no-export-dynamic"], .when(platforms: [.linux]))]

// The server binary is linked with lld and packed relative relocations (DT_RELR): at start the
// loader reads about 15 KB of relocations instead of 1.7 MB, about 1.5 MB less resident memory
// for an idle server (docs/performance.md). Only where the C library understands them (glibc
// 2.36 or later); elsewhere the toolchain's default link.
let serverLink: [LinkerSetting] = {
    #if canImport(Glibc)
        var text = [CChar](repeating: 0, count: 64)  // "glibc 2.36"
        _ = confstr(Int32(_CS_GNU_LIBC_VERSION), &text, text.count)
        let version =
            String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ").last?
            .split(separator: ".").compactMap { Int($0) } ?? []
        if version.count >= 2, (version[0], version[1]) >= (2, 36) {
            return [
                .unsafeFlags(
                    ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(platforms: [.linux]))
            ]
        }
    #endif
    return []
}()

let package = Package(
    name: "gatehouse",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gatehouse", targets: ["gatehouse"]),
        .library(name: "Gatehouse", targets: ["Gatehouse"]),
        .library(name: "GatehouseWire", targets: ["GatehouseWire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "4.1.0"..<"5.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: []),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .target(name: "GatehouseWire", swiftSettings: settings),
        .target(
            name: "Gatehouse",
            dependencies: [
                "GatehouseWire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: settings
        ),
        .target(
            name: "GatehouseCore",
            dependencies: [
                "GatehouseWire",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: settings
        ),
        // Outbound HTTP to providers: the network policy applied where the connection is made.
        .target(
            name: "GatehouseOutbound",
            dependencies: [
                "GatehouseCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: settings
        ),
        // User verification through the app's own OpenID Provider: discovery, the code
        // exchange, and ID tokens checked with jwt-kit.
        .target(
            name: "GatehouseOIDC",
            dependencies: [
                "GatehouseCore",
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: settings
        ),
        .target(
            name: "GatehouseSQLite",
            dependencies: [
                "GatehouseCore",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: settings
        ),
        // The store on PostgreSQL, for many replicas on one database.
        .target(
            name: "GatehousePostgres",
            dependencies: [
                "GatehouseCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // For the pool's own errors (its circuit breaker after an outage), which PostgresNIO throws as they are.
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: settings
        ),
        .target(
            name: "GatehouseServer",
            dependencies: [
                "GatehouseCore",
                "GatehouseOutbound",
                "GatehouseOIDC",
                "GatehouseSQLite",
                "GatehousePostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // A second stop signal during `api.shutdown_delay` (the service group reads the first).
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            // One file per built-in provider, the OpenAPI document and the dashboard's templates,
            // compiled into the binary (no resource bundle to ship).
            resources: [.embedInCode("Providers"), .embedInCode("OpenAPI"), .embedInCode("DashboardTemplates")],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "gatehouse",
            dependencies: [
                "GatehouseCore",
                "GatehouseServer",
                "Gatehouse",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: settings,
            linkerSettings: serverLink + unexported
        ),
        // The bare Hummingbird endpoint the hot-path benchmark compares against (Benchmarks/run.sh).
        .executableTarget(
            name: "gatehouse-baseline",
            dependencies: [
                "GatehouseWire",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Benchmarks/Baseline",
            swiftSettings: settings
        ),
        .executableTarget(
            name: "GmailMessages",
            dependencies: [
                "Gatehouse",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Examples/GmailMessages",
            swiftSettings: settings
        ),
        // What the test targets share: the scripted provider transport and the API harness.
        .target(
            name: "GatehouseTestSupport",
            dependencies: [
                "GatehouseCore",
                "GatehouseSQLite",
                "GatehousePostgres",
                "GatehouseServer",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/GatehouseTestSupport",
            swiftSettings: settings
        ),
        .testTarget(
            name: "GatehouseCoreTests",
            dependencies: [
                "GatehouseCore", "GatehouseSQLite", "GatehouseWire", "GatehouseTestSupport",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: settings
        ),
        // The `Store` contract, once, over every backend.
        .testTarget(
            name: "GatehouseStoreTests",
            dependencies: [
                "GatehouseCore", "GatehouseSQLite", "GatehousePostgres", "GatehouseTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // A listener that answers PostgreSQL's TLS request with "no", as a server without TLS does.
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "GatehouseSDKTests",
            dependencies: [
                "Gatehouse",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "GatehouseServerTests",
            dependencies: [
                "GatehouseTestSupport",
                "GatehouseCore",
                "GatehouseOutbound",
                "GatehouseOIDC",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Configuration", package: "swift-configuration"),
                "GatehouseSQLite",
                "GatehouseServer",
                "Gatehouse",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: settings
        ),
    ]
)
