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
    /// Also throws when this start made its key file (so holds that one new key) and the store
    /// was set up under another: a replica with a data directory of its own on a PostgreSQL that
    /// others use would otherwise seal what they cannot open, and open nothing they sealed. A
    /// replica that read the file another start made beside it at the same moment shares its key,
    /// and goes on. `madeKeyFile` is the key file this start made, removed again when the check
    /// refuses.
    static func verify(store: any Store, cipher: TokenCipher, madeKeyFile: String?) async throws {
        let fields = try await store.sealedFields(.providerSecret) + store.sealedFields(.toolSecret)
        if !fields.isEmpty, !fields.contains(where: { (try? cipher.open($0.blob, context: $0.context)) != nil }) {
            if let madeKeyFile { unlink(madeKeyFile) }
            let stored = Set(fields.map { TokenCipher.keyID(of: $0.blob) ?? "?" }).sorted().joined(separator: ", ")
            throw ConfigurationError(
                description: """
                    the stored secrets were sealed with a root key this server does not have: none of the \(fields.count) \
                    stored client and tool secrets (key id \(stored)) opens with its key \
                    \(cipher.keyIDs.joined(separator: ", ")). Restore the data directory's root.key beside its \
                    database, or list the keys in security.root_keys (docs/operations.md, "Backups")
                    """)
        }
        guard let check = try await store.setting(setting) else {
            let sealed = try cipher.seal(Array("gatehouse".utf8), context: context)
            try await store.setSetting(setting, value: Data(sealed).base64EncodedString())
            return
        }
        guard let madeKeyFile,
            (Data(base64Encoded: check).flatMap { try? cipher.open(Array($0), context: context) }) == nil
        else { return }
        unlink(madeKeyFile)
        throw ConfigurationError(
            description: """
                no root key was found, so this start made one (\(madeKeyFile)), but the store was set up under \
                another key: what either seals, the other could not open. Restore the data directory's root.key \
                beside its database, or give every replica the same keys in security.root_keys \
                (docs/operations.md, "Backups")
                """)
    }
}
