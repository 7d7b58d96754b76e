import Foundation
@testable import Crosslink

/// A fresh directory under the system temp dir. Kept after the test (databases outlive the
/// value that named them, and a failed test's files help debugging); /tmp is cleaned by the OS.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appending(path: "crosslink-tests-\(UUID().uuidString)", directoryHint: .isDirectory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appending(path: name).path }
}

enum Fixtures {
    /// Magento's import fixtures, copied into the test bundle (Tests/CrosslinkTests/Fixtures/magento-import).
    static var magentoImport: URL {
        Bundle.module.resourceURL!.appending(path: "Fixtures/magento-import", directoryHint: .isDirectory)
    }
    static func magentoImport(_ file: String) -> URL { magentoImport.appending(path: file) }
    /// Magento's Luma sample catalog, as the CLI ships it (Sources/crosslink/SampleData).
    static var magentoSample: URL {
        packageRoot.appending(path: "Sources/crosslink/SampleData/magento-sample", directoryHint: .isDirectory)
    }
    /// The Online Retail log (first 80 % of its time range) the CLI ships, gzip-compressed CSV.
    static var onlineRetailLog: URL {
        packageRoot.appending(path: "Sources/crosslink/SampleData/online-retail/online_retail_2010-12-01_2011-09-25.csv.gz")
    }
    /// The package root (for Migrations/ and the sqlite3 CLI tests).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}

extension MagentoSampleImporter {
    /// Imports the CLI's copy of the Magento sample (``Fixtures/magentoSample``): the import
    /// most tests start from.
    func importSample() throws -> ImportReport {
        try importSample(at: Fixtures.magentoSample)
    }
}

/// A new store in a temporary directory.
func makeStore(_ directory: TemporaryDirectory, name: String = "test.sqlite") throws -> CrosslinkStore {
    try CrosslinkStore(path: directory.path(name))
}

// MARK: External tools

struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Starts `executable` with `arguments` and no input or output, for a child to be killed.
func startQuietly(_ executable: String, _ arguments: [String]) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

/// Runs `executable` with `arguments`, `stdin` from a file if given, and collects its output.
/// `environment` replaces the inherited one when given; `directory` is the working directory.
func run(_ executable: String, _ arguments: [String], stdin: URL? = nil, environment: [String: String]? = nil,
         directory: URL? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = directory }
    let input = try stdin.map { try FileHandle(forReadingFrom: $0) }
    process.standardInput = input ?? FileHandle.nullDevice
    // Files rather than pipes: no deadlock however much a tool prints.
    let dir = try TemporaryDirectory()
    let outURL = dir.url.appending(path: "stdout"), errURL = dir.url.appending(path: "stderr")
    try Data().write(to: outURL)
    try Data().write(to: errURL)
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
    process.standardOutput = out
    process.standardError = err
    try process.run()
    process.waitUntilExit()
    try input?.close()
    try out.close()
    try err.close()
    return ProcessResult(status: process.terminationStatus,
                         stdout: try String(contentsOf: outURL, encoding: .utf8),
                         stderr: try String(contentsOf: errURL, encoding: .utf8))
}

/// Rows of `sql` run by the sqlite3 CLI on `path`, as strings (NULL as "NULL"); fails on any CLI error.
func sqlite3Rows(_ path: String, _ sql: String) throws -> [[String]] {
    // ASCII unit/record separators: the schema's SQL contains newlines, commas and '|'.
    let result = try run("/usr/bin/sqlite3", ["-bail", "-batch", "-ascii", "-nullvalue", "NULL", path, sql])
    guard result.status == 0, result.stderr.isEmpty else {
        throw DatabaseError(extendedResultCode: 1, message: "sqlite3 CLI: \(result.stderr)", sql: sql, path: path)
    }
    return result.stdout.split(separator: "\u{1E}", omittingEmptySubsequences: false).dropLast().map { record in
        record.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
    }
}

/// A test's own failure (a helper process or tool that did not run), so it never borrows a library error.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension InputError {
    /// Shorthands for the checks of import tests: the location's file, line and field (the CSV
    /// column a message names as `column sku`).
    var file: String? { location?.file }
    var line: Int? { location?.line }
    var column: String? { location?.field }
}
