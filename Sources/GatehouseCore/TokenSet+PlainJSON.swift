import Foundation

// The token set is opened on every hot `authorize`; `JSONDecoder` was most of that.
extension TokenSet {
    /// The token set in `json` as `JSONEncoder` wrote it (dates as seconds since 2001), read
    /// without `JSONDecoder`; nil when it is not in the plain shape (then decode it).
    static func plain(_ json: [UInt8]) -> TokenSet? {
        json.withUnsafeBytes { bytes in
            var scanner = PlainJSONScanner(bytes)
            var access: String?
            var refresh: String??
            var type: String??
            var obtained: Double?
            var expires: Double?
            var scopes: [String]??
            let complete = scanner.object { key, scanner in
                switch key {
                case "accessToken":
                    guard let value = scanner.string() else { return false }
                    access = value
                case "refreshToken":
                    guard let value = scanner.optionalString() else { return false }
                    refresh = value
                case "tokenType":
                    guard let value = scanner.optionalString() else { return false }
                    type = value
                case "obtainedAt":
                    guard let value = scanner.number() else { return false }
                    obtained = value
                case "expiresAt":
                    guard let value = scanner.number() else { return false }
                    expires = value
                case "scopes":
                    if scanner.null() {
                        scopes = .some(nil)
                    } else {
                        guard let value = scanner.strings() else { return false }
                        scopes = value
                    }
                default:
                    return false
                }
                return true
            }
            guard complete, scanner.atEnd(), let access, let obtained, let expires else { return nil }
            return TokenSet(
                accessToken: access, refreshToken: refresh ?? nil, tokenType: type ?? nil,
                obtainedAt: Date(timeIntervalSinceReferenceDate: obtained),
                expiresAt: Date(timeIntervalSinceReferenceDate: expires), scopes: scopes ?? nil)
        }
    }
}
