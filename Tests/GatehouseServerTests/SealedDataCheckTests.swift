import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

@testable import GatehouseServer

/// A start whose key file is not the key the store was set up under is refused, even on a store
/// that holds no secret yet (replicas that each made a key of their own on one PostgreSQL).
@Suite(.serialized) struct SealedDataCheckTests {
    static func cipher() throws -> TokenCipher {
        try TokenCipher(keys: [RootKey.generate(id: RootKeyFile.keyID)], defaultKeyID: RootKeyFile.keyID)
    }

    /// A key file standing in for the one a start made, and its path.
    static func keyFile() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gh-key-\(UUID().uuidString)").path
        try Data("key\n".utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: StoreBackend.available)
    func aKeyFileThatIsNotTheStoresIsRefusedAndOneMadeRemoved(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let first = try Self.cipher()
            // The store's first start, with keys from the configuration.
            try await SealedDataCheck.verify(store: store, cipher: first, keyFile: nil)
            #expect(try await store.setting(SealedDataCheck.setting) != nil)

            let made = try Self.keyFile()
            defer { unlink(made) }
            await #expect(throws: ConfigurationError.self) {
                try await SealedDataCheck.verify(store: store, cipher: try Self.cipher(), keyFile: (made, true))
            }
            #expect(!FileManager.default.fileExists(atPath: made), "the refused start leaves no key behind")
            // A file it read (left by a start that failed before the check, or made by a
            // replica beside it) is refused too, and left where it is.
            let read = try Self.keyFile()
            defer { unlink(read) }
            await #expect {
                try await SealedDataCheck.verify(store: store, cipher: try Self.cipher(), keyFile: (read, false))
            } throws: { String(describing: $0).contains("root.key (\(read)) is not the key the store was set up under") }
            #expect(FileManager.default.fileExists(atPath: read))

            // The key the store was set up under goes on, made or read, and keeps its file.
            let shared = try Self.keyFile()
            defer { unlink(shared) }
            try await SealedDataCheck.verify(store: store, cipher: first, keyFile: (shared, true))
            try await SealedDataCheck.verify(store: store, cipher: first, keyFile: (shared, false))
            #expect(FileManager.default.fileExists(atPath: shared))
            // Keys from the configuration are not judged by it: they may be rotated, and the
            // secrets check covers what they must open.
            try await SealedDataCheck.verify(store: store, cipher: try Self.cipher(), keyFile: nil)
        }
    }
}
