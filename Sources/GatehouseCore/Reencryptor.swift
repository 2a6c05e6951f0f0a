/// Re-seals every stored secret and token under the default root key, so an old key can be
/// removed from the configuration.
///
/// Each value is replaced only if it is still the blob that was read (compare and swap), so a
/// server refreshing tokens at the same time loses nothing, and a run can be interrupted and
/// started again: values already under the default key are skipped.
package struct Reencryptor: Sendable {
    /// What one run did, per kind of value.
    package struct Counts: Sendable, Equatable {
        /// Re-sealed under the default key.
        package var resealed = 0
        /// Already under the default key.
        package var current = 0
        /// Changed by someone else between read and write (already re-sealed by that writer).
        package var changed = 0
        /// Could not be decrypted with the configured keys (a key is missing, or the value was
        /// damaged or moved to another row); left as they are.
        package var unreadable = 0
        /// The root key ids the unreadable values name (`?` for one too damaged to say).
        package var unreadableKeyIDs: Set<String> = []

        /// Creates zero counts.
        package init() {}
    }

    let store: any Store
    let cipher: TokenCipher

    /// Creates a re-encryptor.
    package init(store: any Store, cipher: TokenCipher) {
        self.store = store
        self.cipher = cipher
    }

    /// Runs once over every kind; returns the counts in `SealedField.Kind.allCases` order.
    package func run() async throws -> [(kind: SealedField.Kind, counts: Counts)] {
        var result: [(SealedField.Kind, Counts)] = []
        for kind in SealedField.Kind.allCases {
            var counts = Counts()
            for field in try await store.sealedFields(kind) {
                // Every value is opened, current ones too: a run after the old key is removed
                // proves that everything still decrypts.
                let plaintext: [UInt8]
                do {
                    plaintext = try cipher.open(field.blob, context: field.context)
                } catch {
                    counts.unreadable += 1
                    counts.unreadableKeyIDs.insert(TokenCipher.keyID(of: field.blob) ?? "?")
                    continue
                }
                guard TokenCipher.keyID(of: field.blob) != cipher.defaultKey.id else {
                    counts.current += 1
                    continue
                }
                let sealed = try cipher.seal(plaintext, context: field.context)
                if try await store.replaceSealedField(field, with: sealed) {
                    counts.resealed += 1
                } else {
                    counts.changed += 1
                }
            }
            result.append((kind, counts))
        }
        return result
    }
}
