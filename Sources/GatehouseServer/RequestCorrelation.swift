import HTTPTypes
import Logging

/// The id of the request being served, in a task local: every line any logger writes while the
/// request is served carries it as `request_id`, the broker's and the stores' included.
package enum RequestCorrelation {
    /// The current request's id.
    @TaskLocal package static var id: String?

    /// Give this to every logger (`LineLogHandler`, or `Logger(label:metadataProvider:)`).
    package static let metadataProvider = Logger.MetadataProvider {
        guard let id = RequestCorrelation.id else { return [:] }
        return ["request_id": .string(id)]
    }

    /// `X-Request-Id`.
    static let header = HTTPField.Name("X-Request-Id")!

    /// The caller's `X-Request-Id` when it is safe to log and echo: 1 to 128 letters, digits and
    /// `-_.:`; nil otherwise, and Gatehouse makes one.
    static func accepted(_ value: String?) -> String? {
        guard let value, (1...128).contains(value.utf8.count),
            value.utf8.allSatisfy({ byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                    UInt8(ascii: ":"):
                    true
                default: false
                }
            })
        else { return nil }
        return value
    }
}
