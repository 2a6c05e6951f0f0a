import Foundation
import GatehouseWire

/// The user-verification setting: defaults from configuration, changes through the admin API,
/// kept in the store so every replica agrees.
package struct VerificationSettingsService: Sendable {
    let store: any Store
    let settings: BrokerSettings
    private static let key = "session_verification"

    /// Creates the service.
    package init(store: any Store, settings: BrokerSettings) {
        self.store = store
        self.settings = settings
    }

    /// The setting in force.
    package func current() async throws -> VerificationSetting {
        guard let stored = try await store.setting(Self.key),
            let value = try? JSONDecoder().decode(VerificationSetting.self, from: Data(stored.utf8))
        else { return settings.defaultVerification }
        // Configuration can take the unsafe choice away after it was stored.
        if value.unsafeSkip, !settings.unsafeSkipAllowed {
            return VerificationSetting(verifierURL: value.verifierURL, unsafeSkip: false)
        }
        return value
    }

    /// The setting as the API shows it.
    package func view() async throws -> SessionVerificationSettings {
        let value = try await current()
        return SessionVerificationSettings(
            verifierURL: value.verifierURL, unsafeSkipVerification: value.unsafeSkip,
            unsafeSkipVerificationChoiceAllowed: settings.unsafeSkipAllowed)
    }

    /// Changes the setting.
    package func update(_ update: SessionVerificationUpdate) async throws -> SessionVerificationSettings {
        if let issuer = settings.identityIssuer {
            throw GatehouseError(
                .conflict,
                "user verification goes through the OpenID Provider \(issuer) (auth.user_verification.oidc in the config file); change it there"
            )
        }
        let skip = update.unsafeSkipVerification ?? false
        if skip, !settings.unsafeSkipAllowed {
            throw GatehouseError(
                .forbidden,
                "unsafe_skip_verification is not allowed on this server (set auth.user_verification.unsafe_skip_verification in the config to allow it)"
            )
        }
        if let url = update.verifierURL {
            guard url.count <= 2048, settings.isAllowedRedirect(url) else {
                throw GatehouseError.invalid(
                    "verifier_url must be an http(s) URL whose origin is in auth.allowed_redirect_origins")
            }
        } else if !skip {
            // On Arcade, no verifier_url means Arcade's own verifier; Gatehouse has none.
            throw GatehouseError.invalid(
                "verifier_url is required: Gatehouse has no verifier of its own (on Arcade, none means Arcade's); set it to your app's verifier route, or unsafe_skip_verification to true for development"
            )
        }
        let value = VerificationSetting(verifierURL: update.verifierURL, unsafeSkip: skip)
        try await store.setSetting(Self.key, value: String(decoding: try JSONEncoder.sorted.encode(value), as: UTF8.self))
        return try await view()
    }
}
