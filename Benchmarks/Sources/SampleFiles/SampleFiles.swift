import Foundation

/// The data the `crosslink` CLI ships (Sources/crosslink/SampleData), found by path in this
/// checkout: the benchmark and the drills run from a checkout, never installed.
public enum SampleFiles {
    /// Magento's Luma sample catalog with its links.
    public static var magentoSample: URL {
        folder.appending(path: "magento-sample", directoryHint: .isDirectory)
    }

    /// The UCI Online Retail purchase log (first 80 % of its time range), gzip-compressed CSV.
    public static var onlineRetailLog: URL {
        folder.appending(path: "online-retail/online_retail_2010-12-01_2011-09-25.csv.gz")
    }

    /// This file is Benchmarks/Sources/SampleFiles/SampleFiles.swift in the checkout.
    private static var folder: URL {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root = root.deletingLastPathComponent() }
        return root.appending(path: "Sources/crosslink/SampleData", directoryHint: .isDirectory)
    }
}
