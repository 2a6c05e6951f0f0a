import Foundation
import GatehouseCore
import Logging

/// Direct access to the store for operator commands (`gatehouse keys`, `reencrypt`, `migrate`),
/// beside a running server, on whichever backend the configuration names.
package struct OperatorStore: Sendable {
    let storage: any Storage
    let configuration: GatehouseConfiguration
    /// The schema's version before the store was opened, when asked for (SQLite migrates on
    /// open; PostgreSQL in `migrate`, so nil there).
    let versionBeforeOpen: Int?

    /// Opens the store the configuration names; a SQLite file must exist already unless `create`.
    /// The store logs at `logLevel` and above (to standard error): errors only, unless a command
    /// has more to say while it waits (`migrate`). PostgreSQL's migrations run for 15 s at most,
    /// unless `migrating` (`gatehouse migrate`, which waits for as long as they take).
    package static func open(
        _ configuration: GatehouseConfiguration, create: Bool = false, logLevel: Logger.Level = .error,
        readingVersion: Bool = false, migrating: Bool = false
    ) async throws -> OperatorStore {
        if case .sqlite(let path) = configuration.storage, !FileManager.default.fileExists(atPath: path) {
            guard create else {
                throw ConfigurationError(description: "no Gatehouse database at \(path): start `gatehouse serve` first")
            }
            try DataFilePermissions.secureDirectory((path as NSString).deletingLastPathComponent, onlyIfMade: true)
        }
        var logger = Logger(label: "gatehouse")
        logger.logLevel = logLevel
        var before: Int?
        if readingVersion, case .sqlite(let path) = configuration.storage {
            // Secured first, as the open does: the read's `-wal` and `-shm` take the file's mode.
            try DataFilePermissions.secureDatabase(path)
            before = try await configuration.storage.schemaVersion(logger: logger) ?? 0
        }
        return OperatorStore(
            storage: try await configuration.storage.open(logger: logger, migrationLimit: migrating ? nil : .command),
            configuration: configuration,
            versionBeforeOpen: before)
    }

    /// Brings the schema up to date (SQLite does on open; PostgreSQL under its lock); returns
    /// the schema's version before and after, and how many migrations this build knows (fewer
    /// when a newer build's migrations, which only added, are there).
    /// `before` is nil when it could not be read: a database that cannot be used is then said by
    /// `bootstrap`, in the words every command uses.
    package func migrate() async throws -> (before: Int?, version: Int, known: Int) {
        var before = versionBeforeOpen
        if before == nil { before = try? await schema().version }
        try await storage.bootstrap { _ in }
        let (version, known) = try await schema()
        return (before, version, known)
    }

    private func schema() async throws -> (version: Int, known: Int) {
        var logger = Logger(label: "gatehouse")
        logger.logLevel = .error
        let choice = configuration.storage
        return (try await choice.schemaVersion(logger: logger) ?? 0, choice.migrationCount)
    }

    /// Makes an API key and returns it (shown once).
    package func createAPIKey(name: String, role: APIKeyRole) async throws -> String {
        try await storage.bootstrap { store in
            let key = try await APIKeyService(store: store).create(name: name, role: role)
            // Stored: it is shown whatever the other replicas hear (a new key needs no cache dropped).
            try? await store.publish(.apiKeys)
            return key
        }
    }

    /// Every key (never the key itself).
    package func apiKeys() async throws -> [APIKeyRecord] {
        try await storage.bootstrap { try await $0.apiKeys() }
    }

    /// Revokes the key with this id (a hash prefix); returns whether one was removed.
    package func revokeAPIKey(id: String) async throws -> Bool {
        try await storage.bootstrap { store in
            let removed = try await store.deleteAPIKeys(hashPrefix: id) > 0
            // Every replica drops its cached keys at once (within the 1 s cache otherwise).
            if removed { try await store.publish(.apiKeys) }
            return removed
        }
    }

    /// Re-seals every stored secret and token under the default root key; returns the counts,
    /// and the running servers that seal under another key (they go on writing under it until
    /// restarted). Refused while a running server cannot open the default key, unless `force`:
    /// what it re-seals would be unreadable there.
    package func reencrypt(force: Bool = false, now: @Sendable () -> Date = Date.init) async throws -> (
        kinds: [(kind: SealedField.Kind, counts: Reencryptor.Counts)], sealingUnderAnother: [RunningServer]
    ) {
        let cipher = try configuration.makeCipher(createKeyFile: false).cipher
        let key = cipher.defaultKey.id
        // The bootstrap first: it says a database it cannot reach as every command does.
        return try await storage.bootstrap { store in
            let running = try await RunningServer.running(in: store, now: try await store.sharedTime(now()))
            let lacking = running.filter { !$0.keyIDs.contains(key) }
            if !lacking.isEmpty, !force {
                let one = lacking.count == 1
                throw ConfigurationError(
                    description: """
                        \(lacking.count) running server\(one ? " does" : "s do") not have root key '\(key)', this run's \
                        default: \(lacking.map(\.described).joined(separator: "; ")). What this run re-seals would be \
                        unreadable to \(one ? "it" : "them"). Restart every server with the new key first \
                        (docs/security.md, "Root key rotation"), or pass --force if \(one ? "it has" : "they have") stopped \
                        (a server killed without a stop counts as running for \(Int(RunningServer.liveFor)) s)
                        """)
            }
            // A newer build's migrations may hold sealed columns this build would not re-seal:
            // once the old root key is gone, they could no longer be opened.
            let (version, known) = try await schema()
            guard version <= known else {
                throw ConfigurationError(
                    description:
                        "the schema is version \(version), newer than this Gatehouse knows (\(known)): re-encrypt with the Gatehouse that made it"
                )
            }
            return (
                try await Reencryptor(store: store, cipher: cipher).run(), running.filter { $0.defaultKeyID != key }
            )
        }
    }

    /// Closes the store.
    package func close() async throws {
        await storage.abandon()
    }
}
