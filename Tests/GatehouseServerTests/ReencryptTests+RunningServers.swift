import Foundation
import GatehouseCore
import GatehouseSQLite
import GatehouseServer
import GatehouseTestSupport
import Logging
import Synchronization
import Testing

// `reencrypt` against the servers that say they are running (`ServerHeartbeat`): it does not
// re-seal under a key one of them cannot open.
extension ReencryptTests {
    static let rotated = [newKey, GatehouseConfiguration.RootKeyEntry(id: "k1", value: oldKey.value, isDefault: false)]

    /// A server's heartbeat on the store at `directory`, as another process's would be.
    func beat(
        _ directory: String, host: String, keyIDs: [String], defaultKeyID: String, now: Date = Date()
    ) async throws {
        let store = try await SQLiteStore.open(path: directory + "/gatehouse.sqlite", logger: Logger(label: "test"))
        await ServerHeartbeat(
            store: store, keyIDs: keyIDs, defaultKeyID: defaultKeyID, logger: Logger(label: "test"), host: host, pid: 42,
            now: { now }
        ).beat()
        try await store.close()
    }

    func reencrypt(_ directory: String, force: Bool = false) async throws -> (
        resealed: Int, sealingUnderAnother: [RunningServer]
    ) {
        let store = try await OperatorStore.open(configuration(directory, keys: Self.rotated))
        defer { Task { try? await store.close() } }
        let report = try await store.reencrypt(force: force)
        return (report.kinds.reduce(0) { $0 + $1.counts.resealed }, report.sealingUnderAnother)
    }

    @Test func aRunningServerWithoutTheNewKeyStopsTheRunUntilForced() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-rekey-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorded = Mutex<[RunningServer]>([])
        try await APIHarness.run(configuration: configuration(directory, keys: [Self.oldKey])) { api in
            try await api.createProvider()
            // The server under test says it runs, with k1 only.
            let store = try await SQLiteStore.open(path: directory + "/gatehouse.sqlite", logger: Logger(label: "test"))
            let running = try await RunningServer.running(in: store, now: Date())
            try await store.close()
            recorded.withLock { $0 = running }
        }
        let own = recorded.withLock { $0 }
        #expect(own.count == 1 && own.first?.keyIDs == ["k1"] && own.first?.defaultKeyID == "k1")
        #expect(own.first?.pid == ProcessInfo.processInfo.processIdentifier)

        // A server that cannot open k2 stops the run, named, and nothing is re-sealed...
        try await beat(directory, host: "replica-a", keyIDs: ["k1"], defaultKeyID: "k1")
        let refused = await #expect(throws: ConfigurationError.self) { try await reencrypt(directory) }
        let message = refused?.description ?? ""
        #expect(message.contains("1 running server does not have root key 'k2'"), "\(message)")
        #expect(message.contains("replica-a (pid 42, root keys k1)") && message.contains("--force"), "\(message)")
        // ...until forced (it was killed, say): then everything is, and the server is named as one
        // sealing under another key.
        let forced = try await reencrypt(directory, force: true)
        #expect(forced.resealed >= 1, "nothing was re-sealed by the refused run")
        #expect(forced.sealingUnderAnother.map(\.host) == ["replica-a"])
    }

    @Test func aRunningServerThatOpensTheNewKeyLetsTheRunGoOnAndIsNamedIfItSealsUnderAnother() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-rekey-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await APIHarness.run(configuration: configuration(directory, keys: [Self.oldKey])) { api in
            try await api.createProvider()
        }
        try await beat(directory, host: "replica-b", keyIDs: ["k1", "k2"], defaultKeyID: "k1")
        try await beat(directory, host: "replica-c", keyIDs: ["k1", "k2"], defaultKeyID: "k2")
        let run = try await reencrypt(directory)
        #expect(run.resealed >= 1)
        #expect(run.sealingUnderAnother.map(\.host) == ["replica-b"])
    }

    @Test func aRecordTooOldToCountIsIgnoredAndForgottenAfterADay() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-rekey-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await APIHarness.run(configuration: configuration(directory, keys: [Self.oldKey])) { api in
            try await api.createProvider()
        }
        let now = Date()
        try await beat(directory, host: "gone", keyIDs: ["k1"], defaultKeyID: "k1", now: now.addingTimeInterval(-91))
        #expect(try await reencrypt(directory).resealed == 1)
        try await beat(directory, host: "long-gone", keyIDs: ["k1"], defaultKeyID: "k1", now: now.addingTimeInterval(-86_401))
        // A beat removes records a day old, and keeps younger ones (still too old to count).
        try await beat(directory, host: "here", keyIDs: ["k2"], defaultKeyID: "k2", now: now)
        let store = try await SQLiteStore.open(path: directory + "/gatehouse.sqlite", logger: Logger(label: "test"))
        let hosts = try await store.settings(prefix: RunningServer.settingPrefix).values.compactMap {
            RunningServer.decoded($0)?.host
        }
        try await store.close()
        #expect(hosts.sorted() == ["gone", "here"])
    }
}
