// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Crosslink",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Crosslink", targets: ["Crosslink"]),
        .executable(name: "crosslink", targets: ["crosslink"]),
        .executable(name: "crosslink-bench", targets: ["crosslink-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        // `swift package generate-documentation --target Crosslink` builds Crosslink.docc.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", exact: "1.5.0"),
    ],
    targets: [
        // Shim over the system libsqlite3 (Debian: libsqlite3-dev).
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // zlib from the system (Debian: zlib1g-dev), for gzip-compressed event logs.
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Build-time tool + plugin that embed Migrations/*.sql into the library.
        .executableTarget(name: "embed-migrations"),
        .plugin(
            name: "EmbedMigrations",
            capability: .buildTool(),
            dependencies: ["embed-migrations"],
            path: "Sources/EmbedMigrations"
        ),
        .target(
            name: "Crosslink",
            dependencies: ["CSQLite", "CZlib"],
            resources: [.copy("SampleData")],
            plugins: ["EmbedMigrations"]
        ),
        .executableTarget(
            name: "crosslink",
            dependencies: [
                "Crosslink",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Raw C SQLite baseline for the benchmark: the same work without any Swift layer.
        .target(
            name: "CrosslinkBaseline",
            linkerSettings: [.linkedLibrary("sqlite3")]
        ),
        .executableTarget(
            name: "crosslink-bench",
            dependencies: ["Crosslink", "CrosslinkBaseline"]
        ),
        .testTarget(
            name: "CrosslinkTests",
            dependencies: ["Crosslink", "CSQLite"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
