import Foundation
import GatehouseCore
import GatehouseWire
import Testing

/// Free-form JSON (`user_info`) passes through as the provider wrote it.
@Suite struct JSONValueTests {
    @Test func integersPastADoublesPrecisionAreKeptExact() throws {
        let text = #"{"big":1234567890123456789,"low":-9007199254740993,"edge":9007199254740992,"small":42,"half":1.5}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        let members = try #require(value.objectValue)
        #expect(members["big"] == .integer(1_234_567_890_123_456_789))
        #expect(members["low"] == .integer(-9_007_199_254_740_993))
        // Up to 2^53 a Double holds every integer: numbers as before.
        #expect(members["edge"] == .number(9_007_199_254_740_992))
        #expect(members["small"] == .number(42) && members["half"] == .number(1.5))
        #expect(members["big"]?.stringValue == "1234567890123456789")

        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let written = String(decoding: try encoder.encode(value), as: UTF8.self)
        #expect(
            written == #"{"big":1234567890123456789,"edge":9007199254740992,"half":1.5,"low":-9007199254740993,"small":42}"#)
    }

    @Test func anEndpointPlaceholderTakesTheWholeInteger() {
        let values = ConnectionEndpoint.values(["account": .integer(1_234_567_890_123_456_789), "n": .number(7)])
        #expect(values["user_info.account"] == "1234567890123456789" && values["user_info.n"] == "7")
    }
}
