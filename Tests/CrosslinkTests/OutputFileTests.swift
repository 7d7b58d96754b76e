import Foundation
import Testing
@testable import Crosslink
#if canImport(Glibc)
import Glibc
#endif

/// Output files (`export --out`, `events export --out`, `rules export --out`, `report --out`,
/// `eval --html`) never replace what the path names: in a temp dir, a regular file, an absent
/// path, a symlink to a regular file, a fifo (drained by `cat`), a symlink to a fifo and a
/// character device made with `mknod NAME c 1 3` (a twin of /dev/null) keep their node type
/// after each command, and the bytes go where expected; a directory and a dangling link are
/// refused. The real /dev/null is never used.
@Suite struct OutputFileTests {
    enum Kind: String, CaseIterable { case absent, regular, symlinkToRegular, fifo, symlinkToFifo, characterDevice }

    struct Command {
        var name: String
        var arguments: (String) -> [String]
        /// The bytes the file must hold; nil: an HTML page (it holds timings).
        var expected: Data?
    }

    static func fileType(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
    }

    static func commands(_ database: String) throws -> [Command] {
        func stdout(_ arguments: [String]) throws -> Data {
            let result = try run(CLITests.executable, ["--database", database] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return Data(result.stdout.utf8)
        }
        return [
            Command(name: "export", arguments: { ["export", "--out", $0] }, expected: try stdout(["export"])),
            Command(name: "events export", arguments: { ["events", "export", "--format", "csv", "--out", $0] },
                    expected: try stdout(["events", "export", "--format", "csv"])),
            Command(name: "rules export", arguments: { ["rules", "export", "--out", $0] }, expected: try stdout(["rules", "export"])),
            Command(name: "report", arguments: { ["report", "--out", $0] }, expected: nil),
            Command(name: "eval --html", arguments: { ["eval", "--split", "2024-03-11", "--k", "2", "--types", "bought-bought", "--quiet", "--html", $0] },
                    expected: nil),
        ]
    }

    static func check(_ data: Data, _ command: Command, _ kind: Kind) {
        if let expected = command.expected {
            #expect(data == expected, "\(command.name) → \(kind.rawValue)")
        } else {
            let text = String(decoding: data, as: UTF8.self)
            #expect(text.hasPrefix("<!DOCTYPE html>") && text.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("</html>"), "\(command.name) → \(kind.rawValue)")
        }
    }

    @Test func commandsKeepTheNodeTypeOfTheirOutputPath() throws {
        let database = try EvaluationCLITests.database()
        let commands = try Self.commands(database)
        // One mknod up front: as a non-root user it fails, and that case alone is skipped.
        let probe = try TemporaryDirectory()
        let canMakeDevices = try run("/usr/bin/mknod", [probe.path("null"), "c", "1", "3"])
        if canMakeDevices.status != 0 { Swift.print("OutputFileTests: skipping the character device case: mknod failed: \(canMakeDevices.stderr)") }
        var probeInfo = stat()
        let nullDevice = lstat(probe.path("null"), &probeInfo) == 0 ? probeInfo.st_rdev : 0

        for command in commands {
            for kind in Kind.allCases {
                if kind == .characterDevice && canMakeDevices.status != 0 { continue }
                let dir = try TemporaryDirectory()
                let path = dir.path("out")
                var reader: Process?
                let drained = dir.path("drained")
                switch kind {
                case .absent: break
                case .regular:
                    try Data("old".utf8).write(to: URL(fileURLWithPath: path))
                    chmod(path, 0o640)
                case .symlinkToRegular:
                    try Data("old".utf8).write(to: URL(fileURLWithPath: dir.path("target")))
                    try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "target")
                case .fifo, .symlinkToFifo:
                    let fifo = kind == .fifo ? path : dir.path("target")
                    #expect(mkfifo(fifo, 0o600) == 0)
                    if kind == .symlinkToFifo { try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "target") }
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/bin/cat")
                    process.arguments = [fifo]
                    #expect(FileManager.default.createFile(atPath: drained, contents: nil))
                    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: drained))
                    try process.run()
                    reader = process
                case .characterDevice:
                    #expect(try run("/usr/bin/mknod", [path, "c", "1", "3"]).status == 0)
                }
                let typeBefore = Self.fileType(path)

