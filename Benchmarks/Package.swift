// swift-tools-version:6.0
// The workshop around Crosslink, kept out of the shipped package (which holds only the library
// and the `crosslink` CLI): the reliability drills (`crosslink-torture`, started by
// scripts/crash-loop, scripts/concurrency and the root package's crash and concurrency tests),
// the benchmark (`crosslink-bench`) and its raw C SQLite and libpq baseline (`CrosslinkBaseline`).
//
//   swift build --package-path Benchmarks
//   swift run -c release --package-path Benchmarks crosslink-bench --help
//   swift run --package-path Benchmarks crosslink-torture --help
import PackageDescription

let package = Package(
    name: "CrosslinkBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Crosslink", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        // libpq from the system (Debian: libpq-dev), for the raw PostgreSQL baseline.
        .systemLibrary(
            name: "CBenchLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // Raw C SQLite and raw libpq: the same work as Crosslink with nothing between the caller
        // and sqlite3 or libpq but prepared statements.
        .target(
            name: "CrosslinkBaseline",
            dependencies: ["CBenchLibPQ"],
            linkerSettings: [.linkedLibrary("sqlite3")]
        ),
        // Where the CLI's sample data lies in this checkout.
        .target(name: "SampleFiles"),
        .executableTarget(
            name: "crosslink-bench",
            dependencies: [
                "CrosslinkBaseline",
                "SampleFiles",
                .product(name: "Crosslink", package: "Crosslink"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "crosslink-torture",
            dependencies: [
                "SampleFiles",
                .product(name: "Crosslink", package: "Crosslink"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ]
)
