// swift-tools-version: 6.2
import PackageDescription

// Release programs are linked by lld with packed relative relocations (DT_RELR, glibc 2.36+):
// a static-runtime program's 80,000 relative relocations then take 15 KB instead of 1.9 MB
// that the loader reads at every start. They export no symbols either (the static runtime's
// link arguments export every symbol of the package's own code, 630 KB of tables that the
// loader searches at start; nothing looks them up, and crash backtraces read the full symbol
// table). Together about 2.4 MB less resident memory, as scripts/bench measures it.
let releaseLinking: [LinkerSetting] = [
    .unsafeFlags(
        ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
        .when(configuration: .release)
    ),
]

let package = Package(
    // Linux only: the HTTP server sits on epoll and eventfd, the shims on Glibc. No platform
    // is claimed here that the package cannot build on; on macOS, use the containers.
    name: "BigGoal",
    products: [
        .executable(name: "api", targets: ["api"]),
        .executable(name: "consumer", targets: ["consumer"]),
        .executable(name: "publish", targets: ["publish"]),
        .executable(name: "ceiling", targets: ["ceiling"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(
            url: "https://github.com/apple/swift-configuration",
            from: "1.4.0",
            // Not the default JSON trait: its parser needs full Foundation. The settings file is
            // read by the Settings module's own snapshot, on FoundationEssentials.
            traits: ["CommandLineArguments"]
        ),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // C modules: module maps and shims only, plus the C files that need _GNU_SOURCE
        // (CLinux) or load OpenSSL at run time rather than link it (COpenSSL).
        .target(name: "CLinux"),
        .target(name: "COpenSSL", linkerSettings: [.linkedLibrary("dl")]),
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .systemLibrary(
            name: "CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),

        // Wrappers: the only modules that import a C module.
        .target(name: "LinuxIO", dependencies: ["CLinux"]),
        .target(name: "TLS", dependencies: ["COpenSSL"]),
        .target(name: "Redis", dependencies: ["CHiredis", "LinuxIO", "TLS"]),
        .target(name: "AMQP", dependencies: ["CRabbitMQ", "LinuxIO", "TLS"]),

        // Setting declarations: each adapter declares its keys next to its configuration.
        .target(name: "SettingKeys", dependencies: ["LinuxIO"]),
        // Metric declarations: each recorder declares its names, help and buckets.
        .target(name: "MetricKeys"),

        // Domain.
        .target(name: "HTTP1"),
        .target(name: "Counters"),
        .target(name: "Messaging", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Producer", dependencies: ["Messaging"]),
        .target(name: "Resilience", dependencies: ["SettingKeys"]),

        // Adapters.
        .target(
            name: "HTTPServer",
            dependencies: ["HTTP1", "LinuxIO", "SettingKeys", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "AMQPMessaging", dependencies: ["AMQP", "Messaging"]),
        .target(
            name: "RedisCounterStore",
            dependencies: [
                "Counters", "Redis", "LinuxIO", "Resilience", "SettingKeys", "MetricKeys", "TLS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),

        // Metrics set-up for the executables: the described Prometheus factory, build and
        // process metrics, the exposition `/metrics` renders.
        .target(
            name: "MetricsSetup",
            dependencies: [
                "MetricKeys", "LinuxIO",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // Logging set-up for the executables: the JSON handler and the bootstrap.
        .target(name: "LogSetup", dependencies: ["HTTP1", "LinuxIO", .product(name: "Logging", package: "swift-log")]),

        // Reading settings from a file, the environment and flags; the program-level keys.
        .target(
            name: "Settings",
            dependencies: [
                "HTTP1", "HTTPServer", "RedisCounterStore", "Resilience", "LogSetup", "SettingKeys", "LinuxIO",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Applications.
        .target(
            name: "APIApp",
            dependencies: [
                "HTTP1", "HTTPServer", "Counters", "RedisCounterStore", "Settings", "LinuxIO", "MetricKeys", "MetricsSetup",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),

        .target(
            name: "ConsumerApp",
            dependencies: [
                "AMQPMessaging", "Messaging", "Producer", "Counters", "RedisCounterStore", "Settings", "HTTP1", "HTTPServer", "Resilience",
                "MetricKeys", "MetricsSetup",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),

        // What the command-line programs share: settings help, version, exit codes.
        .target(
            name: "CommandSupport",
            dependencies: [
                "Settings", "SettingKeys", "MetricKeys", "MetricsSetup", "LinuxIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Executables.
        .executableTarget(
            name: "api",
            dependencies: [
                "APIApp", "Settings", "LinuxIO", "CommandSupport", "Redis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            linkerSettings: releaseLinking
        ),

        .executableTarget(
            name: "consumer",
            dependencies: [
                "ConsumerApp", "Settings", "LinuxIO", "CommandSupport", "Redis", "AMQP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            linkerSettings: releaseLinking
        ),
        .executableTarget(
            name: "publish",
            dependencies: [
                "AMQPMessaging", "Messaging", "Producer", "Settings", "CommandSupport", "AMQP", "ConsumerApp", "Resilience", "LinuxIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: releaseLinking
        ),

        .executableTarget(
            name: "ceiling",
            dependencies: [
                "AMQPMessaging", "Messaging", "ConsumerApp", "Counters", "Resilience", "Settings", "CommandSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: releaseLinking
        ),

        // Test support and tests.
        .target(name: "CountersTestSupport", dependencies: ["Counters"], path: "Tests/CountersTestSupport"),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .target(name: "MessagingTestSupport", dependencies: ["Messaging"], path: "Tests/MessagingTestSupport"),
        .target(name: "ServiceTestSupport", dependencies: ["LinuxIO", "Redis", "AMQP"], path: "Tests/ServiceTestSupport"),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1", "TestSupport"]),
        .testTarget(name: "SettingsTests", dependencies: ["Settings", "SettingKeys"]),
        .testTarget(name: "MessagingTests", dependencies: ["Messaging"]),
        .testTarget(name: "ProducerTests", dependencies: ["Producer", "Messaging", "MessagingTestSupport"]),
        .testTarget(name: "LinuxIOTests", dependencies: ["LinuxIO"]),
        .testTarget(
            name: "MetricsSetupTests",
            dependencies: ["MetricsSetup", "MetricKeys", "LinuxIO", .product(name: "Metrics", package: "swift-metrics")]
        ),
        .testTarget(
            name: "HTTPServerTests",
            dependencies: ["HTTPServer", "HTTP1", "LinuxIO", "ServiceTestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "RedisTests", dependencies: ["Redis", "LinuxIO", "TLS", "ServiceTestSupport"]),
        .testTarget(name: "AMQPMessagingTests", dependencies: ["AMQPMessaging", "AMQP", "Messaging"]),
        .testTarget(name: "RedisCounterStoreTests", dependencies: ["RedisCounterStore", "Counters", "Resilience", "TestSupport"]),
        .testTarget(name: "ResilienceTests", dependencies: ["Resilience", "TestSupport"]),
        .testTarget(
            name: "ConsumerAppTests",
            dependencies: [
                "ConsumerApp", "Messaging", "MessagingTestSupport", "Counters", "CountersTestSupport", "Producer", "Resilience",
                "TestSupport",
            ]
        ),
        .testTarget(name: "AMQPTests", dependencies: ["AMQP"]),
        .testTarget(name: "APIAppTests", dependencies: [
            "APIApp", "HTTP1", "Counters", "CountersTestSupport", "Settings", "SettingKeys", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["Redis", "RedisCounterStore", "Counters", "LinuxIO", "CountersTestSupport", "ServiceTestSupport"]
        ),
        .testTarget(name: "ProcessTests", dependencies: ["LinuxIO", "AMQP", "AMQPMessaging", "ServiceTestSupport"]),
    ]
)
