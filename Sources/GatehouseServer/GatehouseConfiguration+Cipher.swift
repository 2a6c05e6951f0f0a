import GatehouseCore

extension GatehouseConfiguration {
    /// The cipher over the configured root keys, or over the data directory's key file (made on
    /// first use) when the configuration names none.
    func makeCipher() throws -> TokenCipher {
        if rootKeys.isEmpty {
            let key = try RootKeyFile.loadOrCreate(directory: dataDirectory)
            return try TokenCipher(keys: [key], defaultKeyID: key.id)
        }
        let keys = try rootKeys.map { try RootKey(id: $0.id, base64: $0.value) }
        let defaultID = rootKeys.first(where: \.isDefault)?.id ?? rootKeys[0].id
        return try TokenCipher(keys: keys, defaultKeyID: defaultID)
    }
}
