import Foundation
import GatehouseWire

/// A stored provider row: the template as JSON and the client secret encrypted.
package struct ProviderRecord: Sendable, Equatable {
    /// The provider.
    package var id: String
    /// Its description.
    package var description: String?
    /// The built-in template it uses, or empty.
    package var providerType: String
    /// Whether it serves new authorizations.
    package var enabled: Bool
    /// `config` or `api`.
    package var source: String
    /// The `oauth2` template as JSON, without the secret.
    package var templateJSON: [UInt8]
    /// The client secret, encrypted (AAD `provider:<id>`).
    package var sealedSecret: [UInt8]?
    /// The secret's last characters, for the API's hint.
    package var secretHint: String?
    /// Creation time.
    package var createdAt: Date
    /// Time of the last change.
    package var updatedAt: Date

    /// Creates a provider row.
    package init(
        id: String, description: String?, providerType: String, enabled: Bool, source: String,
        templateJSON: [UInt8], sealedSecret: [UInt8]?, secretHint: String?, createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.description = description
        self.providerType = providerType
        self.enabled = enabled
        self.source = source
        self.templateJSON = templateJSON
        self.sealedSecret = sealedSecret
        self.secretHint = secretHint
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

extension ProviderRecord {
    /// The stored `oauth2` template, decoded.
    package func template() throws -> OAuth2Config {
        try JSONDecoder().decode(OAuth2Config.self, from: Data(templateJSON))
    }
}
