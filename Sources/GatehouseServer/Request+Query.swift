import GatehouseCore
import Hummingbird

extension Request {
    /// The query parameters with names and values percent-decoded (Hummingbird leaves names
    /// encoded, and `provider%5Bid%5D` must match `provider[id]`).
    var decodedQuery: [String: String] {
        FormEncoding.decode(uri.query ?? "")
    }
}
