import ArgumentParser
import Foundation
import GatehouseServer

/// `gatehouse reencrypt`: re-seals everything under the default root key, beside a running server.
struct ReencryptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reencrypt",
        abstract: "Re-seal every stored secret and token under the default root key (safe while the server runs).",
        discussion: """
            Make the new root key the default, restart every server, then run this. When it reports nothing \
            unreadable, remove the old key from the config, restart, and run it once more: every value should then \
            count as already current. It is safe to interrupt and to run again; docs/security.md has the steps.
            """)

    @OptionGroup var options: KeysCommand.StoreOptions

    @Flag(help: "Re-seal even while a running server lacks the default key (one that was killed, not stopped).")
    var force = false

    func run() async throws {
        let (report, sealingUnderAnother) = try await options.withStore { try await $0.reencrypt(force: force) }
        for server in sealingUnderAnother {
            // Not an error: it reads the new key. What it writes until restarted is left for the next run.
            Output.error(
                "warning: running server \(server.described) seals under root key '\(server.defaultKeyID)': restart it with the new default, then run reencrypt again"
            )
        }
        let unreadable = report.reduce(0) { $0 + $1.counts.unreadable }
        if options.json {
            try Output.json(
                Dictionary(
                    uniqueKeysWithValues: report.map {
                        (
                            $0.kind.rawValue,
                            [
                                "resealed": $0.counts.resealed, "current": $0.counts.current, "changed": $0.counts.changed,
                                "unreadable": $0.counts.unreadable,
                            ]
                        )
                    }))
        } else {
            Output.table(
                ["VALUES", "RESEALED", "ALREADY CURRENT", "CHANGED MEANWHILE", "UNREADABLE"],
                report.map {
                    [
                        $0.kind.rawValue, String($0.counts.resealed), String($0.counts.current), String($0.counts.changed),
                        String($0.counts.unreadable),
                    ]
                })
        }
        // Unreadable values need a key that is not configured: removing any key now would lose them.
        if unreadable > 0 {
            let named = report.reduce(into: Set<String>()) { $0.formUnion($1.counts.unreadableKeyIDs) }.sorted()
            Output.error(
                "error: \(unreadable) values could not be decrypted with the configured root keys: they were sealed under root key \(named.joined(separator: ", ")); list it in security.root_keys (--config) and run again"
            )
            throw ExitCode.failure
        }
    }
}
