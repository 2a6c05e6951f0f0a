import Foundation
import GatehouseCore

// API keys and settings, forwarded as the rest.
extension InterposedStore {
    package func insertAPIKey(_ record: APIKeyRecord) async throws {
        try await forward("insertAPIKey") { try await base.insertAPIKey(record) }
    }

    package func apiKeys() async throws -> [APIKeyRecord] {
        try await forward("apiKeys") { try await base.apiKeys() }
    }

    package func deleteAPIKeys(hashPrefix: String, keepingAnAdmin: Bool) async throws -> Int? {
        try await forward("deleteAPIKeys") {
            try await base.deleteAPIKeys(hashPrefix: hashPrefix, keepingAnAdmin: keepingAnAdmin)
        }
    }

    package func apiKey(hash: String) async throws -> APIKeyRecord? {
        try await forward("apiKey") { try await base.apiKey(hash: hash) }
    }

    package func apiKeyCount() async throws -> Int {
        try await forward("apiKeyCount") { try await base.apiKeyCount() }
    }

    package func setting(_ key: String) async throws -> String? {
        try await forward("setting") { try await base.setting(key) }
    }

    package func setSetting(_ key: String, value: String) async throws {
        try await forward("setSetting") { try await base.setSetting(key, value: value) }
    }

    package func settings(prefix: String) async throws -> [String: String] {
        try await forward("settings") { try await base.settings(prefix: prefix) }
    }

    package func recordAPIKeyUse(hash: String, at time: Date) async throws {
        try await forward("recordAPIKeyUse") { try await base.recordAPIKeyUse(hash: hash, at: time) }
    }

    package func sharedTime(_ now: Date) async throws -> Date {
        try await forward("sharedTime") { try await base.sharedTime(now) }
    }

    package func deleteSetting(_ key: String) async throws {
        try await forward("deleteSetting") { try await base.deleteSetting(key) }
    }
}
