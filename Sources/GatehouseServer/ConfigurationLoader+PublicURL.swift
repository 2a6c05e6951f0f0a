import Foundation

// `api.public_url`: what the start says of one that cannot serve.
extension ConfigurationLoader {
    /// What a public URL that browsers and providers cannot use, or not safely, gets said at
    /// the start: redirect URIs, the key banner and the dashboard's links are built on it.
    static func publicURLWarning(_ config: GatehouseConfiguration) -> String? {
        if config.publicURL == nil, !config.isLoopback {
            return
                "api.public_url is not set, so redirect URIs and links use the listen address (\(config.effectivePublicURL)); set api.public_url (GATEHOUSE_PUBLIC_URL) to the https:// address browsers and providers reach"
        }
        guard URLComponents(string: config.effectivePublicURL)?.scheme == "http", !config.isPublicURLLoopback else {
            return nil
        }
        return
            "api.public_url (\(config.effectivePublicURL)) is plain http off loopback: API keys, tokens and the dashboard's session travel unencrypted, and browsers keep the dashboard's Secure cookie only over https; serve Gatehouse behind TLS and give its https:// address"
    }
}
