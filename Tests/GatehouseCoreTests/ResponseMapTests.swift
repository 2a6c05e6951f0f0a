import Foundation
import GatehouseWire
import Testing

@testable import GatehouseCore

@Suite struct ResponseMapTests {
    let document: JSONValue = .object([
        "access_token": .string("top"),
        "authed_user": .object(["access_token": .string("xoxp-1"), "scope": .string("a,b")]),
        "scope": .array([.string("x"), .string("y")]),
        "items": .array([.object(["id": .number(7)])]),
        "nothing": .null,
    ])

    @Test func selectsPaths() throws {
        #expect(try ResponseMap.evaluate("$.authed_user.access_token", in: document) == .string("xoxp-1"))
        #expect(try ResponseMap.evaluate("$['access_token']", in: document) == .string("top"))
        #expect(try ResponseMap.evaluate("$.items[0].id", in: document) == .number(7))
        #expect(try ResponseMap.evaluate("$.items[-1].id", in: document) == .number(7))
        #expect(try ResponseMap.evaluate("$.missing.deeper", in: document) == nil)
        #expect(try ResponseMap.evaluate("$.nothing", in: document) == nil)
        #expect(try ResponseMap.evaluate("$", in: document) == document)
    }

    @Test func joinsArrays() throws {
        #expect(try ResponseMap.evaluate("join('$.scope', ' ')", in: document) == .string("x y"))
        #expect(try ResponseMap.evaluate("join($.scope, ',')", in: document) == .string("x,y"))
        #expect(try ResponseMap.evaluate("join('$.authed_user.scope', ' ')", in: document) == .string("a,b"))
    }

    @Test func decodesJWTClaimsWithoutVerifying() throws {
        let payload = #"{"scp":["mail.read","openid"],"nested":{"scopes":"a b"}}"#
        let jwt = "eyJhbGciOiJub25lIn0." + Base64URL.encode(Array(payload.utf8)) + ".sig"
        let tokenDocument: JSONValue = .object(["access_token": .string(jwt)])
        #expect(
            try ResponseMap.evaluate("jwt_decode('$.access_token', '$.nested.scopes')", in: tokenDocument) == .string("a b"))
        #expect(
            try ResponseMap.evaluate("join(jwt_decode('$.access_token', '$.scp'), ' ')", in: tokenDocument)
                == .string("mail.read openid"))
        #expect(try ResponseMap.evaluate("jwt_decode('$.missing', '$.scp')", in: tokenDocument) == nil)
    }

    @Test(arguments: ["access_token", "$.a[", "join('$.a')", "jwt_decode('$.a', )", "$.a extra", "join('$.a', ' '"])
    func rejectsBadSyntax(expression: String) {
        #expect(throws: GatehouseError.self) { try ResponseMap.validate(expression) }
    }

    @Test func nestingIsBoundedSoThatNoTemplateOverflowsTheStack() throws {
        func nested(_ depth: Int) -> String {
            String(repeating: "join(", count: depth) + "'$.scope'" + String(repeating: ", ' ')", count: depth)
        }
        #expect(try ResponseMap.evaluate(nested(16), in: document) == .string("x y"))
        #expect(throws: GatehouseError.invalid("response_map expression nests join() and jwt_decode() more than 16 deep")) {
            try ResponseMap.validate(nested(17))
        }
        // Deep enough to end the process on recursion alone: refused at the first level past the bound.
        #expect(throws: GatehouseError.self) { try ResponseMap.validate(nested(200_000)) }
        let mixed = String(repeating: "jwt_decode(", count: 17) + "'$.a'" + String(repeating: ", '$.b')", count: 17)
        #expect(throws: GatehouseError.self) { try ResponseMap.validate(mixed) }
    }

    @Test func appliesAMap() throws {
        let result = try ResponseMap.apply(
            ["access_token": "$.authed_user.access_token", "scope": "join('$.scope', ' ')", "gone": "$.nope"], to: document)
        #expect(result == ["access_token": .string("xoxp-1"), "scope": .string("x y")])
    }
}
