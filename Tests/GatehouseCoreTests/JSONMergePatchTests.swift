import GatehouseWire
import Testing

@testable import GatehouseCore

/// JSON Merge Patch (RFC 7396) both ways: a patch made from two documents turns the first into
/// the second when applied.
@Suite struct JSONMergePatchTests {
    static let base: JSONValue = .object([
        "a": .string("x"), "keep": .number(1),
        "nested": .object(["drop": .bool(true), "change": .string("old"), "same": .array([.number(1)])]),
    ])

    @Test(arguments: [
        JSONValue.object([
            "a": .string("y"), "keep": .number(1),
            "nested": .object(["change": .string("new"), "same": .array([.number(1)]), "add": .null]),
        ]),
        .object([:]),
        .object(["nested": .string("flat now")]),
        base,
    ])
    func aPatchMadeBetweenTwoDocumentsTurnsOneIntoTheOther(target: JSONValue) {
        let patch = Self.base.mergePatch(to: target)
        // A `null` in the target cannot survive a merge patch (it means "remove"), as RFC 7396 says.
        #expect(Self.base.merged(with: patch) == target.withoutNulls)
    }

    @Test func thePatchNamesOnlyWhatChanged() {
        let target: JSONValue = .object([
            "a": .string("x"), "keep": .number(2),
            "nested": .object(["change": .string("old"), "same": .array([.number(1)])]),
        ])
        #expect(
            Self.base.mergePatch(to: target)
                == .object(["keep": .number(2), "nested": .object(["drop": .null])]))
        #expect(Self.base.mergePatch(to: Self.base) == .object([:]))
    }
}
