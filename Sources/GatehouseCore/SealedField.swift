/// One encrypted value in the store, with what names its row (the cipher's associated data).
package struct SealedField: Sendable, Equatable {
    /// Which column of which table.
    package enum Kind: String, Sendable, CaseIterable {
        /// A provider's client secret (`provider:<id>`).
        case providerSecret = "provider secrets"
        /// A tool secret's value (`secret:<key>`).
        case toolSecret = "tool secrets"
        /// A connection's token set.
        case connectionTokens = "connection token sets"
        /// A flow's PKCE verifier (`flow:<id>`).
        case flowVerifier = "flow verifiers"
        /// A flow's authorize URL (`flow-url:<id>`).
        case flowURL = "flow URLs"
        /// A flow's token set awaiting verification (`flow:<id>`).
        case flowTokens = "flow token sets"
        /// A deleted connection's token set awaiting revocation (sealed as the connection's was).
        case revocationTokens = "pending revocation token sets"
        /// A deleted provider's client secret, kept for its grants' revocations (`provider:<id>`).
        case retiredProviderSecret = "retired provider secrets"
    }

    /// Which column.
    package var kind: Kind
    /// The row's primary key.
    package var rowID: String
    /// The associated data the value was sealed with.
    package var context: String
    /// The ciphertext.
    package var blob: [UInt8]

    /// Creates a field.
    package init(kind: Kind, rowID: String, context: String, blob: [UInt8]) {
        self.kind = kind
        self.rowID = rowID
        self.context = context
        self.blob = blob
    }

    /// Where each kind lives in the schema every store shares: table, key column, blob column.
    package static func location(_ kind: Kind) -> (table: String, key: String, column: String) {
        switch kind {
        case .providerSecret: ("providers", "id", "sealed_secret")
        case .toolSecret: ("secrets", "id", "sealed_value")
        case .connectionTokens: ("connections", "id", "sealed_tokens")
        case .flowVerifier: ("flows", "id", "sealed_verifier")
        case .flowURL: ("flows", "id", "sealed_url")
        case .flowTokens: ("flows", "id", "sealed_tokens")
        case .revocationTokens: ("revocations", "id", "sealed_tokens")
        case .retiredProviderSecret: ("retired_providers", "key", "sealed_secret")
        }
    }

    /// The extra columns a kind's associated data is made from.
    package static func contextColumns(_ kind: Kind) -> String {
        switch kind {
        case .toolSecret: ", key AS name"
        case .connectionTokens, .revocationTokens: ", provider_id, user_id"
        case .retiredProviderSecret: ", id AS provider_id"
        default: ""
        }
    }

    /// The associated data of each kind: the one place these strings are spelled.
    package static func context(_ kind: Kind, rowID: String, name: String? = nil, providerID: String = "", userID: String = "")
        -> String
    {
        switch kind {
        case .providerSecret: "provider:\(rowID)"
        case .retiredProviderSecret: "provider:\(providerID)"
        case .toolSecret: "secret:\(name ?? rowID)"
        case .connectionTokens, .revocationTokens: Connection.cipherContext(providerID: providerID, userID: userID)
        case .flowVerifier, .flowTokens: "flow:\(rowID)"
        case .flowURL: "flow-url:\(rowID)"
        }
    }
}
