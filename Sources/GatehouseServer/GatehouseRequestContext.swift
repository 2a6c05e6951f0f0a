import GatehouseCore
import Hummingbird
import Logging
import NIOCore

/// The request context of every Gatehouse route: Hummingbird's core storage, the JSON coders,
/// and the API key the request was authenticated with.
struct GatehouseRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The caller's key, once `APIKeyAuthenticator` has accepted it.
    var apiKey: AuthenticatedKey?
    /// The largest request body a route reads; `APIKeyAuthenticator` sets it from `api.max_request_body_size`.
    var maxUploadSize: Int = RequestLimits.defaultMaxBodyBytes
    /// The connection the request came on: a parked wait ends when it closes.
    let channel: any Channel
    /// What the request line says of the request beyond its route: shared with the middleware
    /// outside the one that learns it (a context is a value; this is not).
    let notes = RequestNotes()

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    var requestDecoder: APIRequestDecoder { APIRequestDecoder() }
    var responseEncoder: APIResponseEncoder { APIResponseEncoder() }
}

/// Who is calling: the key's public id (a hash prefix, never the key) and its role.
struct AuthenticatedKey: Sendable, Equatable {
    /// The key's public id.
    let id: String
    /// What it may do.
    let role: APIKeyRole
}
