import GatehouseCore

extension ProviderPatch {
    /// The fields the patch sends, as `oauth2.authorize_request` for those inside `oauth2`: the
    /// audit trail's record of what a change touched, without the values. A name no field could
    /// have (the body is the caller's) is left out.
    var fieldNames: String {
        document.flatMap { key, value -> [String] in
            guard key == "oauth2", case .object(let inner) = value else { return [key] }
            return inner.keys.map { "oauth2.\($0)" }
        }
        .filter { name in
            name.count <= 80 && name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || "_.".contains($0)) }
        }
        .sorted().joined(separator: ",")
    }
}
