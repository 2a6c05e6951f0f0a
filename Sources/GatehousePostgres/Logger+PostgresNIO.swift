import Logging

extension Logger {
    /// This logger as PostgresNIO should get it: never below debug. At trace, PostgresNIO logs
    /// each message from the server, data rows included (an API key's hash, sealed tokens);
    /// bound values and the password stay masked at every level.
    package var forPostgresNIO: Logger {
        var logger = self
        logger.logLevel = Swift.max(logger.logLevel, .debug)
        return logger
    }
}
