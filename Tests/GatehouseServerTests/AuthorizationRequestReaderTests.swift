import Foundation
import GatehouseWire
import NIOCore
import Testing

@testable import GatehouseServer

/// The hand-written reader of `authorize` bodies agrees with `JSONDecoder` wherever it answers,
/// and answers for the bodies the official clients send.
struct AuthorizationRequestReaderTests {
    static func decoded(_ text: String) -> AuthorizationRequest? {
        try? JSONDecoder().decode(AuthorizationRequest.self, from: Data(text.utf8))
    }

    @Test(arguments: [
        #"{"auth_requirement": {"provider_id": "google", "oauth2": {"scopes": ["https://www.googleapis.com/auth/gmail.readonly"]}}, "user_id": "alice@example.com"}"#,
        #"{"auth_requirement":{"provider_id":"github","provider_type":"oauth2","oauth2":{"scopes":[]}},"user_id":"u"}"#,
        #" {"user_id":"u","auth_requirement":{"id":"my-github","oauth2":null},"next_uri":null} "#,
        #"{"auth_requirement":{"provider_id":"x","oauth2":{"scopes":null}},"user_id":"u","next_uri":"https://app/x?y=1"}"#,
        "{\n  \"auth_requirement\": {\n    \"provider_id\": \"slack\"\n  },\n  \"user_id\": \"bob\"\n}\n",
    ])
    func readsWhatTheClientsSend(body: String) throws {
        let read = try #require(AuthorizationRequestReader.read(ByteBuffer(string: body)))
        #expect(read == Self.decoded(body))
    }

    @Test(arguments: [
        #"{"auth_requirement":{"provider_id":"g"}}"#,  // user_id missing
        #"{"auth_requirement":{"provider_id":"g"},"user_id":null}"#,
        #"{"auth_requirement":{"provider_id":"g"},"user_id":"a\"b"}"#,  // an escape
        #"{"auth_requirement":{"provider_id":"g"},"user_id":"é"}"#,  // not ASCII
        #"{"auth_requirement":{"provider_id":"g"},"user_id":"u","extra":1}"#,  // an unknown key
        #"{"auth_requirement":{"provider_id":"g"},"user_id":"u","user_id":"v"}"#,  // a repeated key
        #"{"auth_requirement":{"provider_id":"g"},"user_id":"u",}"#,
        #"{"auth_requirement":{"provider_id":"g"},"user_id":"u"} x"#,
        #"{"auth_requirement":{"provider_id":7},"user_id":"u"}"#,
        #"{"auth_requirement":{"oauth2":{"scopes":["a",1]}},"user_id":"u"}"#,
        #"{"auth_requirement":{"oauth2":{"scopes":"a"}},"user_id":"u"}"#,
        #"{"auth_requirement":{"provider_id":"g"},"user_id":"u""#,
        "",
    ])
    func leavesEverythingElseToTheDecoder(body: String) {
        #expect(AuthorizationRequestReader.read(ByteBuffer(string: body)) == nil)
    }

    /// Generated bodies: every field present, absent or null, keys in any order, spaces, odd
    /// strings, and bodies cut short. Wherever the reader answers, `JSONDecoder` answers the same.
    @Test func agreesWithTheDecoderOnGeneratedBodies() {
        var generator = SystemRandomNumberGenerator()
        let strings = ["", "u", "alice@example.com", "a b", "a\\\"b", "a\\\\b", "a/b", "é", "\\u00e9", "x\\ny", "null"]
        func string() -> String { "\"" + strings.randomElement(using: &generator)! + "\"" }
        func space() -> String { ["", " ", "\n", "\t", "  \r\n"].randomElement(using: &generator)! }
        func member(_ key: String, _ value: String) -> String { space() + "\"\(key)\"" + space() + ":" + space() + value }
        func optional(_ key: String, _ value: () -> String) -> String? {
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: nil
            case 1: member(key, "null")
            default: member(key, value())
            }
        }
        func object(_ members: [String?]) -> String {
            "{" + members.compactMap { $0 }.shuffled(using: &generator).joined(separator: ",") + space() + "}"
        }
        var answered = 0
        for _ in 0..<5000 {
            let count = Int.random(in: 0..<3, using: &generator)
            let scopes = "[" + (0..<count).map { _ in space() + string() }.joined(separator: ",") + "]"
            let oauth2 = optional("oauth2") { object([optional("scopes") { scopes }]) }
            let requirement = object([
                optional("provider_id", string), optional("id", string), optional("provider_type", string), oauth2,
                Bool.random(using: &generator) ? nil : member("provider_id", string()),
            ])
            var body =
                space()
                + object([
                    optional("auth_requirement") { requirement }, optional("user_id", string), optional("next_uri", string),
                    Int.random(in: 0..<8, using: &generator) == 0 ? member("other", string()) : nil,
                ]) + space()
            if Int.random(in: 0..<10, using: &generator) == 0 {
                body = String(body.prefix(Int.random(in: 0...body.count, using: &generator)))
            }
            guard let read = AuthorizationRequestReader.read(ByteBuffer(string: body)) else { continue }
            answered += 1
            #expect(read == Self.decoded(body), "\(body)")
        }
        #expect(answered > 50, "the generator should produce plain bodies too")
    }
}
