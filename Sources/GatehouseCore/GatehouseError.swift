/// An error a caller can act on: an opaque, stable code and a message safe to show.
///
/// The message never holds a secret. The server maps `code` to an HTTP status in one place.
package struct GatehouseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable machine-readable error code.
    package struct Code: RawRepresentable, Hashable, Sendable {
        /// The wire spelling.
        package let rawValue: String
        /// Creates a code.
        package init(rawValue: String) { self.rawValue = rawValue }

        /// The request is malformed or names something invalid.
        package static let invalidRequest = Code(rawValue: "invalid_request")
        /// No such record.
        package static let notFound = Code(rawValue: "not_found")
        /// The record exists already.
        package static let conflict = Code(rawValue: "conflict")
        /// The API key is missing or wrong.
        package static let unauthenticated = Code(rawValue: "unauthenticated")
        /// The operator's configuration forbids this.
        package static let forbidden = Code(rawValue: "forbidden")
        /// The user who confirmed a flow is not the user who started it.
        package static let userMismatch = Code(rawValue: "user_mismatch")
        /// The flow is not (or no longer) in a state that allows this.
        package static let flowState = Code(rawValue: "invalid_flow_state")
        /// The provider answered with an error.
        package static let providerError = Code(rawValue: "provider_error")
        /// The provider could not be reached or is overloaded; try again later.
        package static let providerUnavailable = Code(rawValue: "provider_unavailable")
        /// The request body's media type is not JSON.
        package static let unsupportedMediaType = Code(rawValue: "unsupported_media_type")
        /// The request body is too large.
        package static let payloadTooLarge = Code(rawValue: "payload_too_large")
        /// The caller sent too much too fast; `retryAfter` says when to try again.
        package static let rateLimited = Code(rawValue: "rate_limited")
        /// The store (the database) cannot be reached right now; try again shortly.
        package static let storeUnavailable = Code(rawValue: "store_unavailable")
        /// The server holds as many connections as it takes (`api.max_connections`); try again shortly.
        package static let serverBusy = Code(rawValue: "server_busy")
        /// Something failed inside Gatehouse.
        package static let internalError = Code(rawValue: "internal_error")
        /// The request's body did not arrive in time.
        package static let requestTimeout = Code(rawValue: "request_timeout")
        /// The request uses a part of HTTP that Gatehouse does not implement (a transfer coding).
        package static let notImplemented = Code(rawValue: "not_implemented")
    }

    /// The error's code.
    package var code: Code
    /// What went wrong, for a person; never holds a secret.
    package var message: String
    /// Seconds after which a retry may succeed (`Retry-After`), for `rateLimited` and
    /// `providerUnavailable`.
    package var retryAfter: Int?

    /// Creates an error.
    package init(_ code: Code, _ message: String, retryAfter: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    /// The code and the message.
    package var description: String { "\(code.rawValue): \(message)" }

    /// A malformed request.
    package static func invalid(_ message: String) -> GatehouseError { .init(.invalidRequest, message) }
    /// A missing record.
    package static func notFound(_ message: String) -> GatehouseError { .init(.notFound, message) }
    /// No provider has this id.
    package static func providerNotFound(_ id: String) -> GatehouseError {
        .notFound("auth provider '\(id)' not found")
    }

    /// A provider created, or renamed, under an id another has.
    package static func providerExists(_ id: String) -> GatehouseError {
        .init(.conflict, "auth provider '\(id)' already exists")
    }

    /// A rename of a provider that has connections: each is sealed for its provider's id, so it
    /// cannot follow the provider to a new one.
    package static func providerHasConnections(_ id: String) -> GatehouseError {
        .init(
            .conflict,
            "auth provider '\(id)' has connections, which cannot move to a new id: delete them first, or add a provider under the new id"
        )
    }
}
