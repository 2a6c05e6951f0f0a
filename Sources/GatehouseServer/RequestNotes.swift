import Synchronization

/// What the request line says of a request beyond its route, learnt inside the middleware that
/// writes it: the accepted API key's public id (`APIKeyAuthenticator` notes it).
final class RequestNotes: Sendable {
    private let key = Mutex<String?>(nil)

    /// The accepted key's public id (a hash prefix, never the key), once a key was accepted.
    var keyID: String? {
        get { key.withLock { $0 } }
        set { key.withLock { $0 = newValue } }
    }
}
