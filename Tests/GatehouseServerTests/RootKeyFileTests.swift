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
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            let key = (try? RootKeyFile.loadOrCreate(directory: directory).base64) ?? "failed"
            keys.withLock { $0.append(key) }
        }
        let all = keys.withLock { $0 }
        #expect(all.count == 16 && Set(all).count == 1 && !all.contains("failed"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["root.key"], "no temporary file is left")
        let mode = try FileManager.default.attributesOfItem(atPath: directory + "/root.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try RootKeyFile.loadOrCreate(directory: directory, create: false).base64 == all.first)
    }
}
