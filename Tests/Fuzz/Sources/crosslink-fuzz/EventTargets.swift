import Crosslink
import Foundation

extension FuzzTargets {
    /// Event parsers (JSON Lines, CSV) and the Online Retail importer.
    static var eventTargets: [any FuzzTarget] { [] }
}
