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
                Stop the servers of the source (and, with --replace, of the target) first: a copy is refused while one \
                runs. Both sides must use the same root keys: values are \
                copied sealed. Example: gatehouse store copy --from sqlite:.gatehouse/gatehouse.sqlite \
                --to postgres://gatehouse@db:5432/gatehouse
                """)

        @Option(help: "The source: sqlite:PATH or a postgres:// URL.") var from: String
        @Option(help: "The target: sqlite:PATH or a postgres:// URL.") var to: String
        @Flag(help: "Replace whatever the target holds (refused otherwise).") var replace = false
        @Flag(help: "Copy even while gatehouse serve runs on the source or the target (refused otherwise).")
        var allowRunning = false
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() async throws {
            // A location that is neither form is a usage error (exit 2), said before anything opens.
            do {
                try StoreCopy.check(location: from)
                try StoreCopy.check(location: to)
            } catch let error as ConfigurationError {
                Output.error("error: \(error)")
                throw ExitCode(CLIError.Code.usage.rawValue)
            }
            let tables: [StoreCopy.Table]
            do {
                tables = try await StoreCopy.run(from: from, to: to, replace: replace, allowRunning: allowRunning)
            } catch let error as ConfigurationError {
                // A side the copy cannot use or will not touch (unreachable, no Gatehouse tables,
                // a newer schema, a server running on it, a target not empty): exit 2, as the
                // other commands that open a store say it. A copy that differs is 1 (below).
                Output.error("error: \(error)")
                throw ExitCode(CLIError.Code.usage.rawValue)
            }
            if json {
                try Output.json(tables.map(TableReport.init))
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

/// One table of `store copy --json`: counts as numbers, both checksums in full.
private struct TableReport: Encodable {
    let table: String
    let sourceRows: Int
    let targetRows: Int
    let sourceSHA256: String
    let targetSHA256: String
    let matches: Bool

    init(_ table: StoreCopy.Table) {
        self.table = table.name
        sourceRows = table.sourceRows
        targetRows = table.targetRows
        sourceSHA256 = table.sourceChecksum
        targetSHA256 = table.targetChecksum
        matches = table.matches
    }

    enum CodingKeys: String, CodingKey {
        case table, matches
        case sourceRows = "source_rows"
        case targetRows = "target_rows"
        case sourceSHA256 = "source_sha256"
        case targetSHA256 = "target_sha256"
    }
}
