import GatehouseCore

extension ProviderPatch {
    /// The fields the patch sends, as `oauth2.authorize_request` for those inside `oauth2`: the
    /// audit trail's record of what a change touched, without the values.
    var fieldNames: String {
        document.flatMap { key, value -> [String] in
            guard key == "oauth2", case .object(let inner) = value, !inner.isEmpty else { return [key] }
            return inner.keys.map { "oauth2.\($0)" }
        }.sorted().joined(separator: ",")
    }
}
