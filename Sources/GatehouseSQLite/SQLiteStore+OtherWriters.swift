import GatehouseCore
import SQLiteNIO

// Another process may write to the same file: a `gatehouse` command (`keys`, `reencrypt`) beside
// the server. SQLite's busy handler would wait for it inside the statement, with the gate held,
// and every other request's statement waiting behind the gate; so the connections do not wait
// (`busy_timeout=0`) and the store waits here instead, with the gate open between tries.
extension SQLiteStore {
    /// How long a statement waits for another process's write before the request fails (503).
    static let otherWritersWait: Duration = .seconds(5)

    /// Runs `attempt`, again after a pause (1 ms, doubling up to 50 ms) while the file is locked
    /// by another process's write: an attempt refused that way changed nothing.
    func waitingForOtherWriters<T>(_ attempt: () async throws -> T) async throws -> T {
        // Set at the first refusal, so that a statement that runs at once reads no clock.
        var deadline: ContinuousClock.Instant?
        var pause = Duration.milliseconds(1)
        while true {
            do {
                return try await attempt()
            } catch let error as SQLiteError where Self.isLocked(error) {
                let now = ContinuousClock.now
                if deadline == nil {
                    logger.debug("the database file is locked by another process's write; waiting for it")
                }
                let giveUp = deadline ?? now + Self.otherWritersWait
                deadline = giveUp
                guard now + pause < giveUp else {
                    throw GatehouseError(
                        .storeUnavailable,
                        "the database file stayed locked by another process's write (a gatehouse command?); try again shortly")
                }
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(50))
            } catch let error as SQLiteError {
                guard let why = Self.unusable(error) else { throw error }
                // A full disk, a damaged file, a failing disk: the store cannot serve, which a
                // 503 and readiness say (`ping`), not a 500 that reads like a bug.
                unusableAt.withLock { $0 = (ContinuousClock.now, why) }
                // The path only in the log (readiness says it), not to API callers.
                throw GatehouseError(.storeUnavailable, "the database file cannot be used: \(why)")
            }
        }
    }

    /// Why a statement's error means the file cannot be used, in words; nil for any other error.
    static func unusable(_ error: SQLiteError) -> String? {
        switch error.reason {
        case .full: "the disk is full"
        case .corrupt, .corruptIndex, .corruptSequenceSchema, .corruptVirtualTable, .notADatabase:
            "it is damaged or not a Gatehouse database; restore it from a backup"
        case .readOnly, .readonlyCantLock, .readonlyDirectory, .readonlyInRecovery, .readonlyInRollback,
            .readonlyBackingMoved:
            "it cannot be written (read-only)"
        case .cantOpen, .cantOpenDirectory, .cantOpenInvalidPath: "it cannot be opened"
        default: "\(error.reason)".hasPrefix("ioError") ? "the disk failed to read or write it" : nil
        }
    }

    static func isLocked(_ error: SQLiteError) -> Bool {
        switch error.reason {
        // `busyInSnapshot`: a single write statement (autocommit) read the file, and another
        // process's commit landed before it could write. It failed whole, so it is tried again
        // like the others (transactions begin IMMEDIATE, which never meets it). A `reencrypt`
        // beside a busy server met it: 1-6 answers in 4,000 were 500s.
        case .busy, .busyInRecovery, .busyTimeout, .busyInSnapshot: true
        default: false
        }
    }
}

extension SQLiteError: LoggableStoreError {
    /// Its reason and SQLite's message, which names what failed (a table, a constraint) but
    /// holds no bound value.
    package var loggable: String { "SQLiteError \(reason): \(message.prefix(200))" }
}
