/// What a route reading a request body meets when the rest of the body did not arrive within the
/// read timeout (`ConnectionGuardHandler` raises it in the connection's inbound stream): answered
/// `408 request_timeout`, after which the connection closes.
struct RequestBodyTimeout: Error {
    /// The read timeout that ran out (`api.read_timeout`).
    let limit: Duration
}
