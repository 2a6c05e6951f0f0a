import Foundation

// The providers a config file lists, and those it no longer does.
extension ProviderRegistry {
    /// The stored providers that came from a config file that `listed` (this file's ids) leaves
    /// out.
    package func unlistedConfigProviders(listed: Set<String>) async throws -> [String] {
        try await unlisted(listed).map(\.id).sorted()
    }

    private func unlisted(_ listed: Set<String>) async throws -> [ProviderRecord] {
        try await store.providers().filter { $0.source == Provider.Source.config.rawValue && !listed.contains($0.id) }
    }

    /// Hands the providers the config file no longer lists to the admin API, inactive, with
    /// their connections (a file that lists one again takes it back); deleting them would end
    /// every grant on a file edited by mistake. Returns their ids.
    package func releaseConfigProviders(keeping listed: Set<String>) async throws -> [String] {
        var released: [String] = []
        for var record in try await unlisted(listed) {
            record.source = Provider.Source.api.rawValue
            record.enabled = false
            record.updatedAt = now()
            if try await store.updateProvider(id: record.id, with: record) != nil { released.append(record.id) }
        }
        if !released.isEmpty { await changed() }
        return released.sorted()
    }
}