                let result = try run(CLITests.executable, ["--database", database] + command.arguments(path))
                if let reader {
                    // Ends the reader even if the command never opened the fifo (then the check below fails).
                    let fd = open(kind == .fifo ? path : dir.path("target"), O_WRONLY | O_NONBLOCK)
                    if fd >= 0 { close(fd) }
                    reader.waitUntilExit()
                }
                #expect(result.status == 0, "\(command.name) → \(kind.rawValue): \(result.stderr)")

                let label = "\(command.name) → \(kind.rawValue)"
                switch kind {
                case .absent:
                    #expect(Self.fileType(path) == S_IFREG, "\(label)")
                    Self.check(try Data(contentsOf: URL(fileURLWithPath: path)), command, kind)
                case .regular:
                    #expect(typeBefore == S_IFREG && Self.fileType(path) == S_IFREG, "\(label)")
                    Self.check(try Data(contentsOf: URL(fileURLWithPath: path)), command, kind)
                    #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o640, "\(label)")
                case .symlinkToRegular:
                    #expect(typeBefore == S_IFLNK && Self.fileType(path) == S_IFLNK, "\(label)")
                    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path) == "target")
                    Self.check(try Data(contentsOf: URL(fileURLWithPath: dir.path("target"))), command, kind)
                case .fifo, .symlinkToFifo:
                    #expect(Self.fileType(path) == typeBefore, "\(label)")
                    #expect(Self.fileType(dir.path(kind == .fifo ? "out" : "target")) == S_IFIFO, "\(label)")
                    Self.check(try Data(contentsOf: URL(fileURLWithPath: drained)), command, kind)
                case .characterDevice:
                    var info = stat()
                    #expect(lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == nullDevice, "\(label)")
                }
                // No temporary file left beside the output.
                let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.contains(".crosslink-") }
                #expect(leftovers.isEmpty, "\(label): \(leftovers)")
            }
        }
    }

    @Test func directoriesAndDanglingLinksAreRefusedClearly() throws {
        let database = try EvaluationCLITests.database()
        let dir = try TemporaryDirectory()
        let folder = dir.path("folder")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: dir.path("dangling"), withDestinationPath: "nowhere")
        for (path, reason) in [(folder, "is a directory"), (dir.path("dangling"), "is a symbolic link to nothing")] {
            for arguments in [["export", "--out", path], ["report", "--out", path], ["events", "export", "--out", path]] {
                let result = try run(CLITests.executable, ["--database", database] + arguments)
                #expect(result.status != 0)
                #expect(result.stderr.contains("cannot write \(path): \(reason)"), "\(arguments): \(result.stderr)")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        #expect(Self.fileType(dir.path("nowhere")) == nil)
        #expect(Self.fileType(dir.path("dangling")) == S_IFLNK)
    }

    @Test func streamingTruncatesARegularFileAndWritesAFifoInPlace() throws {
        let dir = try TemporaryDirectory()
        let file = dir.path("log")
        try Data("old content".utf8).write(to: URL(fileURLWithPath: file))
        let handle = try OutputFile.openForStreaming(file)
        try handle.write(contentsOf: Data("new".utf8))
        try handle.close()
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "new")

        let fifo = dir.path("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/cat")
        reader.arguments = [fifo]
        let drained = dir.path("drained")
        #expect(FileManager.default.createFile(atPath: drained, contents: nil))
        reader.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: drained))
        try reader.run()
        let stream = try OutputFile.openForStreaming(fifo)
        try stream.write(contentsOf: Data("1 2\n".utf8))
        try stream.close()
        reader.waitUntilExit()
        #expect(try String(contentsOfFile: drained, encoding: .utf8) == "1 2\n")
        #expect(Self.fileType(fifo) == S_IFIFO)
    }
}
