import CFuzzer
import Foundation

// crosslink-fuzz TARGET [libFuzzer flags] [corpus directories or crash files]
// crosslink-fuzz seeds TARGET DIRECTORY     writes the seed corpus built from the shipped data
// crosslink-fuzz list                       prints the target names
//
// One binary for every target (one link of the instrumented library). A target's `run` traps
// (precondition / fatalError) when a property fails, which libFuzzer reports as a crash.

let arguments = CommandLine.arguments
func usage() -> Never {
    FileHandle.standardError.write(Data("""
        usage: crosslink-fuzz TARGET [libFuzzer flags] [corpus…]
               crosslink-fuzz seeds TARGET DIRECTORY
               crosslink-fuzz list
        targets: \(FuzzTargets.all.map(\.name).joined(separator: ", "))

        """.utf8))
    exit(2)
}

guard arguments.count >= 2 else { usage() }
switch arguments[1] {
case "list":
    for target in FuzzTargets.all { print(target.name) }
    exit(0)
case "seeds":
    guard arguments.count == 4, let target = FuzzTargets.named(arguments[2]) else { usage() }
    let directory = URL(fileURLWithPath: arguments[3], isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let seeds = try target.seeds()
    for (index, seed) in seeds.enumerated() {
        try seed.write(to: directory.appending(path: String(format: "seed-%04d", index)))
    }
    print("\(target.name): \(seeds.count) seeds in \(directory.path)")
    exit(0)
default:
    guard let target = FuzzTargets.named(arguments[1]) else { usage() }
    FuzzTargets.selected = target
    try target.setUp()
    // libFuzzer sees `crosslink-fuzz <its own flags…>`: drop the target name.
    var driverArguments = [arguments[0]] + arguments.dropFirst(2)
    var argc = Int32(driverArguments.count)
    var cStrings: [UnsafeMutablePointer<CChar>?] = driverArguments.map { strdup($0) } + [nil]
    let status = cStrings.withUnsafeMutableBufferPointer { buffer -> Int32 in
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
        return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            let bytes = data.map { Data(bytes: $0, count: size) } ?? Data()
            FuzzTargets.selected!.run(bytes)
            return 0
        }
    }
    driverArguments.removeAll()
    exit(status)
}
