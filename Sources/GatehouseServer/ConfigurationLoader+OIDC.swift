import Foundation
import GatehouseCore
import GatehouseOIDC

// `auth.user_verification.oidc`: the app's own OpenID Provider checks who finishes a consent.
extension ConfigurationLoader {
    static func applyOIDC(_ settings: SettingsReader, to config: inout GatehouseConfiguration) throws {
        let key = "auth.user_verification.oidc"
        let issuer = settings.string("\(key).issuer")
        let clientID = settings.string("\(key).client_id")
        let clientSecret = settings.string("\(key).client_secret")
        let userClaim = settings.string("\(key).user_claim")
        let scopes = settings.list("\(key).scopes")
        guard issuer != nil || clientID != nil || clientSecret != nil || userClaim != nil || scopes != nil else { return }
        guard let issuer, IssuerCheck.isIssuer(issuer) else {
            throw ConfigurationError(
                description:
                    "\(key).issuer must be the OpenID Provider's https URL (http only on a loopback host), without query or fragment"
            )
        }
        guard let clientID, !clientID.isEmpty else {
            throw ConfigurationError(description: "\(key).client_id is required")
        }
        guard let clientSecret, !clientSecret.isEmpty else {
            throw ConfigurationError(description: "\(key).client_secret is required (use ${env:NAME} or ${file:path})")
        }
        let claim = userClaim ?? "sub"
        guard !claim.isEmpty, claim.utf8.count <= 100 else {
            throw ConfigurationError(description: "\(key).user_claim must name an ID token claim, such as sub or email")
        }
        let extra = scopes ?? []
        guard extra.allSatisfy({ !$0.isEmpty && !$0.contains(" ") }) else {
            throw ConfigurationError(description: "\(key).scopes must be scope names without spaces")
        }
        config.oidc = OIDCSettings(
            issuer: issuer, clientID: clientID, clientSecret: clientSecret, userClaim: claim, scopes: extra)
    }
}
