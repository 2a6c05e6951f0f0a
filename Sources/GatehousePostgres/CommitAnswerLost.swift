import PostgresNIO

/// The connection went while a `COMMIT` was under way: the server may have committed or not.
struct CommitAnswerLost: Error {
    /// What the connection said.
    let error: PSQLError
}
