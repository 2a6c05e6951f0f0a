import Foundation
import GatehouseCore
import GatehouseWire
import Yams

/// The built-in provider templates, bundled in the binary as YAML in Arcade's `oauth2` model.
public enum BuiltInProviders {
    /// The parsed catalogue.
    public static let catalog: ProviderCatalog = {
        do {
            return ProviderCatalog(try parse(yaml))
        } catch {
            // The YAML is part of the source; a test parses it, so this cannot happen in a release.
            fatalError("built-in provider catalogue is invalid: \(error)")
        }
    }()

    static func parse(_ text: String) throws -> [ProviderCatalog.Entry] {
        guard let list = try Yams.load(yaml: text) as? [[String: Any]] else { return [] }
        return try list.map { entry in
            let oauth2 = try JSONDecoder().decode(
                OAuth2Config.self, from: JSONSerialization.data(withJSONObject: entry["oauth2"] ?? [:]))
            let tenant = (entry["tenant"] as? [String: Any]).map {
                ProviderCatalog.TenantSpec(
                    placeholder: $0["placeholder"] as? String ?? "subdomain", pattern: $0["pattern"] as? String ?? "^$",
                    example: $0["example"] as? String ?? "")
            }
            return ProviderCatalog.Entry(
                id: entry["id"] as? String ?? "", description: entry["description"] as? String ?? "",
                docsURL: entry["docs"] as? String, oauth2: oauth2, tenant: tenant, quirks: entry["quirks"] as? String)
        }
    }

    static let yaml = """
        - id: google
          description: Google (Gmail, Calendar, Drive, ...)
          docs: https://developers.google.com/identity/protocols/oauth2/web-server
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: true, code_challenge_method: S256 }
            authorize_request:
              endpoint: https://accounts.google.com/o/oauth2/v2/auth
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "openid email profile {{scopes}} {{existing_scopes}}"
                access_type: offline
                prompt: consent
                include_granted_scopes: "true"
            token_request:
              endpoint: https://oauth2.googleapis.com/token
              auth_method: client_secret_post
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
            refresh_request:
              endpoint: https://oauth2.googleapis.com/token
              auth_method: client_secret_post
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
            user_info_request:
              endpoint: https://openidconnect.googleapis.com/v1/userinfo
              method: GET
              auth_method: bearer_access_token
              triggers: { on_token_grant: true, on_token_refresh: false }
        """
}
