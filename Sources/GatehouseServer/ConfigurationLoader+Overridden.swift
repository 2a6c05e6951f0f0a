import Foundation
import GatehousePostgres

// The settings a flag or a variable may override, read and checked the same way whether the
// value in use is the file's or not.
extension ConfigurationLoader {
    /// The file's values that a flag or variable overrides, checked as if they were in use: a
    /// mistake there would otherwise be said only once the flag or variable goes (a changed unit
    /// file), far from the edit that made it.
    static func checkOverridden(_ file: SettingsReader) throws {
        var unused = GatehouseConfiguration()
        try applyLog(file, to: &unused)
        _ = try readPort(file)
        if let url = file.string("api.public_url") { try checkPublicURL(url, file.described("api.public_url")) }
        // The URL's form only: its certificate files may be the ones of another environment.
        if let url = file.string("storage.postgres.url") {
            do {
                _ = try PostgresSettings(url: url)
            } catch let error as PostgresSettingsError {
                throw ConfigurationError(description: "\(file.described("storage.postgres.url")) \(error.reason)")
            }
        }
    }

    /// `api.port`, from 1 to 65535.
    static func readPort(_ settings: SettingsReader) throws -> Int? {
        guard let port = try settings.integer("api.port") else { return nil }
        guard (1...65535).contains(port) else {
            throw ConfigurationError(description: "\(settings.described("api.port")) must be from 1 to 65535, not \(port)")
        }
        return port
    }

    /// The public URL is an absolute http(s) URL; `described` names where it was set.
    static func checkPublicURL(_ url: String, _ described: String) throws {
        guard let parsed = URLComponents(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil
        else {
            throw ConfigurationError(description: "\(described) must be an absolute http(s) URL, not '\(url)'")
        }
    }
}
