import Foundation

/// The data shipped inside the library (see `Sources/Crosslink/SampleData/README.md`).
public enum SampleData {
    /// Magento's Luma sample catalog with its links (`magento-sample/`), as installed by
    /// `crosslink demo`.
    public static var magentoSampleDirectory: URL {
        Bundle.module.resourceURL!.appending(path: "SampleData/magento-sample", directoryHint: .isDirectory)
    }
}
