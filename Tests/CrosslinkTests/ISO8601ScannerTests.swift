import Testing
@testable import Crosslink

/// The one ISO 8601 scanner reads each caller's forms: event times (a zone required, fixed
/// field widths), Magento CSV times (a zone optional, short fields, a date alone, plus Magento's
/// US export form) and the Online Retail log's local times. Each table pins what its caller
/// accepts, what it makes of it, and what it refuses.
@Suite struct ISO8601ScannerTests {
    @Test(arguments: [
        ("2015-10-23 00:35:03", "2015-10-23T00:35:03Z"),
        ("2015-10-23T00:35:03Z", "2015-10-23T00:35:03Z"),
        ("2015-10-23T02:35:03+02:00", "2015-10-23T00:35:03Z"),
        ("2015-10-23T02:35:03+0200", "2015-10-23T00:35:03Z"),
        ("2015-10-22T20:35:03-04:00", "2015-10-23T00:35:03Z"),
        ("2015-10-23", "2015-10-23T00:00:00Z"),
        ("2015-1-5 7:05", "2015-01-05T07:05:00Z"),
        ("2015-10-23 00:35", "2015-10-23T00:35:00Z"),
        ("2015-10-23T00:35:03.123456Z", "2015-10-23T00:35:03Z"),
        ("2015-10-23T00:35:03.123456789Z", "2015-10-23T00:35:03Z"),
        ("2015-10-23  00:35:03", "2015-10-23T00:35:03Z"),
        ("2015-10-23T 00:35:03", "2015-10-23T00:35:03Z"),
        ("2015-10-23T00:35:03 Z", "2015-10-23T00:35:03Z"),
        ("2015-10-23T00:35:03 +01:00", "2015-10-22T23:35:03Z"),
        (" 2015-10-23 00:35:03 ", "2015-10-23T00:35:03Z"),
        ("2015-10-23T00:35:03+99:99", "2015-10-18T19:56:03Z"),
        ("1970-01-01T00:30:00+01:00", "1969-12-31T23:30:00Z"),
        ("10/23/15, 12:35 AM", "2015-10-23T00:35:00Z"),
        ("1/2/2016, 1:05 PM", "2016-01-02T13:05:00Z"),
        ("10/23/2015 12:35:03 PM", "2015-10-23T12:35:03Z"),
        ("10/23/15", "2015-10-23T00:00:00Z"),
        ("10/23/69 1:00 pm", "2069-10-23T13:00:00Z"),
        ("10/23/70 13:00", "1970-10-23T13:00:00Z"),
        ("2/29/2016 23:59:59", "2016-02-29T23:59:59Z"),
    ])
    func magentoTimesAreReadAsUTC(_ text: String, _ iso: String) {
        #expect(MagentoTimestamp.iso8601(fromMagento: text) == iso, "\(text)")
    }

    @Test func magentoRefusesWhatItCannotRead() {
        for bad in ["", "yesterday", "2015-10-23t00:35:03Z", "2015-10-23T00:35:03z", "2015-10-23T00:35:03,5Z",
                    "2015-10-23T00:35:03.1234567890Z", "2015-10-23T00:35:03.Z", "2015-13-01", "2015-02-29", "2015-10-23T24:00",
                    "2015-10-23T00:5", "2015-10-23T00:60", "15-10-23", "20150-10-23", "2015-10-23T", "2015-10-23T00:35:03+2",
                    "2015-10-23T00:35:03Zjunk", "2015-10-23X00:35", "10/23/201 1:00", "10/23/15 13:00 PM", "10/23/15 0:30 AM",
                    "10/23/15 1:00 XM", "13/01/15", "2/30/2016", "10-23-15"] {
            #expect(MagentoTimestamp.iso8601(fromMagento: bad) == nil, "\(bad)")
        }
    }

    /// The export writes Magento's database form back; text it cannot read passes unchanged.
    @Test func magentoTextOfAStoredTime() {
        #expect(MagentoTimestamp.magentoText(fromStored: "2015-10-23T00:35:03Z") == "2015-10-23 00:35:03")
        #expect(MagentoTimestamp.magentoText(fromStored: "0999-01-02T03:04:05Z") == "0999-01-02 03:04:05")
        #expect(MagentoTimestamp.magentoText(fromStored: "not a time") == "not a time")
    }

    @Test(arguments: [
        ("2024-05-01t10:00:00z", Int64(1_714_557_600_000)),
        ("2024-05-01T10:00:00,5Z", 1_714_557_600_500),
        ("2024-05-01T10:00:00.1234567890123Z", 1_714_557_600_123),
        ("2024-05-01T10:00:00.1Z", 1_714_557_600_100),
        ("2024-05-01T10:00:00.999+00:00", 1_714_557_600_999),
        ("2024-05-01T11:00:00+01", -1),
        ("2024-05-01T10:00:00-00:00", 1_714_557_600_000),
        ("9999-12-31T23:59:59.999Z", 253_402_300_799_999),
        ("1970-01-01T01:00:00+01:00", 0),
    ])
    func eventTimesNeedAZone(_ text: String, _ milliseconds: Int64) {
        #expect(EventTime.parse(text) == (milliseconds < 0 ? nil : milliseconds), "\(text)")
    }

    @Test func eventTimesRefuseTheLenientForms() {
        for bad in ["2024-5-01T10:00:00Z", "2024-05-01T10:00Z", "2024-05-01T10:00:00 Z", "2024-05-01  10:00:00Z",
                    "2024-05-01T10:00:00+2400", "2024-05-01T10:00:00+23:60", "2024-05-01T1:00:00Z", "2024-05-01X10:00:00Z",
                    "2024-05-01T10:00:00+01:00junk", "1970-01-01T00:30:00+01:00", "2024-05-01T10:00:00.+01:00",
                    "1714557600250123", "10/23/15, 12:35 AM", "2024-05-01T10:00:00\u{0}Z"] {
            #expect(EventTime.parse(bad) == nil, "\(bad)")
        }
    }

    /// The Online Retail log's wall times: `YYYY-MM-DD HH:MM:SS`, read as if UTC, with the end.
    @Test func localTimesAreReadWithoutAZone() {
        func local(_ text: String) -> (Int64, Int)? {
            var text = text
            return text.withUTF8 { bytes in
                var scanner = ISO8601Scanner(bytes)
                return scanner.dateTime(.local).map { ($0.seconds * 1000 + $0.milliseconds, scanner.index) }
            }
        }
        #expect(local("2010-12-01 08:26:00")! == (1_291_191_960_000, 19))
        #expect(local("2010-12-01T08:26:00.25")! == (1_291_191_960_250, 22))
        #expect(local("2010-12-01 08:26:00Z")! == (1_291_191_960_000, 19))
        for bad in ["2010-12-01 8:26:00", "2010-12-01 08:26", "2010-12-01", "2010-02-30 08:26:00", "2010-12-01 08:26:00."] {
            #expect(local(bad) == nil, "\(bad)")
        }
    }
}
