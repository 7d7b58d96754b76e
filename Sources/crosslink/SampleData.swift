import Foundation

/// The data the CLI ships for `crosslink demo` and `crosslink eval --online-retail`
/// (SampleData/README.md says where each file comes from and under which licence). It is a
/// resource of this executable, not of the library: SwiftPM copies it into
/// `Crosslink_crosslink.resources` beside the built binary, and an installed `crosslink` needs
/// that folder beside it (README.md, "Installing the command").
///
/// Looked up as the generated `Bundle.module` does (the folder beside the running binary first),
/// but missing data is a clear error here, where `Bundle.module` would stop the process.
enum SampleData {
    /// Magento's Luma sample catalog with its links (`magento-sample/`).
    static var magentoSampleDirectory: URL {
        get throws { try folder().appending(path: "magento-sample", directoryHint: .isDirectory) }
    }

    /// The UCI Online Retail purchase log (first 80 % of its time range), gzip-compressed CSV;
    /// see `SampleData/online-retail/README.md`.
    static var onlineRetailLog: URL {
        get throws { try folder().appending(path: "online-retail/online_retail_2010-12-01_2011-09-25.csv.gz") }
    }

    struct Missing: Error, CustomStringConvertible {
        let searched: [String]
        var description: String {
            "the sample data is not installed: copy the Crosslink_crosslink.resources folder built with crosslink "
                + "(.build/release/) next to the crosslink binary (looked in \(searched.joined(separator: " and ")))"
        }
    }

    /// Beside the running binary (an installed copy, or `.build/<config>/` after `swift build`),
    /// else the checkout this binary was built from.
    private static func folder() throws -> URL {
        let candidates = [
            Bundle.main.bundleURL.appending(path: "Crosslink_crosslink.resources/SampleData", directoryHint: .isDirectory),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "SampleData", directoryHint: .isDirectory),
        ]
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.appending(path: "README.md").path) }) else {
            throw Missing(searched: candidates.map(\.path))
        }
        return found
    }
}
