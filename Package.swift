// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Crosslink",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Crosslink", targets: ["Crosslink"]),
        .executable(name: "crosslink", targets: ["crosslink"]),
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
        // Shim over the system libpq (Debian: libpq-dev), the PostgreSQL client library.
        .systemLibrary(
            name: "CPostgreSQL",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
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
            dependencies: ["CSQLite", "CPostgreSQL", "CZlib"],
            plugins: ["EmbedMigrations"]
        ),
        // The CLI carries the demo's data (SampleData/: the Magento sample catalog and the Online
        // Retail log, with their sources and licences), not the library: an app linking Crosslink
        // ships none of it. An installed `crosslink` finds it in the Crosslink_crosslink.resources
        // folder beside the binary (README.md, "Installing the command").
        .executableTarget(
            name: "crosslink",
            dependencies: [
                "Crosslink",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            resources: [.copy("SampleData")]
        ),
        // The benchmark (`crosslink-bench`), its C baseline and the reliability drills
        // (`crosslink-torture`) live in the Benchmarks package, not here: any executable or
        // library target of this package is built by every `swift build` and seen by every
        // dependent. The crash and concurrency tests, which start the drills as processes, build
        // that package's `crosslink-torture` once on first use (TortureDrills in the tests),
        // against this checkout's library, so plain `swift test` still runs them.
        .testTarget(
            name: "CrosslinkTests",
            dependencies: ["Crosslink", "CSQLite"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
