import Foundation
import GatehouseWire

// How a provider's template is made from a request: a built-in instantiated for its tenant,
// fields merged over a base, and the endpoint moves that need the secret again; and which
// stored templates today's rules refuse.
extension ProviderRegistry {
    /// Merges a request into a base (an existing provider, or a built-in template) and validates.
    /// `replacingOAuth2` is a patch's merged template, taken whole; `clearing` names what a patch
    /// sent as `null`.
    func build(
        from request: AuthProviderRequest, base: Provider?, source: Provider.Source, replacingOAuth2: OAuth2Config? = nil,
        clearing: (description: Bool, secret: Bool) = (false, false)
    ) throws -> Provider {
        let id = request.id ?? base?.id ?? ""
        try ProviderTemplateValidator.validate(id: id)
        if let type = request.type, type != "oauth2" {
            throw GatehouseError.invalid("type must be oauth2")
        }
        if let description = request.description, description.count > 1000 {
            throw GatehouseError.invalid("description must be at most 1000 characters")
        }
        let providerType = request.providerID ?? base?.providerType ?? ""
        var template: OAuth2Config
        if request.tenant != nil, providerType.isEmpty {
            throw GatehouseError.invalid(
                "tenant: only a provider made from a built-in template with per-tenant hosts has a tenant (set provider_id)")
        }
        let sameBuiltIn = base.map { request.providerID == nil || request.providerID == $0.providerType } ?? false
        if let base, sameBuiltIn {
            template = base.oauth2
        } else if !providerType.isEmpty {
            guard let entry = catalog.entry(providerType) else {
                throw GatehouseError.invalid("provider_id '\(providerType)' is not a built-in provider")
            }
            template = try Self.instantiate(entry, tenant: request.tenant)
            // A provider switched to a built-in keeps the app registration it names.
            template.clientID = base?.oauth2.clientID
        } else {
            template = OAuth2Config()
        }
        var secret = clearing.secret ? nil : base?.clientSecret
        if let replacingOAuth2 {
            template = replacingOAuth2
            template.clientSecret = nil
        } else if let given = request.oauth2 {
            template = Self.merge(given, over: template)
        }
        if let tenant = request.tenant, sameBuiltIn, let entry = catalog.entry(providerType) {
            // A provider moved to another tenant: the endpoints that carry the tenant move, the
            // rest of the template (and this patch's changes to it) stays.
            template = try Self.retenant(template, entry: entry, tenant: tenant)
        }
        if let clientID = request.clientID { template.clientID = clientID }
        if let given = request.oauth2?.clientSecret ?? request.clientSecret { secret = given }
        if providerType.isEmpty, base == nil, request.oauth2 == nil {
            throw GatehouseError.invalid("oauth2 is required for a custom provider (or set provider_id to a built-in one)")
        }
        if let clientID = template.clientID, clientID.count > 1000 {
            throw GatehouseError.invalid("oauth2.client_id must be at most 1000 characters")
        }
        if (request.oauth2?.clientSecret ?? request.clientSecret)?.isEmpty == true {
            // An empty secret fails every code exchange later, far from this request.
            throw GatehouseError.invalid(
                "oauth2.client_secret must not be empty: leave it out to keep the stored one, or send null to clear it")
        }
        if let secret, secret.count > 1000 {
            throw GatehouseError.invalid("oauth2.client_secret must be at most 1000 characters")
        }
        try ProviderTemplateValidator.validate(template)
        if let base, base.clientSecret != nil, !clearing.secret, request.oauth2?.clientSecret == nil,
            request.clientSecret == nil,
            let moved = Self.movedEndpoint(from: base.oauth2, to: template)
        {
            // Otherwise a key that may edit templates could send the stored secret to its own host,
            // or to another endpoint of the provider's that stores or echoes what it is sent.
            throw GatehouseError.invalid(
                "oauth2.\(moved.field) \(Self.said(moved.move)): give the client secret (oauth2.client_secret) again with this change"
            )
        }
        var enabled = base?.enabled ?? true
        if let status = request.status {
            guard status == "active" || status == "inactive" else {
                throw GatehouseError.invalid("status must be active or inactive")
            }
            enabled = status == "active"
        }
        if let flag = request.enabled { enabled = flag }
        if enabled, secret == nil, let reason = ProviderTemplateValidator.secretNeeded(by: template) {
            // Otherwise every person's consent would end in a failed code exchange.
            throw GatehouseError.invalid(
                "\(Self.clientSecretRequired): \(reason). Give it, or make the provider inactive until you have it; a public client (PKCE, no client authentication) sets oauth2.token_request.auth_method to \"\" and no {{client_secret}}"
            )
        }
        let time = now()
        return Provider(
            id: id,
            description: clearing.description
                ? nil : request.description ?? base?.description ?? catalog.entry(providerType)?.description,
            providerType: providerType, enabled: enabled, source: source, oauth2: template,
            clientSecret: secret, createdAt: base?.createdAt ?? time, updatedAt: time,
            defaultTokenLifetime: catalog.entry(providerType)?.defaultTokenLifetime)
    }

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
        for request in endpointRequests { template[keyPath: request] = fill(template[keyPath: request]) }
        return template
    }

    /// `template` with the endpoints that carry the built-in's tenant placeholder made again for
    /// `tenant` (checked against the entry's pattern, as a new provider's).
    static func retenant(_ template: OAuth2Config, entry: ProviderCatalog.Entry, tenant: String) throws -> OAuth2Config {
        let fresh = try instantiate(entry, tenant: tenant)
        guard let spec = entry.tenant else { return template }
        var moved = template
        for request in endpointRequests
        where entry.oauth2[keyPath: request]?.endpoint?.contains("{{\(spec.placeholder)}}") == true {
            moved[keyPath: request]?.endpoint = fresh[keyPath: request]?.endpoint
        }
        return moved
    }

    /// The requests of a template that have an endpoint.
    static var endpointRequests: [WritableKeyPath<OAuth2Config, RequestConfig?>] {
        [
            \.authorizeRequest, \.tokenRequest, \.refreshRequest, \.userInfoRequest, \.tokenIntrospectionRequest,
            \.tokenRevocationRequest,
        ]
    }

    /// How a `Move` is said in the refusal that asks for the secret again.
    static func said(_ move: Move) -> String {
        switch move {
        case .origin: "moves to another host, port or scheme (or is new)"
        case .url: "goes to another URL, and the request sends the client secret"
        case .secret: "makes the request send the client secret"
        }
    }

    /// How the refusal of an active provider without a client secret its template needs begins
    /// (the dashboard says it in its form's words).
    package static let clientSecretRequired = "oauth2.client_secret is required"

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
        if let value = given.tokenRevocationRequest { merged.tokenRevocationRequest = value }
        if let value = given.connectionHosts { merged.connectionHosts = value }
        if let value = given.issuer { merged.issuer = value }
        merged.clientSecret = nil
        return merged
    }

    /// Stored providers whose id or template the current rules refuse (stored before a rule
    /// existed), with the reason and the fix; they are served as inactive until an admin fixes them.
    package func refusedTemplates() async throws -> [(id: String, reason: String)] {
        try await store.providers().compactMap { record in
            do {
                try ProviderTemplateValidator.validate(id: record.id)
            } catch let error as GatehouseError {
                return (record.id, "\(error.message); delete it and add it again under another id")
            }
            let template = try record.template()
            do {
                try ProviderTemplateValidator.validate(template)
                return nil
            } catch let error as GatehouseError {
                return (record.id, "\(error.message); fix it with PATCH /v1/admin/auth_providers/\(record.id)")
            }
        }
    }
}
