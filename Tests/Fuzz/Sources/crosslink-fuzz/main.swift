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

// libFuzzer's -fork and -jobs modes start this binary again with its own flags only: the
// target then comes from the environment, set below before the driver starts.
var command = arguments.count >= 2 ? arguments[1] : ""
var libFuzzerArguments = Array(arguments.dropFirst(2))
if FuzzTargets.named(command) == nil && !["list", "seeds"].contains(command),
   let inherited = ProcessInfo.processInfo.environment["CROSSLINK_FUZZ_TARGET"] {
    command = inherited
    libFuzzerArguments = Array(arguments.dropFirst(1))
}
guard !command.isEmpty else { usage() }
switch command {
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
    guard let target = FuzzTargets.named(command) else { usage() }
    FuzzTargets.selected = target
    setenv("CROSSLINK_FUZZ_TARGET", target.name, 1)
    try target.setUp()
    // libFuzzer sees `crosslink-fuzz <its own flags…>`: without the target name.
    var driverArguments = [arguments[0]] + libFuzzerArguments
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
