/// The parameters of a statement written for SQLite (`?`, `?NNN`, `:name`, `@name`, `$name`),
/// renumbered as PostgreSQL's `$N` with SQLite's own numbering, so that the same text and the same
/// 1-based binds run on both engines.
///
/// SQLite numbers `?` as one more than the largest number so far, `?NNN` as NNN, and a named
/// parameter, at its first appearance, as one more than the largest so far (later appearances
/// reuse it). String literals, quoted identifiers and comments are copied as they are; `::` (a
/// PostgreSQL cast) and `$N` (a PostgreSQL parameter) are kept, so statements written for
/// PostgreSQL alone pass through unchanged.
///
/// SQLite accepts binds to numbers the text never uses (SQL built from parts may leave one out);
/// PostgreSQL cannot infer a type for such a parameter and refuses the statement. So the numbers
/// used are packed into `$1…$k` in order, and ``serverIndex`` maps SQLite's number to the server's.
struct PostgreSQLPlaceholders: Equatable {
    /// The text with `$N` parameters.
    let text: String
    /// The largest SQLite parameter number: binds 1…count are accepted.
    let count: Int
    /// For each SQLite parameter number 1…count, the 1-based server parameter, or nil when the text
    /// does not use it (its bind is dropped).
    let serverIndex: [Int?]
    /// The number of server parameters.
    var serverCount: Int { serverIndex.lazy.compactMap { $0 }.count }

    init(sqlite sql: String) {
        let scalars = Array(sql.unicodeScalars)
        var output: [Unicode.Scalar] = []  // an array: its count, taken per parameter, is O(1)
        /// Parameters in order of the text: where each goes in `output` and its SQLite number.
        var slots: [(offset: Int, number: Int)] = []
        var largest = 0
        var used = Set<Int>()
        var named: [String: Int] = [:]
        var index = 0

        func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "_" || scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar.value > 127
        }
        func digits(from start: Int) -> (value: Int, end: Int)? {
            var end = start
            while end < scalars.count, ("0"..."9").contains(scalars[end]) { end += 1 }
            guard end > start, let value = Int(String(String.UnicodeScalarView(scalars[start..<end]))) else { return nil }
            return (value, end)
        }
        func emit(_ number: Int) {
            used.insert(number)
            largest = max(largest, number)
            slots.append((output.count, number))
        }
        /// Copies a quoted run that ends at the next unescaped `quote` (doubled quotes escape).
        func copyQuoted(_ quote: Unicode.Scalar) {
            output.append(scalars[index])
            index += 1
            while index < scalars.count {
                output.append(scalars[index])
                if scalars[index] == quote {
                    if index + 1 < scalars.count, scalars[index + 1] == quote {
                        output.append(scalars[index + 1])
                        index += 2
                        continue
                    }
                    index += 1
                    return
                }
                index += 1
            }
        }

        while index < scalars.count {
            let scalar = scalars[index]
            let next: Unicode.Scalar? = index + 1 < scalars.count ? scalars[index + 1] : nil
            switch scalar {
            case "'", "\"", "`":
                copyQuoted(scalar)
            case "[":
                // SQLite's [identifier] quoting.
                copyQuoted("]")
            case "-" where next == "-":
                while index < scalars.count, scalars[index] != "\n" { output.append(scalars[index]); index += 1 }
            case "/" where next == "*":
                output.append(contentsOf: "/*".unicodeScalars)
                index += 2
                while index < scalars.count {
                    if scalars[index] == "*", index + 1 < scalars.count, scalars[index + 1] == "/" {
                        output.append(contentsOf: "*/".unicodeScalars)
                        index += 2
                        break
                    }
                    output.append(scalars[index])
                    index += 1
                }
            case "?":
                if let number = digits(from: index + 1) {
                    emit(number.value)
                    index = number.end
                } else {
                    emit(largest + 1)
                    index += 1
                }
            case ":" where next == ":":
                output.append(contentsOf: "::".unicodeScalars)
                index += 2
            case "$" where next.map { ("0"..."9").contains($0) } == true:
                let number = digits(from: index + 1)!
                emit(number.value)
                index = number.end
            case ":", "@", "$":
                guard let next, isNameScalar(next) else {
                    output.append(scalar)
                    index += 1
                    continue
                }
                var end = index + 1
                while end < scalars.count, isNameScalar(scalars[end]) { end += 1 }
                let name = String(String.UnicodeScalarView(scalars[index..<end]))
                let number = named[name] ?? (largest + 1)
                named[name] = number
                emit(number)
                index = end
            default:
                output.append(scalar)
                index += 1
            }
        }
        count = largest
        var mapping = [Int?](repeating: nil, count: largest)
        var next = 1
        for number in used.sorted() {
            mapping[number - 1] = next
            next += 1
        }
        serverIndex = mapping
        var result = String.UnicodeScalarView()
        var copied = 0
        for slot in slots {
            result.append(contentsOf: output[copied..<slot.offset])
            result.append(contentsOf: "$\(mapping[slot.number - 1]!)".unicodeScalars)
            copied = slot.offset
        }
        result.append(contentsOf: output[copied...])
        text = String(result)
    }
}
