import Foundation
import GatehouseCore

/// The embedded default's root key: generated on first start into a 0600 file, reused after.
enum RootKeyFile {
    static let keyID = "local"

    /// Where the key file of a data directory is.
    static func path(in directory: String) -> String {
        (directory as NSString).appendingPathComponent("root.key")
    }

    /// The key of `directory`'s file, made first when there is none (and `create`); `made` says
    /// whether this call made it (a replica starting beside this one may have won the race).
    static func loadOrCreate(directory: String, create: Bool = true) throws -> (key: RootKey, made: Bool) {
        let path = path(in: directory)
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let permissions = (try? manager.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0
            guard permissions & 0o077 == 0 else {
                throw ConfigurationError(description: "\(path) must be readable by its owner only (chmod 600 \(path))")
            }
            return (try RootKey(id: keyID, base64: text), false)
        }
        guard create else {
            throw ConfigurationError(
                description: "no root key at \(path): point --data-dir (or --config) at the server's data")
        }
        let key = try RootKey.generate(id: keyID)
        // Written whole to a file of its own (0600 from the start, so never readable by others),
        // then linked into place: two replicas starting together on one data directory cannot
        // see half a key, and the one that loses the race reads the winner's.
        let temporary = path + ".\(SecureRandom.token(bytes: 8)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw ConfigurationError(description: "cannot create \(temporary)") }
        defer { unlink(temporary) }
        let bytes = Array((key.base64 + "\n").utf8)
        let written = write(fd, bytes, bytes.count) == bytes.count && fsync(fd) == 0
        close(fd)
        guard written else { throw ConfigurationError(description: "cannot write \(temporary)") }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { return try loadOrCreate(directory: directory, create: false) }
            throw ConfigurationError(description: "cannot create \(path)")
        }
        return (key, true)
    }

    /// Throws when a key file that was already there (`made` false) has no database beside it:
    /// the database was lost or deleted, and a start would otherwise make a new, empty store (and
    /// a new admin key) without a word, as if this were a first install.
    static func requireDatabase(keyFile: (path: String, made: Bool), databasePath: String) throws {
        guard !keyFile.made, !FileManager.default.fileExists(atPath: databasePath) else { return }
        throw ConfigurationError(
            description:
                "\(keyFile.path) is there but its database \(databasePath) is not: restore the database from a backup (docs/operations.md, \"Backups\"), or, to start a new, empty store, remove \(keyFile.path) as well"
        )
    }
}
