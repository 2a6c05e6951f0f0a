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

    /// The catalogue, in Arcade's `oauth2` template model (see docs/providers.md). Per-tenant
    /// hosts use `{{<tenant placeholder>}}` in endpoints only; `headers` is a Gatehouse extension.
    static let yaml = """
        - id: google
          description: Google (Gmail, Calendar, Drive, Contacts, ...)
          docs: https://developers.google.com/identity/protocols/oauth2/web-server
          quirks: "Refresh tokens only with access_type=offline; prompt=consent makes Google issue one on every consent; refresh responses carry no new refresh token."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: true, code_challenge_method: S256 }
            authorize_request:
              endpoint: https://accounts.google.com/o/oauth2/v2/auth
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile {{scopes}} {{existing_scopes}}"
                access_type: offline
                prompt: consent
                include_granted_scopes: "true"
            token_request:
              endpoint: https://oauth2.googleapis.com/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://oauth2.googleapis.com/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://openidconnect.googleapis.com/v1/userinfo
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: github
          description: GitHub (GitHub App user-to-server tokens)
          docs: https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app
          quirks: "Use a GitHub App, not an OAuth App: permissions live on the app and scope is ignored; keep 'Expire user authorization tokens' on (8 h tokens, 6-month rotating refresh tokens); without Accept: application/json the token endpoint answers form-encoded."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: true, code_challenge_method: S256 }
            authorize_request:
              endpoint: https://github.com/login/oauth/authorize
              params:
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "{{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://github.com/login/oauth/access_token
              method: POST
              auth_method: client_secret_post
              headers: { Accept: application/json }
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://github.com/login/oauth/access_token
              method: POST
              auth_method: client_secret_post
              headers: { Accept: application/json }
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://api.github.com/user
              method: GET
              auth_method: bearer_access_token
              headers:
                Accept: application/vnd.github+json
                X-GitHub-Api-Version: "2022-11-28"
                User-Agent: Gatehouse
              response_content_type: application/json
              response_map:
                id: "$.id"
                login: "$.login"
                name: "$.name"
                email: "$.email"
                avatar_url: "$.avatar_url"
                html_url: "$.html_url"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: github-enterprise
          description: GitHub Enterprise Server (GitHub App user-to-server tokens on your own host)
          docs: https://docs.github.com/en/enterprise-server@latest/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app
          tenant: { placeholder: host, pattern: "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?([.][a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$", example: github.acme.com }
          quirks: "The tenant is the GHES host name (no scheme, port or path); the REST API is at https://<host>/api/v3. GHE.com data-residency tenants use https://api.<sub>.ghe.com for the API, so configure those as a custom provider."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: false }
            authorize_request:
              endpoint: "https://{{host}}/login/oauth/authorize"
              params:
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "{{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: "https://{{host}}/login/oauth/access_token"
              method: POST
              auth_method: client_secret_post
              headers: { Accept: application/json }
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: "https://{{host}}/login/oauth/access_token"
              method: POST
              auth_method: client_secret_post
              headers: { Accept: application/json }
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: "https://{{host}}/api/v3/user"
              method: GET
              auth_method: bearer_access_token
              headers:
                Accept: application/vnd.github+json
                User-Agent: Gatehouse
              response_content_type: application/json
              response_map:
                id: "$.id"
                login: "$.login"
                name: "$.name"
                email: "$.email"
                avatar_url: "$.avatar_url"
                html_url: "$.html_url"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: slack
          description: Slack (user token)
          docs: https://docs.slack.dev/authentication/installing-with-oauth
          quirks: "Scopes go in user_scope (comma-separated) so Slack issues a user token; the token is under authed_user; with token rotation on, user tokens (xoxe.xoxp-) last 12 h and every refresh returns a new refresh token; users:read.email needs users:read."
          oauth2:
            scope_delimiter: ","
            pkce: { enabled: false }
            authorize_request:
              endpoint: https://slack.com/oauth/v2/authorize
              params:
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                user_scope: "{{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://slack.com/api/oauth.v2.access
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
              response_map:
                access_token: "$.authed_user.access_token"
                refresh_token: "$.authed_user.refresh_token"
                expires_in: "$.authed_user.expires_in"
                scope: "$.authed_user.scope"
                token_type: "$.authed_user.token_type"
            refresh_request:
              endpoint: https://slack.com/api/oauth.v2.access
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
              response_map:
                access_token: "$.authed_user.access_token"
                refresh_token: "$.authed_user.refresh_token"
                expires_in: "$.authed_user.expires_in"
                scope: "$.authed_user.scope"
                token_type: "$.authed_user.token_type"
            user_info_request:
              endpoint: https://slack.com/api/auth.test
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              response_map:
                id: "$.user_id"
                name: "$.user"
                team_id: "$.team_id"
                team: "$.team"
                url: "$.url"
                enterprise_id: "$.enterprise_id"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: microsoft
          description: Microsoft (Entra ID / Microsoft Graph, multitenant /common)
          docs: https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow
          quirks: "Authorizes against /common, so the app registration must be multitenant (single-tenant apps fail with AADSTS50194); offline_access is added for refresh tokens and is never echoed in the granted scope; Graph scopes must not be mixed with other resources (AADSTS70011); refresh tokens rotate."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: true, code_challenge_method: S256 }
            authorize_request:
              endpoint: https://login.microsoftonline.com/common/oauth2/v2.0/authorize
              params:
                response_type: code
                response_mode: query
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "openid profile email offline_access {{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://login.microsoftonline.com/common/oauth2/v2.0/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://login.microsoftonline.com/common/oauth2/v2.0/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://graph.microsoft.com/oidc/userinfo
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: microsoft-powerbi
          description: Microsoft Power BI (Entra ID, Power BI Service scopes only)
          docs: https://learn.microsoft.com/en-us/rest/api/power-bi/
          quirks: "A separate provider so Power BI scopes (https://analysis.windows.net/powerbi/api/...) never mix with Graph scopes (AADSTS70011); add only Power BI Service permissions to the app; the token's audience is Power BI, so Graph user info cannot be fetched and context.user_info stays empty."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: true, code_challenge_method: S256 }
            authorize_request:
              endpoint: https://login.microsoftonline.com/common/oauth2/v2.0/authorize
              params:
                response_type: code
                response_mode: query
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "openid profile offline_access {{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://login.microsoftonline.com/common/oauth2/v2.0/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://login.microsoftonline.com/common/oauth2/v2.0/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json

        - id: atlassian
          description: Atlassian (Jira, Confluence; OAuth 2.0 3LO)
          docs: https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/
          quirks: "audience=api.atlassian.com and prompt=consent are required; offline_access is added so a refresh token is issued, and refresh tokens rotate on every use; tokens work only through https://api.atlassian.com/ex/<product>/<cloudId>/..., where cloudId comes from /oauth/token/accessible-resources."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: false }
            authorize_request:
              endpoint: https://auth.atlassian.com/authorize
              params:
                audience: api.atlassian.com
                client_id: "{{client_id}}"
                scope: "offline_access {{scopes}} {{existing_scopes}}"
                redirect_uri: "{{redirect_uri}}"
                response_type: code
                prompt: consent
            token_request:
              endpoint: https://auth.atlassian.com/oauth/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/json
              response_content_type: application/json
            refresh_request:
              endpoint: https://auth.atlassian.com/oauth/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/json
              response_content_type: application/json
            user_info_request:
              endpoint: https://api.atlassian.com/me
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: notion
          description: Notion (public integration)
          docs: https://developers.notion.com/docs/authorization
          quirks: "No scopes (capabilities are set on the integration); the token request uses HTTP Basic client auth and a JSON body; owner=user asks for a user-level token; user info comes from the bot user's owner via GET /v1/users/me with a Notion-Version header."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: false }
            authorize_request:
              endpoint: https://api.notion.com/v1/oauth/authorize
              params:
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                response_type: code
                owner: user
            token_request:
              endpoint: https://api.notion.com/v1/oauth/token
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/json
              response_content_type: application/json
            refresh_request:
              endpoint: https://api.notion.com/v1/oauth/token
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/json
              response_content_type: application/json
            user_info_request:
              endpoint: https://api.notion.com/v1/users/me
              method: GET
              auth_method: bearer_access_token
              headers: { Notion-Version: "2022-06-28" }
              response_content_type: application/json
              response_map:
                id: "$.bot.owner.user.id"
                name: "$.bot.owner.user.name"
                email: "$.bot.owner.user.person.email"
                avatar_url: "$.bot.owner.user.avatar_url"
                bot_id: "$.id"
                workspace_name: "$.bot.workspace_name"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: x
          description: X (Twitter API v2)
          docs: https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code
          quirks: "PKCE (S256) is mandatory; confidential clients authenticate with HTTP Basic; offline.access is added so a refresh token is issued (access tokens last 2 h); refresh tokens rotate; GET /2/users/me needs tweet.read and users.read."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: true, code_challenge_method: S256 }
            authorize_request:
              endpoint: https://x.com/i/oauth2/authorize
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "offline.access {{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://api.x.com/2/oauth2/token
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://api.x.com/2/oauth2/token
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://api.x.com/2/users/me
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              response_map:
                id: "$.data.id"
                name: "$.data.name"
                username: "$.data.username"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: zoom
          description: Zoom (user-managed OAuth app)
          docs: https://developers.zoom.us/docs/integrations/oauth/
          quirks: "Scopes are chosen on the app, not in the authorize URL (the granted list comes back in the token response); register the redirect URL in both 'Redirect URL for OAuth' and the OAuth allow list; HTTP Basic client auth; refresh tokens rotate."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: false }
            authorize_request:
              endpoint: https://zoom.us/oauth/authorize
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
            token_request:
              endpoint: https://zoom.us/oauth/token
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://zoom.us/oauth/token
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://api.zoom.us/v2/users/me
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              response_map:
                id: "$.id"
                email: "$.email"
                first_name: "$.first_name"
                last_name: "$.last_name"
                display_name: "$.display_name"
                account_id: "$.account_id"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: linear
          description: Linear
          docs: https://linear.app/developers/oauth-2-0-authentication
          quirks: "Scopes are comma-separated and read is always granted; apps use 24 h access tokens with rotating refresh tokens (mandatory since 2026-04-01); user info comes from the GraphQL viewer query."
          oauth2:
            scope_delimiter: ","
            pkce: { enabled: true, code_challenge_method: S256 }
            authorize_request:
              endpoint: https://linear.app/oauth/authorize
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "{{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://api.linear.app/oauth/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://api.linear.app/oauth/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://api.linear.app/graphql
              method: POST
              auth_method: bearer_access_token
              params:
                query: "{ viewer { id name email organization { id name urlKey } } }"
              request_content_type: application/json
              response_content_type: application/json
              response_map:
                id: "$.data.viewer.id"
                name: "$.data.viewer.name"
                email: "$.data.viewer.email"
                organization_id: "$.data.viewer.organization.id"
                organization_name: "$.data.viewer.organization.name"
                organization_url_key: "$.data.viewer.organization.urlKey"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: asana
          description: Asana
          docs: https://developers.asana.com/docs/oauth
          quirks: "Granular scopes are incomplete, so apps normally use Full Permissions (scope default); access tokens last 1 h and refresh responses carry no new refresh token; the token response embeds the user under data."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: true, code_challenge_method: S256 }
            authorize_request:
              endpoint: https://app.asana.com/-/oauth_authorize
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "{{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://app.asana.com/-/oauth_token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://app.asana.com/-/oauth_token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://app.asana.com/api/1.0/users/me
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              response_map:
                id: "$.data.gid"
                name: "$.data.name"
                email: "$.data.email"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: clickup
          description: ClickUp
          docs: https://developer.clickup.com/docs/authentication
          quirks: "No scopes: the user picks Workspaces on the consent screen; tokens do not expire and there is no refresh grant; the API takes the bare token in the Authorization header."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: false }
            authorize_request:
              endpoint: https://app.clickup.com/api
              params:
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
            token_request:
              endpoint: https://api.clickup.com/api/v2/oauth/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: authorization_code
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://api.clickup.com/api/v2/user
              method: GET
              auth_method: bearer_access_token
              auth_header_value_format: "{{access_token}}"
              response_content_type: application/json
              response_map:
                id: "$.user.id"
                username: "$.user.username"
                email: "$.user.email"
                profile_picture: "$.user.profilePicture"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: dropbox
          description: Dropbox
          docs: https://developers.dropbox.com/oauth-guide
          quirks: "token_access_type=offline is needed for a refresh token (access tokens last 4 h); refresh responses carry no new refresh token; scopes must also be ticked on the app's Permissions tab; user info is an RPC call (POST, no arguments)."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: true, code_challenge_method: S256 }
            authorize_request:
              endpoint: https://www.dropbox.com/oauth2/authorize
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                token_access_type: offline
                scope: "{{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://api.dropboxapi.com/oauth2/token
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://api.dropboxapi.com/oauth2/token
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://api.dropboxapi.com/2/users/get_current_account
              method: POST
              auth_method: bearer_access_token
              request_content_type: application/json
              response_content_type: application/json
              response_map:
                id: "$.account_id"
                email: "$.email"
                email_verified: "$.email_verified"
                name: "$.name.display_name"
                country: "$.country"
                locale: "$.locale"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: discord
          description: Discord
          docs: https://discord.com/developers/docs/topics/oauth2
          quirks: "Access tokens last 7 days; refresh responses carry a new refresh token; GET /users/@me needs the identify scope (email needs email)."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: true, code_challenge_method: S256 }
            authorize_request:
              endpoint: https://discord.com/oauth2/authorize
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "{{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://discord.com/api/oauth2/token
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://discord.com/api/oauth2/token
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://discord.com/api/users/@me
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              response_map:
                id: "$.id"
                username: "$.username"
                global_name: "$.global_name"
                email: "$.email"
                verified: "$.verified"
                avatar: "$.avatar"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: linkedin
          description: LinkedIn (Sign In with LinkedIn using OpenID Connect, Share on LinkedIn)
          docs: https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow
          quirks: "openid profile email are added so user_info carries sub (tools build urn:li:person:<sub> from it); the app needs the 'Sign In with LinkedIn using OpenID Connect' product; access tokens last 60 days and refresh tokens are issued only to approved partners; the token response's scope is comma-separated."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: false }
            authorize_request:
              endpoint: https://www.linkedin.com/oauth/v2/authorization
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "openid profile email {{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://www.linkedin.com/oauth/v2/accessToken
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://www.linkedin.com/oauth/v2/accessToken
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://api.linkedin.com/v2/userinfo
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: reddit
          description: Reddit
          docs: https://github.com/reddit-archive/reddit/wiki/OAuth2
          quirks: "duration=permanent is needed for a refresh token (access tokens last 24 h); HTTP Basic client auth; every request needs a descriptive User-Agent or Reddit throttles it; the API host for tokens is oauth.reddit.com."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: false }
            authorize_request:
              endpoint: https://www.reddit.com/api/v1/authorize
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                duration: permanent
                scope: "{{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://www.reddit.com/api/v1/access_token
              method: POST
              auth_method: client_secret_basic
              headers: { User-Agent: "server:gatehouse:1.0 (Gatehouse OAuth broker; app {{client_id}})" }
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://www.reddit.com/api/v1/access_token
              method: POST
              auth_method: client_secret_basic
              headers: { User-Agent: "server:gatehouse:1.0 (Gatehouse OAuth broker; app {{client_id}})" }
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://oauth.reddit.com/api/v1/me
              method: GET
              auth_method: bearer_access_token
              headers: { User-Agent: "server:gatehouse:1.0 (Gatehouse OAuth broker; app {{client_id}})" }
              response_content_type: application/json
              response_map:
                id: "$.id"
                name: "$.name"
                icon_img: "$.icon_img"
                created_utc: "$.created_utc"
                has_verified_email: "$.has_verified_email"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: spotify
          description: Spotify (Web API)
          docs: https://developer.spotify.com/documentation/web-api/tutorials/code-flow
          quirks: "HTTP Basic client auth; access tokens last 1 h; a refresh response may or may not carry a new refresh token (keep the old one when it does not); apps in development mode only serve users added to the app's allow list."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: false }
            authorize_request:
              endpoint: https://accounts.spotify.com/authorize
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "{{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://accounts.spotify.com/api/token
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://accounts.spotify.com/api/token
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://api.spotify.com/v1/me
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              response_map:
                id: "$.id"
                display_name: "$.display_name"
                email: "$.email"
                country: "$.country"
                product: "$.product"
                uri: "$.uri"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: twitch
          description: Twitch
          docs: https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/#authorization-code-grant-flow
          quirks: "The token response's scope is a JSON array (joined with a space); client credentials go in the body; refresh tokens may change on every refresh; Helix calls need a Client-Id header besides the bearer token."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: false }
            authorize_request:
              endpoint: https://id.twitch.tv/oauth2/authorize
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "{{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://id.twitch.tv/oauth2/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
              response_map:
                scope: "join('$.scope', ' ')"
            refresh_request:
              endpoint: https://id.twitch.tv/oauth2/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
              response_map:
                scope: "join('$.scope', ' ')"
            user_info_request:
              endpoint: https://api.twitch.tv/helix/users
              method: GET
              auth_method: bearer_access_token
              headers: { Client-Id: "{{client_id}}" }
              response_content_type: application/json
              response_map:
                id: "$.data[0].id"
                login: "$.data[0].login"
                display_name: "$.data[0].display_name"
                email: "$.data[0].email"
                profile_image_url: "$.data[0].profile_image_url"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: hubspot
          description: HubSpot (public app, OAuth v3 endpoints)
          docs: https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide
          quirks: "Extra scopes must be Conditionally Required or Optional on the app, never Required; the v3 token response lists scopes as an array named scopes; access tokens last 30 min; user info comes from the v3 introspection endpoint (client credentials in the body)."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: false }
            authorize_request:
              endpoint: https://app.hubspot.com/oauth/authorize
              params:
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "{{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://api.hubapi.com/oauth/v3/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
              response_map:
                scope: "join('$.scopes', ' ')"
            refresh_request:
              endpoint: https://api.hubapi.com/oauth/v3/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
              response_map:
                scope: "join('$.scopes', ' ')"
            user_info_request:
              endpoint: https://api.hubapi.com/oauth/v3/token/introspect
              method: POST
              auth_method: client_secret_post
              params:
                token: "{{access_token}}"
                token_type_hint: access_token
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
              response_map:
                user_id: "$.user_id"
                email: "$.user"
                hub_id: "$.hub_id"
                hub_domain: "$.hub_domain"
                app_id: "$.app_id"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: salesforce
          description: Salesforce (per-org My Domain host)
          docs: https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_web_server_flow.htm&type=5
          tenant: { placeholder: subdomain, pattern: "^[a-z0-9][a-z0-9-]{0,62}([.](sandbox|develop|scratch|trailblaze))?$", example: acme }
          quirks: "The tenant is the My Domain prefix before .my.salesforce.com (acme, or acme--dev.sandbox for a sandbox); refresh_token is added to the scopes so a refresh token is issued; the token response has no expires_in, so expiry comes from the introspection endpoint (exp, absolute); it does carry instance_url; user info needs the openid or id scope."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: true, code_challenge_method: S256 }
            authorize_request:
              endpoint: "https://{{subdomain}}.my.salesforce.com/services/oauth2/authorize"
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "refresh_token {{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: "https://{{subdomain}}.my.salesforce.com/services/oauth2/token"
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: "https://{{subdomain}}.my.salesforce.com/services/oauth2/token"
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            token_introspection_request:
              enabled: true
              endpoint: "https://{{subdomain}}.my.salesforce.com/services/oauth2/introspect"
              method: POST
              auth_method: client_secret_basic
              params:
                token: "{{access_token}}"
                token_type_hint: access_token
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
              response_map:
                expires_in: "$.exp"
                scope: "$.scope"
              expiration_format: absolute_unix_timestamp
              triggers: { on_token_grant: true, on_token_refresh: true }
            user_info_request:
              endpoint: "https://{{subdomain}}.my.salesforce.com/services/oauth2/userinfo"
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              response_map:
                user_id: "$.user_id"
                organization_id: "$.organization_id"
                username: "$.preferred_username"
                email: "$.email"
                name: "$.name"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: airtable
          description: Airtable
          docs: https://airtable.com/developers/web/api/oauth-reference
          quirks: "PKCE (S256) is mandatory; with a client secret the token request must use HTTP Basic; access tokens last 1 h and refresh tokens are single-use (rotating, 60 days); whoami returns email only with user.email:read."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: true, code_challenge_method: S256 }
            authorize_request:
              endpoint: https://airtable.com/oauth2/v1/authorize
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "{{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://airtable.com/oauth2/v1/token
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://airtable.com/oauth2/v1/token
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://api.airtable.com/v0/meta/whoami
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              response_map:
                id: "$.id"
                email: "$.email"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: calendly
          description: Calendly (API v2)
          docs: https://developer.calendly.com/api-docs/calendly-o-auth/o-auth/post-oauth-refresh-token
          quirks: "No scope parameter (the token's scope is default); web apps authenticate with HTTP Basic; access tokens last 2 h and refresh tokens are single-use; the token response names the user and organization URIs (owner, organization)."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: true, code_challenge_method: S256 }
            authorize_request:
              endpoint: https://auth.calendly.com/oauth/authorize
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
            token_request:
              endpoint: https://auth.calendly.com/oauth/token
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://auth.calendly.com/oauth/token
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://api.calendly.com/users/me
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              response_map:
                uri: "$.resource.uri"
                name: "$.resource.name"
                email: "$.resource.email"
                slug: "$.resource.slug"
                scheduling_url: "$.resource.scheduling_url"
                timezone: "$.resource.timezone"
                organization: "$.resource.current_organization"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: figma
          description: Figma (REST API)
          docs: https://developers.figma.com/docs/rest-api/authentication/
          quirks: "PKCE S256 and HTTP Basic client auth; tokens come from api.figma.com (the old www.figma.com/api/oauth/token was retired in 2025); access tokens last 90 days; refresh uses /v1/oauth/refresh and returns no new refresh token; /v1/me needs current_user:read."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: true, code_challenge_method: S256 }
            authorize_request:
              endpoint: https://www.figma.com/oauth
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "{{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://api.figma.com/v1/oauth/token
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://api.figma.com/v1/oauth/refresh
              method: POST
              auth_method: client_secret_basic
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://api.figma.com/v1/me
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: attio
          description: Attio
          docs: https://docs.attio.com/rest-api/tutorials/connect-an-app-through-oauth
          quirks: "No scope parameter: scopes are ticked on the app and the granted list is read from GET /v2/self; tokens do not expire and there is no refresh grant; an unpublished app only works in the workspace that created it."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: false }
            authorize_request:
              endpoint: https://app.attio.com/authorize
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
            token_request:
              endpoint: https://app.attio.com/oauth/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            token_introspection_request:
              enabled: true
              endpoint: https://api.attio.com/v2/self
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              response_map:
                expires_in: "$.exp"
                scope: "$.scope"
              expiration_format: absolute_unix_timestamp
              triggers: { on_token_grant: true, on_token_refresh: false }
            user_info_request:
              endpoint: https://api.attio.com/v2/self
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              response_map:
                workspace_id: "$.workspace_id"
                workspace_name: "$.workspace_name"
                workspace_slug: "$.workspace_slug"
                workspace_member_id: "$.authorized_by_workspace_member_id"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: pagerduty
          description: PagerDuty (Classic OAuth app)
          docs: https://developer.pagerduty.com/docs/oauth-functionality
          quirks: "Use a Classic OAuth app (read or write); Scoped OAuth apps on identity.pagerduty.com need a custom provider; REST calls need Accept: application/vnd.pagerduty+json;version=2."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: true, code_challenge_method: S256 }
            authorize_request:
              endpoint: https://app.pagerduty.com/oauth/authorize
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "{{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://app.pagerduty.com/oauth/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://app.pagerduty.com/oauth/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://api.pagerduty.com/users/me
              method: GET
              auth_method: bearer_access_token
              headers: { Accept: "application/vnd.pagerduty+json;version=2" }
              response_content_type: application/json
              response_map:
                id: "$.user.id"
                name: "$.user.name"
                email: "$.user.email"
                role: "$.user.role"
                time_zone: "$.user.time_zone"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: gitlab
          description: GitLab.com
          docs: https://docs.gitlab.com/api/oauth2/
          quirks: "Access tokens last 2 h and refresh tokens rotate (the old one is revoked on use); user info via /api/v4/user needs read_user or api; self-managed GitLab needs a custom provider."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: true, code_challenge_method: S256 }
            authorize_request:
              endpoint: https://gitlab.com/oauth/authorize
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "{{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://gitlab.com/oauth/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://gitlab.com/oauth/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://gitlab.com/api/v4/user
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              response_map:
                id: "$.id"
                username: "$.username"
                name: "$.name"
                email: "$.email"
                avatar_url: "$.avatar_url"
                web_url: "$.web_url"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: box
          description: Box
          docs: https://developer.box.com/guides/authentication/oauth2/
          quirks: "Scopes are set on the app (the scope parameter may only narrow them) and the token response does not list them; access tokens last 60 min; refresh tokens are single-use and last 60 days."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: false }
            authorize_request:
              endpoint: https://account.box.com/api/oauth2/authorize
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "{{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: https://api.box.com/oauth2/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            refresh_request:
              endpoint: https://api.box.com/oauth2/token
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/x-www-form-urlencoded
              response_content_type: application/json
            user_info_request:
              endpoint: https://api.box.com/2.0/users/me
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              response_map:
                id: "$.id"
                name: "$.name"
                login: "$.login"
                enterprise_id: "$.enterprise.id"
              triggers: { on_token_grant: true, on_token_refresh: false }

        - id: zendesk
          description: Zendesk (per-subdomain host)
          docs: https://support.zendesk.com/hc/en-us/articles/4408845965210-Using-OAuth-authentication-with-your-application
          tenant: { placeholder: subdomain, pattern: "^[a-z0-9][a-z0-9-]{0,62}$", example: acme }
          quirks: "The tenant is the part before .zendesk.com; a client used across many Zendesk accounts must be a global OAuth client (identifier prefixed zdg-, requested from a d3v- sponsored account); refresh tokens rotate and refreshing deletes the previous pair; refresh is required for marketplace apps from 2026-01-31 and all clients from 2026-04-30."
          oauth2:
            scope_delimiter: " "
            pkce: { enabled: true, code_challenge_method: S256 }
            authorize_request:
              endpoint: "https://{{subdomain}}.zendesk.com/oauth/authorizations/new"
              params:
                response_type: code
                client_id: "{{client_id}}"
                redirect_uri: "{{redirect_uri}}"
                scope: "{{scopes}} {{existing_scopes}}"
            token_request:
              endpoint: "https://{{subdomain}}.zendesk.com/oauth/tokens"
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: authorization_code
                redirect_uri: "{{redirect_uri}}"
              request_content_type: application/json
              response_content_type: application/json
            refresh_request:
              endpoint: "https://{{subdomain}}.zendesk.com/oauth/tokens"
              method: POST
              auth_method: client_secret_post
              params:
                grant_type: refresh_token
                refresh_token: "{{refresh_token}}"
              request_content_type: application/json
              response_content_type: application/json
            user_info_request:
              endpoint: "https://{{subdomain}}.zendesk.com/api/v2/users/me.json"
              method: GET
              auth_method: bearer_access_token
              response_content_type: application/json
              response_map:
                id: "$.user.id"
                name: "$.user.name"
                email: "$.user.email"
                role: "$.user.role"
                locale: "$.user.locale"
              triggers: { on_token_grant: true, on_token_refresh: false }
        """
}
