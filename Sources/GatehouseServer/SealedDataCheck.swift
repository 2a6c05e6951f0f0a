import Foundation
import GatehouseCore

/// The start's check that the root keys open what the store holds. A data directory restored
/// without its `root.key`, a server started from another working directory, or a replica with
/// a key of its own would otherwise start with a new key and answer 500 for every stored secret.
enum SealedDataCheck {
    /// Throws when the store holds client secrets or tool secrets and the cipher opens none of
    /// them. (Only these small tables are read: every install that holds grants has providers.)
    /// `madeKeyFile` is the key file this start created, removed again when the check refuses.
    static func verify(store: any Store, cipher: TokenCipher, madeKeyFile: String?) async throws {
        let fields = try await store.sealedFields(.providerSecret) + store.sealedFields(.toolSecret)
        guard !fields.isEmpty, !fields.contains(where: { (try? cipher.open($0.blob, context: $0.context)) != nil })
        else { return }
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
}
