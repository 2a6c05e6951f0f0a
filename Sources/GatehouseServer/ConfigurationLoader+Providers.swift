import Foundation
import GatehouseWire

// The keys a provider entry of the config file may hold: a misspelt key is refused, not
// silently dropped by the decoder.
extension ConfigurationLoader {
    static let providerKeys: Set<String> = [
        "id", "description", "type", "status", "enabled", "oauth2", "tenant", "provider_id", "client_id", "client_secret",
    ]
    static let oauth2Keys: Set<String> = [
        "client_id", "client_secret", "scope_delimiter", "pkce", "authorize_request", "token_request", "refresh_request",
        "user_info_request", "token_introspection_request", "token_revocation_request", "use_pkce",
        "pkce_code_challenge_method", "connection_hosts", "issuer",
    ]
    static let requestKeys: Set<String> = [
        "endpoint", "method", "params", "headers", "triggers", "enabled", "auth_method", "request_content_type",
        "response_content_type", "response_map", "auth_header_value_format", "expiration_format",
    ]
    static let requestBlocks: Set<String> = [
        "authorize_request", "token_request", "refresh_request", "user_info_request", "token_introspection_request",
        "token_revocation_request",
    ]

    /// `auth.providers`: Arcade's provider entries, each decoded as the admin API takes it.
    static func readProviders(_ value: Any) throws -> [AuthProviderRequest] {
        guard let list = value as? [Any] else { throw ConfigurationError(description: "auth.providers must be a list") }
        let providers = try list.enumerated().map { index, entry in
            try checkProviderKeys(entry, path: "auth.providers[\(index)]")
            let data = try JSONSerialization.data(withJSONObject: entry)
            do {
                var provider = try JSONDecoder().decode(AuthProviderRequest.self, from: data)
                guard provider.id != nil else {
                    throw ConfigurationError(description: "auth.providers[\(index)].id is required")
                }
                if provider.oauth2 == nil, provider.providerID == nil {
                    throw ConfigurationError(
                        description:
                            "auth.providers[\(index)] (\(provider.id ?? "")) needs provider_id (a built-in) or an oauth2 block")
                }
                provider.type = provider.type ?? "oauth2"
                return provider
            } catch let error as DecodingError {
                throw ConfigurationError(description: "auth.providers[\(index)]: \(APIRequestDecoder.describe(error))")
            }
        }
        // One id, one provider: a second entry would replace the first without a word.
        var first: [String: Int] = [:]
        for (index, provider) in providers.enumerated() {
            guard let id = provider.id else { continue }
            if let earlier = first[id] {
                throw ConfigurationError(
                    description: "auth.providers[\(index)].id '\(id)' is already the id of auth.providers[\(earlier)]")
            }
            first[id] = index
        }
        return providers
    }

    /// One `auth.providers` entry read from its own file (`gatehouse providers add -f`), by the
    /// config file's rules: YAML or JSON, `${env:NAME}` and `${file:path}` expanded (a relative
    /// path from the file's directory), a key no part of Gatehouse reads refused.
    package static func providerEntry(file: String, text: String, environment: [String: String]) throws -> [String: Any] {
        guard let entry = try YAMLReader.load(text) else { throw ConfigurationError(description: "\(file) is empty") }
        // A whole config file given where one of its provider entries belongs.
        if let mapping = entry as? [String: Any], mapping["id"] == nil,
            let section = mapping.keys.sorted().first(where: { knownKeys[$0] != nil || foreignSections.contains($0) })
        {
            throw ConfigurationError(
                description:
                    "\(file) has a config file's sections (\(section)); it must hold one provider entry, as an item of auth.providers is (id, provider_id or oauth2, client_id, ...)"
            )
        }
        guard entry is [String: Any] else { throw ConfigurationError(description: "\(file) must be a mapping") }
        // Its keys are named as the entry's own (`oauth2.scope`), not as a path under the file's name.
        try checkProviderKeys(entry, path: "")
        var secrets: Set<String> = []
        let directory = (file as NSString).deletingLastPathComponent
        let expanded = try expand(
            entry, path: "", environment: environment, baseDirectory: directory.isEmpty ? "." : directory, secrets: &secrets)
        guard let object = expanded as? [String: Any] else { throw ConfigurationError(description: "\(file) must be a mapping") }
        return object
    }

    /// Refuses a key no part of Gatehouse reads, naming it under `path` (none: as the entry's own).
    static func checkProviderKeys(_ entry: Any, path: String) throws {
        let oauth2Path = path.isEmpty ? "oauth2" : "\(path).oauth2"
        guard let provider = entry as? [String: Any] else { throw ConfigurationError(description: "\(path) must be a mapping") }
        try check(provider, allowed: providerKeys, path: path)
        guard let oauth2 = provider["oauth2"] as? [String: Any] else { return }
        try check(oauth2, allowed: oauth2Keys, path: oauth2Path)
        if let pkce = oauth2["pkce"] as? [String: Any] {
            try check(pkce, allowed: ["enabled", "code_challenge_method"], path: "\(oauth2Path).pkce")
        }
        for block in requestBlocks.sorted() {
            guard let request = oauth2[block] as? [String: Any] else { continue }
            try check(request, allowed: requestKeys, path: "\(oauth2Path).\(block)")
            if let triggers = request["triggers"] as? [String: Any] {
                try check(triggers, allowed: ["on_token_grant", "on_token_refresh"], path: "\(oauth2Path).\(block).triggers")
            }
        }
    }

    private static func check(_ mapping: [String: Any], allowed: Set<String>, path: String) throws {
        if let unknown = mapping.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw unknownSetting(unknown, in: path, known: allowed)
        }
    }
}
