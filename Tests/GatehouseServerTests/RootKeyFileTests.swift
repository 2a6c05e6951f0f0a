import Dispatch
import Foundation
import Synchronization
import Testing

@testable import GatehouseServer

/// Replicas that start together on one data directory agree on one root key.
struct RootKeyFileTests {
    @Test func startsRacingOnAnEmptyDirectoryAllGetTheSameKey() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-key-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keys = Mutex<[String]>([])
        let makers = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            let loaded = try? RootKeyFile.loadOrCreate(directory: directory)
            keys.withLock { $0.append(loaded?.key.base64 ?? "failed") }
            if loaded?.made == true { makers.withLock { $0 += 1 } }
        }
        let all = keys.withLock { $0 }
        #expect(all.count == 16 && Set(all).count == 1 && !all.contains("failed"))
        // Only the start that made the file may remove it again (`SealedDataCheck`).
        #expect(makers.withLock { $0 } == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["root.key"], "no temporary file is left")
        let mode = try FileManager.default.attributesOfItem(atPath: directory + "/root.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let again = try RootKeyFile.loadOrCreate(directory: directory, create: false)
        #expect(again.key.base64 == all.first && !again.made)
    }
}
