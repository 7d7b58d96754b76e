import Foundation

/// additional_attributes: `code=value` pairs, with attribute types inferred when unknown.
extension ImportRun {
    func importAttributes(_ record: CSVRecord, productID: Int, fresh: Bool) throws {
        guard let value = cell(record, .additionalAttributes) else { return }
        if isClear(value) {
            if !fresh {
                try flushBatch()
                deleteAllAttributes.reset()
                deleteAllAttributes.bind(productID, at: 1)
                while try deleteAllAttributes.step() {}
            }
            return
        }
        let pairs: [AdditionalAttribute]
        do {
            pairs = try AdditionalAttribute.parse(value)
        } catch let error as InputError {
            throw issue(record, .additionalAttributes, error.message)
        }
        var written = Set<Int>()
        for pair in pairs {
            let code = Self.key(pair.code)
            guard code.utf8.count <= 255 else {
                throw issue(record, .additionalAttributes, "attribute code \"\(pair.code)\" is longer than 255 bytes")
            }
            if pair.value.isEmpty { continue }  // `code=` leaves the value unchanged, like an empty cell
            if isClear(pair.value) {
                if let attribute = attributes[code], !fresh || written.contains(attribute.id) {
                    try deleteAttributeValues(productID: productID, attributeID: attribute.id)
                }
                continue
            }
            let options = pair.options
            var attribute: AttributeState
            if let known = attributes[code] {
                attribute = known
                if attribute.inferred, attribute.type != .multiselect, options.count > 1 {
                    try AttributeRepository(db).define(code: code, type: .multiselect)
                    attribute.type = .multiselect
                    attributes[code] = attribute
                }
            } else {
                let type: AttributeType = options.count > 1 ? .multiselect : .text
                let id = try AttributeRepository(db).define(code: code, type: type)
                attribute = AttributeState(id: id, type: type, inferred: true)
                attributes[code] = attribute
            }
            let values = attribute.type == .multiselect ? options : [pair.value]
            if values.isEmpty { continue }
            if !fresh || written.contains(attribute.id) {
                try deleteAttributeValues(productID: productID, attributeID: attribute.id)
            }
            written.insert(attribute.id)
            if let batch {
                for (ordinal, text) in values.enumerated() {
                    batch.addAttribute(productID: productID, attributeID: attribute.id, ordinal: ordinal, value: text,
                                       number: AttributeRepository.number(text))
                }
                continue
            }
            let s = insertAttribute
            for (ordinal, text) in values.enumerated() {
                s.reset()
                s.bind(productID, at: 1)
                s.bind(attribute.id, at: 2)
                s.bind(ordinal, at: 3)
                s.bind(text, at: 4)
                s.bind(AttributeRepository.number(text), at: 5)
                while try s.step() {}
            }
        }
    }

    func deleteAttributeValues(productID: Int, attributeID: Int) throws {
        try flushBatch()
        deleteAttribute.reset()
        deleteAttribute.bind(productID, at: 1)
        deleteAttribute.bind(attributeID, at: 2)
        while try deleteAttribute.step() {}
    }
}

/// One `code=value` pair of `additional_attributes`, with the form its value was written in
/// (``MagentoFields/parseAdditionalAttributes(_:)`` returns the values; the form decides
/// whether a value is one text or several multiselect options).
struct AdditionalAttribute {
    enum Form {
        /// `code=a|b`: split on `|` when the attribute is a multiselect.
        case plain
        /// `code="a|b"`: one value, whatever the attribute's type.
        case wrapped
        /// `code="a"|"b"`: Magento's multiselect form, several options.
        case options
    }

    var code: String
    var value: String
    var form: Form

    /// The multiselect options this value stands for.
    var options: [String] {
        switch form {
        case .wrapped: [value]
        case .plain, .options: MagentoFields.splitMultiselect(value)
        }
    }

    /// Parses with ``MagentoFields/parseAdditionalAttributes(_:)`` and finds each value's form by
    /// walking the cell in step with the parsed pairs.
    static func parse(_ cell: String) throws -> [AdditionalAttribute] {
        let pairs = try MagentoFields.parseAdditionalAttributes(cell)
        let bytes = Array(cell.utf8)
        var cursor = 0
        var result: [AdditionalAttribute] = []
        result.reserveCapacity(pairs.count)
        for pair in pairs {
            // Skip to this pair's `=` (the code may have blanks around it).
            while cursor < bytes.count && bytes[cursor] != UInt8(ascii: "=") { cursor += 1 }
            cursor += 1
            var form = Form.plain
            var length = pair.value.utf8.count
            if cursor < bytes.count && bytes[cursor] == UInt8(ascii: "\"") {
                let wrapped = Array(("\"" + CSVWriter.doublingQuotes(pair.value) + "\"").utf8)
                if bytes[cursor...].starts(with: wrapped) {
                    form = .wrapped
                    length = wrapped.count
                } else {
                    form = .options
                }
            }
            cursor += length
            result.append(AdditionalAttribute(code: pair.code, value: pair.value, form: form))
        }
        return result
    }
}
