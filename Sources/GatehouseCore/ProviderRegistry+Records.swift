import Foundation
import GatehouseWire

// Providers to and from their stored rows, the client secret sealed.
extension ProviderRegistry {
    /// A deleted provider as it was when it was deleted, kept for its grants' revocations; nil
    /// once none waits, or when its template breaks a rule of today's (it is not used then).
    package func retired(key: String) async throws -> Provider? {
        guard let retired = try await store.retiredProvider(key: key) else { return nil }
        let provider = try provider(from: retired.record)
        return (try? ProviderTemplateValidator.validateStored(id: provider.id, provider.oauth2)) == nil ? nil : provider
    }

    func record(for provider: Provider) throws -> ProviderRecord {
        let sealed = try provider.clientSecret.map {
            try cipher.seal(Array($0.utf8), context: SealedField.context(.providerSecret, rowID: provider.id))
        }
        return ProviderRecord(
            id: provider.id, description: provider.description, providerType: provider.providerType,
            enabled: provider.enabled, source: provider.source.rawValue,
            templateJSON: Array(try JSONEncoder.sorted.encode(provider.oauth2)), sealedSecret: sealed,
            secretHint: Self.hint(for: provider.clientSecret), createdAt: provider.createdAt,
            updatedAt: provider.updatedAt)
    }

    func provider(from record: ProviderRecord) throws -> Provider {
        let template = try record.template()
        let secret = try record.sealedSecret.map {
            String(decoding: try cipher.open($0, context: SealedField.context(.providerSecret, rowID: record.id)), as: UTF8.self)
        }
        return Provider(
            id: record.id, description: record.description, providerType: record.providerType,
            enabled: record.enabled, source: Provider.Source(rawValue: record.source) ?? .api,
            oauth2: template, clientSecret: secret, createdAt: record.createdAt, updatedAt: record.updatedAt,
            defaultTokenLifetime: catalog.entry(record.providerType)?.defaultTokenLifetime,
            scopeRules: catalog.entry(record.providerType)?.scopeRules ?? .exact)
    }
}
