import Foundation
import GatehouseCore
import GatehouseWire

/// The built-in provider templates: one YAML file per provider in `Providers/` (Arcade's
/// `oauth2` model, see docs/providers.md), embedded in the binary at build time.
package enum BuiltInProviders {
    /// The parsed catalogue.
    package static let catalog: ProviderCatalog = {
        do {
            return ProviderCatalog(try files.map(parse))
        } catch {
            // The files are part of the source; a test parses every one, so a release never gets here.
            fatalError("built-in provider catalogue is invalid: \(error)")
        }
    }()

    /// The embedded files, in catalogue order. A test checks that every file in `Providers/`
    /// is listed here once.
    static let files: [[UInt8]] = [
        PackageResources.google_yaml,
        PackageResources.github_yaml,
        PackageResources.github_enterprise_yaml,
        PackageResources.slack_yaml,
        PackageResources.microsoft_yaml,
        PackageResources.microsoft_powerbi_yaml,
        PackageResources.atlassian_yaml,
        PackageResources.notion_yaml,
        PackageResources.x_yaml,
        PackageResources.zoom_yaml,
        PackageResources.linear_yaml,
        PackageResources.asana_yaml,
        PackageResources.clickup_yaml,
        PackageResources.dropbox_yaml,
        PackageResources.discord_yaml,
        PackageResources.linkedin_yaml,
        PackageResources.reddit_yaml,
        PackageResources.spotify_yaml,
        PackageResources.twitch_yaml,
        PackageResources.hubspot_yaml,
        PackageResources.salesforce_yaml,
        PackageResources.airtable_yaml,
        PackageResources.calendly_yaml,
        PackageResources.figma_yaml,
        PackageResources.attio_yaml,
        PackageResources.pagerduty_yaml,
        PackageResources.gitlab_yaml,
        PackageResources.box_yaml,
        PackageResources.zendesk_yaml,
    ]

    /// Reads one provider's file. Per-tenant hosts use `{{<tenant placeholder>}}` in endpoints
    /// only; `headers` is a Gatehouse extension.
    static func parse(_ file: [UInt8]) throws -> ProviderCatalog.Entry {
        guard let entry = try YAMLReader.load(String(decoding: file, as: UTF8.self)) as? [String: Any],
            let id = entry["id"] as? String
        else {
            throw GatehouseError.invalid("a built-in provider file is not a YAML mapping with an id")
        }
        let oauth2 = try JSONDecoder().decode(
            OAuth2Config.self, from: JSONSerialization.data(withJSONObject: entry["oauth2"] ?? [:]))
        let tenant = (entry["tenant"] as? [String: Any]).map {
            ProviderCatalog.TenantSpec(
                placeholder: $0["placeholder"] as? String ?? "subdomain", pattern: $0["pattern"] as? String ?? "^$",
                example: $0["example"] as? String ?? "")
        }
        return ProviderCatalog.Entry(
            id: id, description: entry["description"] as? String ?? "", docsURL: entry["docs"] as? String,
            oauth2: oauth2, tenant: tenant, quirks: entry["quirks"] as? String,
            defaultTokenLifetime: (entry["default_token_lifetime"] as? Int).map(TimeInterval.init),
            scopeRules: ScopeAnswerRules(
                aliases: entry["scope_aliases"] as? [String: String] ?? [:],
                caseInsensitive: entry["scopes_case_insensitive"] as? Bool ?? false,
                grantedUnnamed: entry["scopes_granted_unnamed"] as? [String] ?? []))
    }
}
