/// Why Gatehouse cannot start with this configuration (or data directory), naming the key or
/// file and what to do: the one error type of configuration, from the file's syntax to the
/// checks made while the application is built.
package struct ConfigurationError: Error, CustomStringConvertible {
    /// The message.
    package let description: String

    /// Creates an error.
    package init(description: String) {
        self.description = description
    }
}
