import Foundation
import Testing
import Yams

@testable import GatehouseServer

/// `YAMLReader` reads what `Yams.load` with its default (regular expression) resolver reads, on
/// generated scalars, the built-in provider files and a config file with anchors and merges.
struct YAMLReaderTests {
    /// Deterministic, so a failure names a scalar that fails again.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let named = [
        "", "~", "null", "Null", "NULL", "nULL", "yes", "Yes", "YES", "yEs", "no", "on", "ON", "off", "OfF", "true", "True",
        "TRUE", "tRUE", "false", "y", "n", "0", "-0", "+0", "00", "08", "0o17", "0o", "0o8", "0b101", "0b", "0b2", "-0b1", "0x1F",
        "0xg", "0x", "1_000", "_1", "1:30", "190:20:30", "1:60", "1:5:", "0:30", "1.", ".5", "-.5", "+.5", ".5e+3", ".5e3",
        "1e5", "1e", "1E-5", "1.5e+10", "1_0.0_1", "1.2.3", "1:30.5", "1:30.", "1.5:30", ".inf", "-.Inf", "+.INF", ".nan",
        ".NaN", "-.nan", "inf", "nan", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "<<", "=", "99999999999999999999",
        "0x7fffffffffffffff", "1:2:3:4", "12e3_4", "1__", "-", "+", ".", "1-2", "0_7", "0o_", "0x_",
    ]

    static func corpus() -> [String] {
        let alphabet = Array("0123456789_.:+-eExobaAfFinINTtZ~ruyslO")
        var generator = SplitMix(state: 20_261_201)
        var scalars = named
        for _ in 0..<20_000 {
            let length = Int.random(in: 1...7, using: &generator)
            scalars.append(String((0..<length).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        return scalars
    }

    /// Same type and value; Yams' timestamps are this reader's strings.
    static func same(_ expected: Any, _ actual: Any) -> Bool {
        switch (expected, actual) {
        case (is Date, is String): return true
        case (let e as Bool, let a as Bool): return e == a
        case (let e as Int, let a as Int): return e == a
        case (let e as Double, let a as Double): return e == a || (e.isNaN && a.isNaN)
        case (is NSNull, is NSNull): return true
        case (let e as String, let a as String): return e == a
        case (let e as [AnyHashable: Any], let a as [String: Any]):
            return e.count == a.count
                && e.allSatisfy { key, value in (key.base as? String).flatMap { a[$0] }.map { same(value, $0) } ?? false }
        case (let e as [Any], let a as [Any]): return e.count == a.count && zip(e, a).allSatisfy(same)
        default: return false
        }
    }

    static func kind(_ value: Any) -> String {
        switch value {
        case is Bool: "bool"
        case is Int: "int"
        case is Double: "float"
        case is NSNull: "null"
        case is String: "string"
        case is Date: "timestamp"
        default: "other"
        }
    }

    @Test func plainScalarsResolveAsYamsDefaultResolverDoes() throws {
        var kinds: [String: Int] = [:]
        for scalar in Self.corpus() {
            let document = "v: \(scalar)\n"
            let expected = try? Yams.load(yaml: document)
            let actual = try? YAMLReader.load(document)
            switch (expected, actual) {
            case (nil, nil): continue
            case (let e?, let a?):
                #expect(Self.same(e, a), "\(scalar.debugDescription): Yams \(e), YAMLReader \(a)")
                // A timestamp is kept as its text (`same` lets any string stand for one).
                if (e as? [AnyHashable: Any])?["v"] is Date {
                    #expect(
                        (a as? [String: Any])?["v"] as? String == scalar.trimmingCharacters(in: .whitespaces),
                        "\(scalar.debugDescription)")
                }
                if let value = (e as? [AnyHashable: Any])?["v"] { kinds[Self.kind(value), default: 0] += 1 }
            default:
                Issue.record(
                    "\(scalar.debugDescription): Yams \(String(describing: expected)), YAMLReader \(String(describing: actual))")
            }
        }
        // The corpus reaches every rule, so agreement above means something.
        for kind in ["bool", "int", "float", "null", "string", "timestamp"] {
            #expect(kinds[kind, default: 0] >= 2, "only \(kinds[kind, default: 0]) \(kind) scalars in the corpus")
        }
    }

    @Test func quotedBlockAndTaggedScalarsAreWhatTheySay() throws {
        let text = """
            a: "true"
            b: '12'
            c: !!int 12
            d: !!str 12
            e: |
              yes
            f: !!float 1
            """
        let read = try #require(try YAMLReader.load(text) as? [String: Any])
        #expect(Self.same(try #require(try Yams.load(yaml: text)), read))
        #expect(read["a"] as? String == "true")
        #expect(read["b"] as? String == "12")
        #expect(read["c"] as? Int == 12)
        #expect(read["d"] as? String == "12")
        #expect(read["e"] as? String == "yes\n")
        #expect(read["f"] as? Double == 1)
    }

    @Test func theBuiltInProviderFilesReadAlike() throws {
        for file in BuiltInProviders.files {
            let text = String(decoding: file, as: UTF8.self)
            let expected = try #require(try Yams.load(yaml: text))
            let actual = try #require(try YAMLReader.load(text))
            #expect(Self.same(expected, actual), "\(text.prefix(60))")
        }
    }

    @Test func anchorsMergesAndNestingReadAlike() throws {
        let text = """
            defaults: &defaults
              port: 9099
              development: yes
              timeouts: [1.5, 2, ~, 0x10]
            api:
              <<: *defaults
              port: 8080
            many:
              <<: [*defaults, {extra: on}]
            list:
              - name: a
                value: -1_000
              - name: b
                value: .inf
            empty:
            """
        let expected = try #require(try Yams.load(yaml: text))
        let actual = try #require(try YAMLReader.load(text))
        #expect(Self.same(expected, actual))
        let api = try #require((actual as? [String: Any])?["api"] as? [String: Any])
        #expect(api["port"] as? Int == 8080)
        #expect(api["development"] as? Bool == true)
        #expect(try YAMLReader.load("") == nil)
    }
}
