import AsyncHTTPClient
import Foundation
import GatehouseWire
import NIOCore
import NIOHTTP1

/// Sends API requests with the key, decodes answers, maps errors and retries as the official
/// clients do: connection failures and timeouts, 408, 429 and 5xx, unless the server's
/// `x-should-retry` says otherwise; like them, a create or delete whose answer was lost is sent
/// again (a 409 or 404 may then answer a change that took).
struct APITransport: Sendable {
    let baseURL: String
    /// Sent as the bearer token; nil only for the health checks, which need none.
    let apiKey: String?
    let configuration: GatehouseClient.Configuration
    let httpClient: HTTPClient

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    func send<Response: Decodable>(
        _ method: String, _ path: String, query: [(String, String)] = [], body: (some Encodable)? = nil as String?,
        extraTimeout: Duration = .zero, as type: Response.Type
    ) async throws -> Response {
        let data = try await raw(method, path, query: query, body: body, extraTimeout: extraTimeout)
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw GatehouseClientError.invalidResponse("\(method) \(path): \(error)")
        }
    }

    /// Sends a request and returns the body of a 2xx answer.
    func raw(
        _ method: String, _ path: String, query: [(String, String)] = [], body: (some Encodable)? = nil as String?,
        extraTimeout: Duration = .zero
    ) async throws -> Data {
        var url = baseURL + path
        if !query.isEmpty {
            url += "?" + query.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        }
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Gatehouse-Swift/1")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try Self.encoder.encode(body)))
        }
        let timeout = configuration.timeout + extraTimeout
        var attempt = 0
        while true {
            try Task.checkCancellation()
            let delay: Duration
            do {
                let started = ContinuousClock.now
                let response = try await httpClient.execute(request, timeout: .nanoseconds(Self.nanoseconds(timeout)))
                // The timeout covers the body too: the client's own deadline ends with the head.
                let left = max(.zero, timeout - started.duration(to: .now))
                let bytes = try await Deadline.run(within: left) { try await response.body.collect(upTo: 8 << 20) }
                let status = Int(response.status.code)
                if (200..<300).contains(status) { return Data(bytes.readableBytesView) }
                let error = Self.apiError(
                    status: status, body: Data(bytes.readableBytesView),
                    requestID: response.headers.first(name: "x-request-id"))
                guard Self.isRetryable(status, response.headers), attempt < configuration.maxRetries else { throw error }
                delay = Self.retryAfter(response.headers) ?? backoff(attempt)
            } catch let error as GatehouseAPIError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                guard attempt < configuration.maxRetries else {
                    let reason = "\(baseURL): \(Self.reason(error))"
                    throw Self.isUnanswered(error) ? GatehouseClientError.noAnswer(reason) : .connection(reason)
                }
                delay = backoff(attempt)
            }
            attempt += 1
            try await Task.sleep(for: delay)
        }
    }

    /// Why a request found no server, in the words a person reads: the system's for a refused
    /// or reset connection (NIO's own description garbles it), else the client's.
    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as IOError: String(cString: strerror(error.errnoCode)).lowercased()
        case let error as HTTPClientError where error == .connectTimeout: "no connection within the connect timeout"
        case let error as HTTPClientError where error == .deadlineExceeded: "no answer within the timeout"
        case is Deadline.Passed: "no answer within the timeout"
        // Its own description quotes what it refused, such as a header with the API key.
        case let error as HTTPClientError: error.shortDescription
        default: String(describing: error)
        }
    }

    /// Whether the request ran out of time rather than finding no server: once connected (the
    /// connect timeout, 5 s, fails first when the request's timeout is longer), or waiting for
    /// a pooled connection the server was slow to give back.
    static func isUnanswered(_ error: any Error) -> Bool {
        switch error {
        case is Deadline.Passed: true
        case let error as HTTPClientError: error == .deadlineExceeded || error == .readTimeout
        default: false
        }
    }

    /// The delay before retry `attempt + 1`, jittered as the official clients jitter theirs.
    func backoff(_ attempt: Int) -> Duration {
        let doubled = min(configuration.initialBackoff * (1 << min(attempt, 16)), configuration.maxBackoff)
        return doubled * (1 - 0.25 * Double.random(in: 0..<1))
    }

    /// As the official clients decide: the server's `x-should-retry` first (Gatehouse sends
    /// `false` with every 409), else 408, 429 and 5xx.
    static func isRetryable(_ status: Int, _ headers: HTTPHeaders = [:]) -> Bool {
        switch headers.first(name: "x-should-retry")?.lowercased() {
        case "true": true
        case "false": false
        default: status == 408 || status == 429 || status >= 500
        }
    }

    /// `retry-after-ms` or `retry-after` (seconds) when it is more than 0 and at most a minute,
    /// as the official clients read it; otherwise (a longer wait, none) the backoff.
    static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        if let ms = headers.first(name: "retry-after-ms").flatMap(Double.init), ms > 0, ms <= 60_000 {
            return .milliseconds(Int64(ms))
        }
        if let seconds = headers.first(name: "retry-after").flatMap(Double.init), seconds > 0, seconds <= 60 {
            return .milliseconds(Int64(seconds * 1000))
        }
        return nil
    }

    static func apiError(status: Int, body: Data, requestID: String?) -> GatehouseAPIError {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        let message =
            object?["message"] as? String ?? object?["msg"] as? String ?? object?["detail"] as? String
            ?? object?["reason"] as? String
            ?? String(decoding: body.prefix(500), as: UTF8.self)
        let name = object?["name"] as? String ?? object?["error"] as? String
        return GatehouseAPIError(status: status, name: name, message: message, requestID: requestID)
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
