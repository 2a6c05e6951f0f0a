import Foundation
import GatehouseCore

/// The start's check that the root keys open what the store holds. A data directory restored
/// without its `root.key`, a server started from another working directory, or a replica with
/// a key of its own would otherwise start with a new key and answer 500 for every stored secret.
enum SealedDataCheck {
    /// The setting that holds a value sealed under the default root key of the store's first
    /// start (or its first start since this check exists).
    static let setting = "root_key_check"
    static let context = "gatehouse:root-key-check"

    /// Throws when the store holds client secrets or tool secrets and the cipher opens none of
    /// them. (Only these small tables are read: every install that holds grants has providers.)
    ///
    /// With the data directory's key file (`keyFile`; nil with `security.root_keys`), also throws
    /// when that key is not the one the store was set up under, even before anything secret is
    /// stored: replicas that each made a key in a directory of their own on one PostgreSQL
    /// would otherwise each seal what the others cannot open. Keys from `security.root_keys`
    /// are not judged by it: they may be rotated (`reencrypt`), and listing a new one there is
    /// the way to start afresh under it. A key file this start made is removed again when it
    /// refuses.
    static func verify(store: any Store, cipher: TokenCipher, keyFile: (path: String, made: Bool)?) async throws {
        let fields = try await store.sealedFields(.providerSecret) + store.sealedFields(.toolSecret)
        if !fields.isEmpty, !fields.contains(where: { (try? cipher.open($0.blob, context: $0.context)) != nil }) {
            if let keyFile, keyFile.made { unlink(keyFile.path) }
            let stored = Set(fields.map { TokenCipher.keyID(of: $0.blob) ?? "?" }).sorted().joined(separator: ", ")
            throw ConfigurationError(
                description: """
                    the stored secrets were sealed with a root key this server does not have: none of the \(fields.count) \
                    stored client and tool secrets (key id \(stored)) opens with its key \
                    \(cipher.keyIDs.joined(separator: ", ")). \(keyFile.map { "Restore the root.key they were sealed with to \($0.path)\(formerPlace(of: $0.path))" } ?? "List the keys they were sealed with in security.root_keys") \
                    (docs/operations.md, "Backups")
                    """)
        }
        guard let check = try await store.setting(setting) else {
            let sealed = try cipher.seal(Array("gatehouse".utf8), context: context)
            try await store.setSetting(setting, value: Data(sealed).base64EncodedString())
            return
        }
        guard let keyFile,
            (Data(base64Encoded: check).flatMap { try? cipher.open(Array($0), context: context) }) == nil
        else { return }
        if keyFile.made { unlink(keyFile.path) }
        let whose =
            keyFile.made
            ? "there was no root.key at \(keyFile.path), so this start made one (and removed it again), but the store was set up under another key"
            : "the data directory's root.key (\(keyFile.path)) is not the key the store was set up under"
        throw ConfigurationError(
            description: """
                \(whose): this server could not open what was sealed there. Restore the root.key the store was \
                set up with to \(keyFile.path)\(formerPlace(of: keyFile.path)), or give every replica the same keys in security.root_keys; \
                to start afresh under a new key, giving up what was sealed before, list that key in \
                security.root_keys (docs/operations.md, "Backups")
                """)
    }

    /// Where an earlier version kept the key when `storage.sqlite.path` was set (`.gatehouse` in
    /// the working directory), said when a key is there and it is not `path`.
    private static func formerPlace(of path: String) -> String {
        let former = FileManager.default.currentDirectoryPath + "/.gatehouse/root.key"
        guard FileManager.default.fileExists(atPath: former),
            URL(fileURLWithPath: former).standardizedFileURL != URL(fileURLWithPath: path).standardizedFileURL
        else { return "" }
        return " (\(former) may be it: earlier versions of Gatehouse kept it there when storage.sqlite.path was set)"
    }
}
