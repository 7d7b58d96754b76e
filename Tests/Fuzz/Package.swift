// swift-tools-version:6.0
// libFuzzer targets for Crosslink's parsers and importers, kept out of the main package so its
// build never links libFuzzer. Build and run through `scripts/fuzz TARGET SECONDS` (top level),
// which passes `-sanitize=fuzzer,address` to every target so Crosslink itself is instrumented.
import PackageDescription

let package = Package(
    name: "CrosslinkFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Crosslink", path: "../..")],
    targets: [
        // Declares libFuzzer's LLVMFuzzerRunDriver, so main.swift can set up and then hand over.
        .target(name: "CFuzzer"),
        .executableTarget(
            name: "crosslink-fuzz",
            dependencies: ["CFuzzer", .product(name: "Crosslink", package: "Crosslink")]
        ),
    ]
)
