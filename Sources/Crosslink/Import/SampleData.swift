import Foundation

/// The data shipped inside the library (see `Sources/Crosslink/SampleData/README.md`).
public enum SampleData {
    /// Magento's Luma sample catalog with its links (`magento-sample/`), as installed by
    /// `crosslink demo`.
    public static var magentoSampleDirectory: URL {
        Bundle.module.resourceURL!.appending(path: "SampleData/magento-sample", directoryHint: .isDirectory)
    }

    /// The UCI Online Retail purchase log (first 80 % of its time range), gzip-compressed CSV;
    /// see `SampleData/online-retail/README.md`.
    public static var onlineRetailLog: URL {
        Bundle.module.resourceURL!.appending(path: "SampleData/online-retail/online_retail_2010-12-01_2011-09-25.csv.gz")
    }
}
