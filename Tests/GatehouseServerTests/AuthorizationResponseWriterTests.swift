import Foundation
import GatehouseWire
import NIOCore
import Testing

@testable import GatehouseServer

/// The hand-written answer of `authorize` is the encoder's, byte for byte.
struct AuthorizationResponseWriterTests {
    static let awkward: [String] = [
        "", "plain", "with/slash", "quote\"and\\backslash", "tab\tnew\nline\rcr", "bell\u{07}\u{08}\u{0C}\u{1F}\u{7F}",
        "é ü 日本 👩‍💻", "\u{2028}\u{2029}", "e\u{301}", "https://x.example/a?b=c&d=%2F",
        String((0..<0x80).map { Character(UnicodeScalar(UInt8($0))) }),
    ]

    static var responses: [AuthorizationResponse] {
        var all: [AuthorizationResponse] = [
            AuthorizationResponse(),
            AuthorizationResponse(id: "ac_1", status: .pending, url: "https://idp/authorize?x=1", scopes: [], providerID: "p"),
            AuthorizationResponse(
                id: "ac_2", status: .completed, scopes: ["read", "write"], providerID: "github", userID: "alice",
                context: .init(token: "gho_abc", userInfo: [:])),
            AuthorizationResponse(
                status: .unknown("odd"), context: .init(token: nil, userInfo: ["a": .string("x"), "n": .number(1.5)])),
            AuthorizationResponse(
                id: "ac_3", status: .failed, context: .init(token: "t", userInfo: nil)),
            AuthorizationResponse(
                id: "ac_4", status: .failed, scopes: ["a"], providerID: "p", userID: "u", statusReason: "the user denied access"),
            AuthorizationResponse(
                context: .init(
                    userInfo: [
                        "z": .array([.null, .bool(true), .number(3), .number(-0.25), .object(["k": .string("v/\"")])]),
                        "b": .object([:]),
                    ])),
        ]
        for text in awkward {
            all.append(
                AuthorizationResponse(
                    id: text, status: .unknown(text), url: text, scopes: [text, text], providerID: text, userID: text,
                    context: .init(token: text, userInfo: [text: .string(text)]), statusReason: text))
        }
        return all
    }

    @Test(arguments: responses)
    func writesWhatTheEncoderWrites(response: AuthorizationResponse) throws {
        let expected = try JSONResponse.encoder.encode(response)
        let written = try AuthorizationResponseWriter.write(response)
        #expect(Array(written.readableBytesView) == Array(expected), "\(String(decoding: expected, as: UTF8.self))")
    }
}
