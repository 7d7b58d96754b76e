// Build-time tool run by the EmbedMigrations plugin:
//   embed-migrations OUTPUT.swift MIGRATIONS-FOLDER [PROPERTY]
// Writes a Swift file holding each migration's file name and exact text as
// `EmbeddedMigrations.PROPERTY` (default `files`), so the library carries the schema without a
// second, hand-pasted copy of the SQL. Only the folder's own *.sql files, not its subfolders'.
import Foundation

let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: embed-migrations OUTPUT.swift MIGRATIONS-FOLDER [PROPERTY]\n".utf8))
    exit(64)
}
guard let folder = arguments.dropFirst().first,
      let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
    FileHandle.standardError.write(Data("embed-migrations: cannot list the migrations folder\n".utf8))
    exit(66)
}
let inputs = names.filter { $0.hasSuffix(".sql") }.sorted().map { folder + "/" + $0 }
let property = arguments.dropFirst(2).first ?? "files"
guard property.first?.isLetter == true, property.allSatisfy({ $0.isLetter || $0.isNumber }) else {
    FileHandle.standardError.write(Data("embed-migrations: \(property) is not a Swift property name\n".utf8))
    exit(64)
}

var source = """
// Generated at build time from \(folder)/*.sql by the EmbedMigrations plugin. Do not edit.

extension EmbeddedMigrations {
    static let \(property): [(fileName: String, sql: String)] = [

"""
for path in inputs {
    let name = (path as NSString).lastPathComponent
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
        FileHandle.standardError.write(Data("embed-migrations: cannot read \(path) as UTF-8\n".utf8))
        exit(65)
    }
    // A raw string with enough #s that no sequence inside the SQL can close it.
    var hashes = "#"
    while text.contains("\"" + hashes) { hashes += "#" }
    source += "        (\(String(reflecting: name)), \(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes)),\n"
}
source += "    ]\n}\n"
do {
    try source.write(toFile: output, atomically: true, encoding: .utf8)
} catch {
    FileHandle.standardError.write(Data("embed-migrations: cannot write \(output): \(error)\n".utf8))
    exit(73)
}
