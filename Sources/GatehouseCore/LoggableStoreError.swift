/// An error of a store's driver that can say in the log what failed (a table, a constraint, the
/// database's error code) without quoting any value it was given.
package protocol LoggableStoreError: Error {
    /// What failed, for the log.
    var loggable: String { get }
}
