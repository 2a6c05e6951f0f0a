import Foundation

/// The clock a PostgreSQL store measures refresh leases on, and the times replicas compare
/// across one another's records: heartbeats, and when a callback used a flow's state
/// (`Store.sharedTime`).
///
/// Replicas write a lease's end and compare it with the time now. On the replicas' own clocks, a
/// replica whose clock runs ahead by two thirds of a lease finds a held lease lapsed between two
/// renewals, and refreshes with the refresh token the holder is using: a provider that rotates
/// refresh tokens then ends the grant. On the database's clock every replica reads the same time.
package enum LeaseClock: Sendable {
    /// The database server's `clock_timestamp()`: what every replica runs on.
    case database
    /// The time the caller passes: for tests that move time by hand.
    case caller

    /// The database's time now, in seconds since 1970, as SQL.
    static let databaseNow = "EXTRACT(EPOCH FROM clock_timestamp())::DOUBLE PRECISION"

    /// The caller's time to bind, or nil (SQL NULL) for the database's.
    func callerTime(_ now: Date) -> Double? {
        switch self {
        case .database: nil
        case .caller: now.timeIntervalSince1970
        }
    }
}
