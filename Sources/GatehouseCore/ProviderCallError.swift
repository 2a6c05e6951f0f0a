/// Why a call to a provider's endpoint failed.
package struct ProviderCallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// How to react.
    package enum Kind: Sendable, Equatable {
        /// The grant is gone (`invalid_grant` and kin): the user must authorize again.
        case invalidGrant
        /// The provider refused the request for another reason (a bad code, a malformed or
        /// unexpected answer). On a refresh, a new consent may mend it.
        case rejected
        /// The operator's configuration is refused: the provider does not accept the client's
        /// credentials (`invalid_client`, a bare 401), or the network policy forbids the
        /// endpoint. No consent mends it; fixing the configuration does.
        case configuration
        /// Network error, timeout, 5xx or 429: try again later.
        case transient
    }

    /// How to react.
    package var kind: Kind
    /// What the provider said, without secrets (its `error` and `error_description`).
    package var message: String

    /// Creates an error.
    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The kind and message.
    package var description: String { "\(kind): \(message)" }
}
