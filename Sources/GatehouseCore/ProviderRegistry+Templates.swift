import Foundation
import GatehouseWire

// How a provider's template is made from a request: a built-in instantiated for its tenant,
// fields merged over a base, and the endpoint moves that need the secret again.
extension ProviderRegistry {
    /// A built-in template with its tenant placed in the endpoints. The tenant comes from the
    /// operator's configuration and must match the entry's allow-list pattern, so no end-user
    /// input ever picks the host Gatehouse sends secrets to.
    static func instantiate(_ entry: ProviderCatalog.Entry, tenant: String?) throws -> OAuth2Config {
        guard let spec = entry.tenant else {
            if tenant != nil { throw GatehouseError.invalid("tenant: provider '\(entry.id)' has no per-tenant host") }
            return entry.oauth2
        }
        guard let tenant, tenant.range(of: spec.pattern, options: .regularExpression) != nil else {
            throw GatehouseError.invalid(
                "tenant: provider '\(entry.id)' needs your \(spec.placeholder) (like '\(spec.example)'), matching \(spec.pattern)"
            )
        }
        var template = entry.oauth2
        let fill = { (request: RequestConfig?) -> RequestConfig? in
            guard var request else { return nil }
            request.endpoint = request.endpoint?.replacingOccurrences(of: "{{\(spec.placeholder)}}", with: tenant)
            return request
        }
        template.authorizeRequest = fill(template.authorizeRequest)
        template.tokenRequest = fill(template.tokenRequest)
        template.refreshRequest = fill(template.refreshRequest)
        template.userInfoRequest = fill(template.userInfoRequest)
        template.tokenIntrospectionRequest = fill(template.tokenIntrospectionRequest)
        return template
    }

    /// The first request whose endpoint host differs between two templates.
    static func movedEndpoint(from old: OAuth2Config, to new: OAuth2Config) -> String? {
        let before = Dictionary(uniqueKeysWithValues: ProviderTemplateValidator.requests(of: old).map { ($0.field, $0.request) })
        for (field, request) in ProviderTemplateValidator.requests(of: new) {
            let host = { (request: RequestConfig?) in request?.endpoint.flatMap { URLComponents(string: $0)?.host?.lowercased() }
            }
            if host(request) != host(before[field]) { return field }
        }
        return nil
    }

    /// Field-wise merge: what `given` sets wins; each request block is replaced whole.
    static func merge(_ given: OAuth2Config, over base: OAuth2Config) -> OAuth2Config {
        var merged = base
        if let value = given.clientID { merged.clientID = value }
        if let value = given.scopeDelimiter { merged.scopeDelimiter = value }
        if let value = given.pkce { merged.pkce = value }
        if let value = given.authorizeRequest { merged.authorizeRequest = value }
        if let value = given.tokenRequest { merged.tokenRequest = value }
        if let value = given.refreshRequest { merged.refreshRequest = value }
        if let value = given.userInfoRequest { merged.userInfoRequest = value }
        if let value = given.tokenIntrospectionRequest { merged.tokenIntrospectionRequest = value }
        merged.clientSecret = nil
        return merged
    }
}
