import Crosslink
import Foundation

extension FuzzTargets {
    /// Rule JSON loader and condition compiler.
    static var ruleTargets: [any FuzzTarget] { [] }
}
