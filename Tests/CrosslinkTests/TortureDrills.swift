import Foundation
@testable import Crosslink

/// The `crosslink-torture` drills (Benchmarks/Sources/crosslink-torture): the crash and
/// concurrency tests start them as processes. They are not part of the shipped package, so the
/// first test that needs them builds them from the Benchmarks package (debug, incremental, in
/// Benchmarks/.build) against this checkout's library; later tests reuse the binary. `static let`
/// initialisation runs once, so suites running in parallel wait for one build.
enum TortureDrills {
    private static let built: Result<String, any Error> = Result {
        let benchmarks = Fixtures.packageRoot.appending(path: "Benchmarks").path
        let result = try run("/usr/bin/env", ["swift", "build", "--package-path", benchmarks, "--product", "crosslink-torture"])
        guard result.status == 0 else {
            throw TestFailure("swift build --package-path \(benchmarks) --product crosslink-torture failed: \(result.stdout + result.stderr)")
        }
        return benchmarks + "/.build/debug/crosslink-torture"
    }

    /// The built `crosslink-torture` executable; throws the build's output when it failed.
    static func executable() throws -> String { try built.get() }
}
