import ArgumentParser
import Foundation
import GatehouseServer

/// `gatehouse store`: moving an install between stores.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Move an install between stores.", subcommands: [Copy.self])

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy every row from one store to another, and compare counts and checksums per table.",
            discussion: """
                Stop the servers writing to the source first. Both sides must use the same root keys: values are \
                copied sealed. Example: gatehouse store copy --from sqlite:.gatehouse/gatehouse.sqlite \
                --to postgres://gatehouse@db:5432/gatehouse
                """)

        @Option(help: "The source: sqlite:PATH or a postgres:// URL.") var from: String
        @Option(help: "The target: sqlite:PATH or a postgres:// URL.") var to: String
        @Flag(help: "Replace whatever the target holds (refused otherwise).") var replace = false
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() async throws {
            let tables: [StoreCopy.Table]
            do {
                tables = try await StoreCopy.run(from: from, to: to, replace: replace)
            } catch let error as ConfigurationError {
                Output.error("error: \(error)")
                throw ExitCode(CLIError.Code.failure.rawValue)
            }
            if json {
                try Output.json(
                    tables.map {
                        [
                            "table": $0.name, "source_rows": String($0.sourceRows), "target_rows": String($0.targetRows),
                            "checksum": $0.sourceChecksum, "matches": String($0.matches),
                        ]
                    })
            } else {
                Output.table(
                    ["TABLE", "SOURCE ROWS", "TARGET ROWS", "SHA-256 (SOURCE)", "MATCH"],
                    tables.map {
                        [
                            $0.name, String($0.sourceRows), String($0.targetRows), String($0.sourceChecksum.prefix(16)),
                            $0.matches ? "yes" : "NO",
                        ]
                    })
            }
            guard tables.allSatisfy(\.matches) else {
                Output.error("error: the copy differs from the source")
                throw ExitCode(CLIError.Code.failure.rawValue)
            }
        }
    }
}
