/// Waits up to `limit` for `condition`, checking it every 20 ms; returns whether it held. Tests
/// wait for what they expect this way instead of sleeping a fixed time that a loaded machine
/// can outlast.
package func eventually(_ limit: Duration = .seconds(5), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
