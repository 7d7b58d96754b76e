import Crosslink
import Foundation

/// One fuzz target: a hostile-input entry point of the library and the properties it must keep.
protocol FuzzTarget: AnyObject {
    var name: String { get }
    /// Once per process, before the first input (e.g. a database to import into).
    func setUp() throws
    /// One input. Traps when a property fails.
    func run(_ data: Data)
    /// Seed inputs built from the shipped data.
    func seeds() throws -> [Data]
}

extension FuzzTarget {
    func setUp() throws {}
}

enum FuzzTargets {
    static var all: [any FuzzTarget] { [
        CSVTarget(), MagentoFieldsTarget(), MagentoImportTarget(),
    ] + eventTargets + ruleTargets + unitTargets }

    // The fuzzed input runs on libFuzzer's single thread; set before the driver starts.
    nonisolated(unsafe) static var selected: (any FuzzTarget)?

    static func named(_ name: String) -> (any FuzzTarget)? { all.first { $0.name == name } }
}

/// Where the shipped data lives when the fuzzer runs from a checkout.
enum FuzzData {
    /// The Crosslink package root (Tests/Fuzz/Sources/crosslink-fuzz/ is four levels below).
    static var packageRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<5 { url = url.deletingLastPathComponent() }
        return url
    }
    /// The data the CLI ships (Sources/crosslink/SampleData).
    static var magentoSample: URL {
        packageRoot.appending(path: "Sources/crosslink/SampleData/magento-sample", directoryHint: .isDirectory)
    }
    static var onlineRetailLog: URL {
        packageRoot.appending(path: "Sources/crosslink/SampleData/online-retail/online_retail_2010-12-01_2011-09-25.csv.gz")
    }
    static var magentoImportFixtures: URL {
        packageRoot.appending(path: "Tests/CrosslinkTests/Fixtures/magento-import", directoryHint: .isDirectory)
    }

    /// Every `.csv` file under `directory`, sorted by path.
    static func csvFiles(under directory: URL) -> [URL] {
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
        var files: [URL] = []
        while let url = enumerator?.nextObject() as? URL {
            if url.pathExtension == "csv" { files.append(url) }
        }
        return files.sorted { $0.path < $1.path }
    }

    /// A scratch directory for a target's database, removed by the OS with /tmp.
    static func scratchDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appending(path: "crosslink-fuzz-\(name)-\(getpid())", directoryHint: .isDirectory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Header + a few records at a time of a big CSV file, optionally keeping only some columns:
    /// small, valid seeds that still carry the file's real cells.
    static func slices(of url: URL, recordsPerSlice: Int, maximumSlices: Int, columns keep: Set<String>? = nil) throws -> [Data] {
        let records = try CSVReader(contentsOf: url).records().filter { !$0.fields.isEmpty }
        guard let header = records.first else { return [] }
        let indices = header.fields.indices.filter { keep?.contains(header.fields[$0]) ?? true }
        func line(_ record: CSVRecord) -> String { CSVWriter.line(indices.map { record.fields[$0] }) }
        var slices: [Data] = []
        var start = 1
        while start < records.count && slices.count < maximumSlices {
            let end = min(records.count, start + recordsPerSlice)
            slices.append(Data((line(header) + records[start..<end].map(line).joined()).utf8))
            start = end
        }
        return slices
    }
}

/// A failed property: prints the details libFuzzer cannot know, then traps.
func fuzzFailure(_ message: String, file: StaticString = #file, line: UInt = #line) -> Never {
    FileHandle.standardError.write(Data("PROPERTY FAILED: \(message)\n".utf8))
    fatalError(message, file: file, line: line)
}
