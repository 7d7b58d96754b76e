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
    /// Magento's Luma sample catalog, as shipped in the library.
    static var magentoSample: URL { SampleData.magentoSampleDirectory }
    /// The package root (for Migrations/ and the sqlite3 CLI tests).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}

/// A new store in a temporary directory.
func makeStore(_ directory: TemporaryDirectory, name: String = "test.sqlite") throws -> CrosslinkStore {
    try CrosslinkStore(path: directory.path(name))
}
