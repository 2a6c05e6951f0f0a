import Foundation
import Testing

@testable import GatehouseCore

/// The token set read by hand is the one `JSONDecoder` reads, for every token set
/// `JSONEncoder` writes; what the hand reader does not take, it leaves to the decoder.
struct TokenSetPlainJSONTests {
    static let tokens = [
        "ya29.a0AfH6SMC-abc_DEF", "gho_16C7e42F292c6912E7710c838347Ae178B4a", "ab/cd+ef==", "",
        "xoxp-1-2-3", "with space", "quote\"inside", "back\\slash", "é-unicode", "tab\tin", "/leading/",
    ]

    static func randomSet(_ generator: inout some RandomNumberGenerator) -> TokenSet {
        let obtained = Date(timeIntervalSinceReferenceDate: Double.random(in: -1e9...1e9, using: &generator))
        let expires =
            [obtained.addingTimeInterval(3600), Date(timeIntervalSinceReferenceDate: 0), Date.distantFuture, obtained]
            .randomElement(using: &generator)!
        return TokenSet(
            accessToken: tokens.randomElement(using: &generator)!,
            refreshToken: Bool.random(using: &generator) ? nil : tokens.randomElement(using: &generator)!,
            tokenType: Bool.random(using: &generator) ? nil : "Bearer", obtainedAt: obtained, expiresAt: expires,
            scopes: Bool.random(using: &generator)
                ? nil : Array(tokens.shuffled(using: &generator).prefix(Int.random(in: 0...3, using: &generator))))
    }

    @Test func readsWhatTheEncoderWritesAsTheDecoderDoes() throws {
        var generator = SystemRandomNumberGenerator()
        var read = 0
        for _ in 0..<2000 {
            let tokens = Self.randomSet(&generator)
            let json = Array(try JSONEncoder().encode(tokens))
            let decoded = try JSONDecoder().decode(TokenSet.self, from: Data(json))
            guard let plain = TokenSet.plain(json) else { continue }
            read += 1
            #expect(plain == decoded, "\(String(decoding: json, as: UTF8.self))")
        }
        #expect(read > 200, "plain token sets are read by hand")
    }

    @Test func aTypicalTokenSetIsReadByHandAndOddOnesAreLeftToTheDecoder() throws {
        let typical = TokenSet(
            accessToken: "ya29.a0/AfH6", refreshToken: "1//0g-x", tokenType: "Bearer",
            obtainedAt: Date(timeIntervalSinceReferenceDate: 786_240_000.123456),
            expiresAt: Date(timeIntervalSinceReferenceDate: 786_243_600.5), scopes: ["openid", "email"])
        #expect(TokenSet.plain(Array(try JSONEncoder().encode(typical))) == typical)
        for odd in [
            #"{"accessToken":"a","obtainedAt":1,"expiresAt":2,"other":3}"#,
            #"{"accessToken":"a\u0041","obtainedAt":1,"expiresAt":2}"#,
            #"{"accessToken":"a","obtainedAt":01,"expiresAt":2}"#, #"{"accessToken":"a","obtainedAt":1,"expiresAt":2} x"#,
            #"{"accessToken":"a","obtainedAt":1}"#, #"{"accessToken":"a","accessToken":"b","obtainedAt":1,"expiresAt":2}"#,
        ] {
            #expect(TokenSet.plain(Array(odd.utf8)) == nil, "\(odd)")
        }
    }

    @Test func theCipherOpensBothWays() throws {
        let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
        let tokens = TokenSet(
            accessToken: "quote\"inside", refreshToken: nil, tokenType: nil, obtainedAt: Date(timeIntervalSince1970: 0),
            expiresAt: Date(timeIntervalSince1970: 10), scopes: nil)
        let sealed = try cipher.seal(json: tokens, context: "c")
        #expect(try cipher.open(TokenSet.self, from: sealed, context: "c") == tokens)
    }
}
