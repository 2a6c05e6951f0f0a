import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

@testable import GatehouseServer

/// A start that made a new root key is refused on a store set up under another, even one that
/// holds no secret yet (replicas that each made a key of their own on one PostgreSQL).
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
    func aNewKeyOnAStoreSetUpUnderAnotherIsRefusedAndItsFileRemoved(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let first = try Self.cipher()
            // The store's first start, with no key file made by another.
            try await SealedDataCheck.verify(store: store, cipher: first, madeKeyFile: nil)
            #expect(try await store.setting(SealedDataCheck.setting) != nil)

            let made = try Self.keyFile()
            defer { unlink(made) }
            await #expect(throws: ConfigurationError.self) {
                try await SealedDataCheck.verify(store: store, cipher: try Self.cipher(), madeKeyFile: made)
            }
            #expect(!FileManager.default.fileExists(atPath: made), "the refused start leaves no key behind")

            // The start that made the file the store was set up under (another read it at the
            // same moment, and set the store up first) goes on, and keeps its file.
            let shared = try Self.keyFile()
            defer { unlink(shared) }
            try await SealedDataCheck.verify(store: store, cipher: first, madeKeyFile: shared)
            #expect(FileManager.default.fileExists(atPath: shared))
            // Keys from the configuration (no file made) are not judged by it: they may be
            // rotated, and the secrets check covers what they must open.
            try await SealedDataCheck.verify(store: store, cipher: try Self.cipher(), madeKeyFile: nil)
        }
    }
}
