/// An error body that every known reader understands: `name`/`message` (Arcade's spec) and
/// `code`/`error`/`msg` (Arcade's docs) together.
public struct ErrorBody: Codable, Sendable, Equatable {
    /// A stable machine-readable code, such as `invalid_request`.
    public var name: String
    /// What went wrong, for a person.
    public var message: String
    /// The HTTP status.
    public var code: Int
    /// The same as `name`.
    public var error: String
    /// The same as `message`.
    public var msg: String

    /// Creates an error body.
    public init(status: Int, name: String, message: String) {
        self.name = name
        self.message = message
        self.code = status
        self.error = name
        self.msg = message
    }
}
