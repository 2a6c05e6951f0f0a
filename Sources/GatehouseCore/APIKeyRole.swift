/// What an API key may do.
///
/// `app` keys are what agents and apps hold: they start authorizations, read their status and
/// confirm users. Only `admin` keys reach `/v1/admin/*`, where client secrets are written and
/// connections are listed and deleted, so a leaked app key never leads to the vault.
package enum APIKeyRole: String, Sendable, CaseIterable, Codable {
    /// A role as a store holds it; one this build does not know reads as the least privilege.
    package init(stored: String) {
        self = APIKeyRole(rawValue: stored) ?? .app
    }

    /// `/v1/auth/*` and `/v1/health` only.
    case app
    /// Everything, including `/v1/admin/*`.
    case admin
}
