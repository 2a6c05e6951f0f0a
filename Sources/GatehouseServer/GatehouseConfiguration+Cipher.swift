import Foundation
import GatehouseCore
import GatehousePostgres

extension GatehouseConfiguration {
    /// The SQLite file: `storage.sqlite.path`, else `gatehouse.sqlite` in the data directory.
    package var databasePath: String {
        sqlitePath ?? (dataDirectory as NSString).appendingPathComponent("gatehouse.sqlite")
    }

    /// The backend: PostgreSQL when configured, else the SQLite file.
    var storage: StorageChoice {
        postgres.map(StorageChoice.postgres) ?? .sqlite(path: databasePath)
    }

    /// The cipher over the configured root keys, or over the data directory's key file when the
    /// configuration names none (made on first use only when `createKeyFile`: an operator
    /// command pointed at the wrong directory must not mint a key); `keyFile` is that file, and
    /// whether this call made it (nil with `security.root_keys`).
    func makeCipher(createKeyFile: Bool = true) throws -> (
        cipher: TokenCipher, keyFile: (path: String, made: Bool)?
    ) {
        if rootKeys.isEmpty {
            let (key, made) = try RootKeyFile.loadOrCreate(directory: dataDirectory, create: createKeyFile)
            return (try TokenCipher(keys: [key], defaultKeyID: key.id), (RootKeyFile.path(in: dataDirectory), made))
        }
        do {
            let keys = try rootKeys.map { try RootKey(id: $0.id, base64: $0.value) }
            let defaultID = rootKeys.first(where: \.isDefault)?.id ?? rootKeys[0].id
            return (try TokenCipher(keys: keys, defaultKeyID: defaultID), nil)
        } catch let error as GatehouseError {
            throw ConfigurationError(description: "security.root_keys: \(error.message)")
        }
    }
}
