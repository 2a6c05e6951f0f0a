import Testing

@testable import GatehouseCore

/// A failed flow's reason is told to apps (`status_reason`) and shown by the CLI: a provider's
/// words in it must not drive a terminal.
struct FailureReasonTests {
    @Test func controlCharactersBecomeSpacesAndTheLengthIsBounded() {
        #expect(
            AuthBroker.storable(reason: "token exchange failed: bad\u{1B}[2J\r\nthing\u{85}x")
                == "token exchange failed: bad [2J  thing x")
        #expect(AuthBroker.storable(reason: "the user denied access") == "the user denied access")
        #expect(AuthBroker.storable(reason: String(repeating: "é", count: 900)).unicodeScalars.count == 500)
    }
}
