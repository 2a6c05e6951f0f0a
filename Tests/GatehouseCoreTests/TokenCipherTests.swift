import Foundation
import Testing

@testable import GatehouseCore

@Suite struct TokenCipherTests {
    let keyA = try! RootKey.generate(id: "a")
    let keyB = try! RootKey.generate(id: "b")

    @Test func roundTripsAndBindsTheRow() throws {
        let cipher = try TokenCipher(keys: [keyA], defaultKeyID: "a")
        let blob = try cipher.seal(Array("secret".utf8), context: "connection:1")
        #expect(try cipher.open(blob, context: "connection:1") == Array("secret".utf8))
        #expect(!String(decoding: blob, as: UTF8.self).contains("secret"))
        #expect(throws: GatehouseError.self) { try cipher.open(blob, context: "connection:2") }
        var tampered = blob
        tampered[tampered.count - 1] ^= 1
        #expect(throws: GatehouseError.self) { try cipher.open(tampered, context: "connection:1") }
    }

    @Test func anEmptyValueRoundTripsAndOneByteLessIsRefused() throws {
        // An empty client secret was stored and then read as "truncated": every provider read failed.
        let cipher = try TokenCipher(keys: [keyA], defaultKeyID: "a")
        let blob = try cipher.seal([], context: "provider:x")
        #expect(try cipher.open(blob, context: "provider:x") == [])
        #expect(throws: GatehouseError.self) { try cipher.open(Array(blob.dropLast()), context: "provider:x") }
    }

    @Test func rotationDecryptsOldDataAndWritesUnderTheNewKey() throws {
        let old = try TokenCipher(keys: [keyA], defaultKeyID: "a")
        let blob = try old.seal(Array("t".utf8), context: "c")
        let rotated = try TokenCipher(keys: [keyA, keyB], defaultKeyID: "b")
        #expect(try rotated.open(blob, context: "c") == Array("t".utf8))
        #expect(TokenCipher.keyID(of: try rotated.seal(Array("t".utf8), context: "c")) == "b")
        let withoutA = try TokenCipher(keys: [keyB], defaultKeyID: "b")
        #expect {
            try withoutA.open(blob, context: "c")
        } throws: { error in
            (error as? GatehouseError)?.message.contains("'a'") == true
        }
    }

    @Test func rejectsBadKeys() {
        #expect(throws: GatehouseError.self) { try RootKey(id: "k", bytes: [1, 2, 3]) }
        #expect(throws: GatehouseError.self) { try RootKey(id: "bad id", bytes: Array(repeating: 0, count: 32)) }
        #expect(throws: GatehouseError.self) { try TokenCipher(keys: [keyA], defaultKeyID: "b") }
        #expect(throws: GatehouseError.self) { try TokenCipher(keys: [keyA, keyA], defaultKeyID: "a") }
    }

    @Test func tokenSetsNeverPrintTheirTokens() {
        let tokens = TokenSet(
            accessToken: "AT-123", refreshToken: "RT-456", tokenType: "Bearer", obtainedAt: Date(),
            expiresAt: Date().addingTimeInterval(60), scopes: nil)
        for text in [tokens.description, String(reflecting: tokens), "\(tokens)"] {
            #expect(!text.contains("AT-123") && !text.contains("RT-456"))
        }
    }

    @Test func staleBeforeExpiryButNeverBeforeHalfTheLifetime() {
        let start = Date(timeIntervalSince1970: 1000)
        let hour = TokenSet(
            accessToken: "a", refreshToken: nil, tokenType: nil, obtainedAt: start, expiresAt: start + 3600, scopes: nil)
        #expect(hour.staleAt(skew: 300) == start + 3300)
        let short = TokenSet(
            accessToken: "a", refreshToken: nil, tokenType: nil, obtainedAt: start, expiresAt: start + 6, scopes: nil)
        #expect(short.staleAt(skew: 300) == start + 3)
    }
}
