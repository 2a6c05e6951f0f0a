import Foundation
import GatehouseCore
import GatehouseSQLite
import Logging

/// Direct access to the store for operator commands (`gatehouse keys`), beside a running server.
package struct OperatorStore: Sendable {
    let store: SQLiteStore
    let configuration: GatehouseConfiguration

    /// Opens the store the configuration names.
    package static func open(_ configuration: GatehouseConfiguration) async throws -> OperatorStore {
        let path = configuration.databasePath
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigurationError(description: "no Gatehouse database at \(path): start `gatehouse serve` first")
        }
        var logger = Logger(label: "gatehouse")
        logger.logLevel = .error
        return OperatorStore(store: try await SQLiteStore.open(path: path, logger: logger), configuration: configuration)
    }

    /// Makes an API key and returns it (shown once).
    package func createAPIKey(name: String, role: APIKeyRole) async throws -> String {
        try await APIKeyService(store: store).create(name: name, role: role)
    }

    /// Every key (never the key itself).
    package func apiKeys() async throws -> [APIKeyRecord] {
        try await store.apiKeys()
    }

    /// Revokes the key with this id (a hash prefix); returns whether one was removed.
    package func revokeAPIKey(id: String) async throws -> Bool {
        try await store.deleteAPIKeys(hashPrefix: id) > 0
    }

    /// Re-seals every stored secret and token under the default root key; returns the counts.
    package func reencrypt() async throws -> [(kind: SealedField.Kind, counts: Reencryptor.Counts)] {
        try await Reencryptor(store: store, cipher: try configuration.makeCipher(createKeyFile: false)).run()
    }

    /// Closes the store.
    package func close() async throws {
        try await store.close()
    }
}
