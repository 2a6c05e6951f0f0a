import Foundation
import GatehouseCore
import GatehouseWire
import Testing

/// Free-form JSON (`user_info`) passes through as the provider wrote it.
@Suite struct JSONValueTests {
    @Test func integersPastADoublesPrecisionAreKeptExact() throws {
        let text = #"{"big":1234567890123456789,"low":-9007199254740993,"edge":9007199254740991,"small":42,"half":1.5}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        let members = try #require(value.objectValue)
        #expect(members["big"] == .integer(1_234_567_890_123_456_789))
        #expect(members["low"] == .integer(-9_007_199_254_740_993))
        // Below 2^53 a Double holds every integer: numbers as before.
        #expect(members["edge"] == .number(9_007_199_254_740_991))
        #expect(members["small"] == .number(42) && members["half"] == .number(1.5))
        #expect(members["big"]?.stringValue == "1234567890123456789")

        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let written = String(decoding: try encoder.encode(value), as: UTF8.self)
        #expect(
            written == #"{"big":1234567890123456789,"edge":9007199254740991,"half":1.5,"low":-9007199254740993,"small":42}"#)
    }

    /// Whole numbers below 2^53 are written whole; past `Int64`, or with a fraction past 2^53, a
    /// number is a rounded `Double`, written as one.
    @Test(arguments: [
        ("1234567890123456", "1234567890123456"), ("-9007199254740991", "-9007199254740991"),
        ("100000000000000000000", "1e+20"), ("9223372036854775808", "9.223372036854776e+18"),
        ("9007199254740993.5", "9.007199254740994e+15"), ("0.25", "0.25"), ("-0", "0"),
    ])
    func theEdgesOfExactNumbers(written: String, read: String) throws {
        let value = try JSONDecoder().decode([JSONValue].self, from: Data("[\(written)]".utf8))
        let text = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        #expect(text == "[\(read)]")
        #expect(value.first?.stringValue == read)
        if case .integer? = value.first { Issue.record("\(written) is not an exact integer past 2^53") }
    }

    @Test func anEndpointPlaceholderTakesTheWholeInteger() {
        let values = ConnectionEndpoint.values([
            "account": .integer(1_234_567_890_123_456_789), "n": .number(7), "sixteen": .number(1_234_567_890_123_456),
        ])
        #expect(values["user_info.account"] == "1234567890123456789" && values["user_info.n"] == "7")
        #expect(values["user_info.sixteen"] == "1234567890123456")
    }
}
