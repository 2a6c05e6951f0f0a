import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import Logging
import NIOCore
import Testing

@testable import GatehouseServer

/// One line per request with its id; the id taken from `X-Request-Id` or made, and echoed.
@Suite struct RequestLogTests {
    static func logger(_ output: LineOutput, format: LineLogHandler.Format = .json) -> Logger {
        // As `serve` makes it: the request id comes through the metadata provider.
        Logger(label: "gatehouse") { label in
            LineLogHandler(
                label: label, format: format, metadataProvider: RequestCorrelation.metadataProvider, output: output)
        }
    }

    /// The API with its logs and request lines, in JSON, going to `output`.
    static func run(loggingTo output: LineOutput, _ body: @escaping @Sendable (APIHarness) async throws -> Void)
        async throws
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-log-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await APIHarness.run(
            configuration: GatehouseConfiguration(port: 0, dataDirectory: directory),
            logger: logger(output), requestLog: RequestLog(format: .json, level: .info, output: output), body)
    }

    static func lines(_ output: LineOutput) throws -> [[String: Any]] {
        try output.lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    @Test func eachRequestIsOneLineWithItsRouteStatusDurationAndTheCallersID() async throws {
        let output = LineOutput.capture()
        try await Self.run(loggingTo: output) { api in
            let response = try await api.client.execute(
                uri: "/v1/auth/status?id=secret-looking-query", method: .get,
                headers: [.authorization: api.key, RequestCorrelation.header: "trace-42.a:b_c"])
            #expect(response.status == .notFound)
            #expect(response.headers[RequestCorrelation.header] == "trace-42.a:b_c")
            // Named by its public id (what `gatehouse keys list` shows), never the key.
            let keyID = String(SecretHash.hex(api.key).prefix(12))
            let named = try await eventually {
                try Self.lines(output).contains { $0["msg"] as? String == "request" && $0["key_id"] as? String == keyID }
            }
            #expect(named)
        }
        let requests = try Self.lines(output).filter { $0["msg"] as? String == "request" }
        #expect(requests.count == 1)
        let line = try #require(requests.first)
        #expect(line["method"] as? String == "GET")
        #expect(line["route"] as? String == "/v1/auth/status")
        #expect(line["status"] as? Int == 404)
        #expect(line["request_id"] as? String == "trace-42.a:b_c")
        #expect((line["duration_ms"] as? Double).map { $0 >= 0 } == true)
        #expect(line["level"] as? String == "info")
        #expect(line["hb.request.id"] == nil)
        #expect(!output.lines.joined().contains("secret-looking-query"), "a query string was logged")
    }

    /// A key that is not accepted is not named, by any hash of it.
    @Test func aRefusedKeyIsNotNamed() async throws {
        let output = LineOutput.capture()
        try await Self.run(loggingTo: output) { api in
            let response = try await api.client.execute(
                uri: "/v1/auth/status?id=x", method: .get, headers: [.authorization: "arc_not-a-key"])
            #expect(response.status == .unauthorized)
        }
        let line = try #require(try Self.lines(output).first { $0["msg"] as? String == "request" })
        #expect(line["status"] as? Int == 401 && line["key_id"] == nil)
    }

    @Test(arguments: ["", "has space", "quote\"", String(repeating: "a", count: 129), "é"])
    func anIDThatIsUnsafeToEchoIsReplaced(given: String) async throws {
        let output = LineOutput.capture()
        try await Self.run(loggingTo: output) { api in
            var headers: HTTPFields = [:]
            headers.append(HTTPField(name: RequestCorrelation.header, value: given))
            let response = try await api.client.execute(uri: "/v1/health", method: .get, headers: headers)
            let echoed = try #require(response.headers[RequestCorrelation.header])
            #expect(echoed != given)
            #expect((17...32).contains(echoed.count) && echoed.allSatisfy(\.isHexDigit), "\(echoed)")
            let line = try #require(try Self.lines(output).first { $0["msg"] as? String == "request" })
            #expect(line["request_id"] as? String == echoed)
        }
    }

    @Test func everyLoggerCarriesTheRequestIDWhileTheRequestIsServed() throws {
        let output = LineOutput.capture()
        // A logger made elsewhere (the broker's, the store's) with the provider from bootstrap.
        let other = Logger(label: "broker") { label in
            LineLogHandler(
                label: label, format: .text, metadataProvider: RequestCorrelation.metadataProvider, output: output)
        }
        RequestCorrelation.$id.withValue("r-1") { other.info("inside") }
        other.info("outside")
        #expect(output.lines.count == 2)
        #expect(output.lines[0].hasSuffix(#"msg=inside request_id=r-1"#), "\(output.lines[0])")
        #expect(output.lines[1].hasSuffix(#"msg=outside"#), "\(output.lines[1])")
    }

    @Test func infoLinesAreBufferedBrieflyAndANoticeWritesEverythingInOrder() async throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { for end in ends { close(end) } }
        _ = fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK)
        func readAll() -> String {
            var bytes = [UInt8](repeating: 0, count: 65_536)
            let count = read(ends[0], &bytes, bytes.count)
            return count > 0 ? String(decoding: bytes[..<count], as: UTF8.self) : ""
        }
        let output = LineOutput.writing(to: ends[1])
        let logger = Logger(label: "g") { LineLogHandler(label: $0, format: .text, output: output) }
        logger.info("first")
        logger.info("second")
        #expect(readAll() == "", "an info line was written at once")
        logger.notice("third")
        let written = readAll().split(separator: "\n").map { $0.split(separator: " ").last.map(String.init) ?? "" }
        #expect(written == ["msg=first", "msg=second", "msg=third"])
        logger.info("fourth")
        // Written by a timer after the flush interval; a loaded test machine may delay it a little.
        var later = ""
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(5))
        while !later.contains("msg=fourth"), clock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            later += readAll()
        }
        #expect(later.hasSuffix("msg=fourth\n"), "a buffered line was never written")
    }

    @Test func requestLinesAreWhatTheGeneralHandlerWouldWrite() throws {
        let output = LineOutput.capture()
        for format in LineLogHandler.Format.allCases {
            RequestLog(format: format, level: .info, output: output)
                .record(method: "GET", route: "/v1/odd \"route\"", status: 404, milliseconds: 1.25, requestID: "r-1")
        }
        RequestLog(format: .json, level: .warning, output: output)
            .record(method: "GET", route: "/", status: 200, milliseconds: 1, requestID: "r-2")
        #expect(output.lines.count == 2, "a request line was written below its level")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.lines[0].utf8)) as? [String: Any])
        let general = try #require(
            try JSONSerialization.jsonObject(
                with: Data(
                    LogLine.json(
                        time: json["time"] as? String ?? "", level: .info, label: "gatehouse", message: "request",
                        [
                            "method": "GET", "route": "/v1/odd \"route\"", "status": .stringConvertible(404),
                            "duration_ms": .stringConvertible(1.25), "request_id": "r-1",
                        ]
                    ).utf8)) as? [String: Any])
        #expect(json as NSDictionary == general as NSDictionary)
        #expect(
            output.lines[1].hasSuffix(
                #"level=info msg=request method=GET route="/v1/odd \"route\"" status=404 duration_ms=1.25 request_id=r-1"#),
            "\(output.lines[1])")
    }

    /// The accepted key's public id and the peer's address follow the request id, when known.
    @Test func requestLinesNameTheKeyAndTheClientWhenKnown() throws {
        let output = LineOutput.capture()
        for format in LineLogHandler.Format.allCases {
            RequestLog(format: format, level: .info, output: output)
                .record(
                    method: "POST", route: "/v1/auth/authorize", status: 200, milliseconds: 0.5, requestID: "r-3",
                    keyID: "d99f10aba10f", client: "10.0.0.7")
        }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.lines[0].utf8)) as? [String: Any])
        #expect(json["key_id"] as? String == "d99f10aba10f" && json["client"] as? String == "10.0.0.7")
        #expect(output.lines[1].hasSuffix(" request_id=r-3 key_id=d99f10aba10f client=10.0.0.7"), "\(output.lines[1])")
    }

    @Test func jsonLinesEscapeAndTypeTheirValues() throws {
        let line = LogLine.json(
            time: "T", level: .warning, label: "g", message: "a \"quoted\"\nline\u{1}",
            [
                "n": .stringConvertible(3), "d": .stringConvertible(0.5), "b": .stringConvertible(true), "msg": "shadow",
                "nested": .dictionary(["k": .array(["x", .stringConvertible(1)])]),
            ])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["msg"] as? String == "a \"quoted\"\nline\u{1}")
        #expect(object["meta_msg"] as? String == "shadow")
        #expect(object["n"] as? Int == 3)
        #expect(object["d"] as? Double == 0.5)
        #expect(object["b"] as? Bool == true)
        #expect(object["level"] as? String == "warning" && object["logger"] as? String == "g" && object["time"] as? String == "T")
        #expect(((object["nested"] as? [String: Any])?["k"] as? [Any])?.count == 2)
        #expect(!line.contains("\n"))
    }

    @Test func textLinesQuoteWhatNeedsIt() {
        let line = LogLine.text(
            time: "T", level: .info, message: "two words",
            ["plain": "abc", "spaced": "a b", "empty": "", "eq": "a=b", "quote": "say \"hi\"", "newline": "a\nb"])
        #expect(
            line
                == #"time=T level=info msg="two words" empty="" eq="a=b" newline="a\nb" plain=abc quote="say \"hi\"" spaced="a b""#
        )
    }

    @Test func timestampsAreRFC3339InUTCWithMilliseconds() throws {
        let stamp = LineLogHandler.timestamp()
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = try #require(formatter.date(from: stamp), "\(stamp)")
        #expect(abs(date.timeIntervalSinceNow) < 5)
        #expect(stamp.count == 24 && stamp.hasSuffix("Z"))
    }
}
