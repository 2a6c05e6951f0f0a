/// How a provider's token answers name the scopes granted, where that differs from how tools
/// ask for them: a built-in template's `scope_aliases`, `scopes_case_insensitive` and
/// `scopes_granted_unnamed`. A requested scope the answer names by one of these rules is
/// recorded as granted under the name asked for, so that the next request for it is covered
/// rather than sent to consent again, for ever.
package struct ScopeAnswerRules: Sendable, Equatable {
    /// A scope as asked → as answered (Google answers `email` as `…/auth/userinfo.email`).
    package var aliases: [String: String]
    /// Whether the answer may name a scope in another case (Microsoft answers `mail.read` as
    /// `Mail.Read`: its permission names are not case-sensitive).
    package var caseInsensitive: Bool
    /// Scopes every consent grants that the answer does not always name (Microsoft never names
    /// `offline_access`, and at times leaves out `email`).
    package var grantedUnnamed: [String]

    /// Scopes compared as they are: what an answer names is what was granted.
    package static let exact = ScopeAnswerRules()

    /// Rules for a template.
    package init(aliases: [String: String] = [:], caseInsensitive: Bool = false, grantedUnnamed: [String] = []) {
        self.aliases = aliases
        self.caseInsensitive = caseInsensitive
        self.grantedUnnamed = grantedUnnamed
    }

    /// Whether the answer names `scope` under these rules.
    func answerNames(_ scope: String, in answered: [String]) -> Bool {
        if isGrantedUnnamed(scope) { return true }
        let names = [scope] + (aliases[scope].map { [$0] } ?? [])
        return names.contains { name in answered.contains { same($0, name) } }
    }

    /// Whether every consent grants `scope`, named or not.
    func isGrantedUnnamed(_ scope: String) -> Bool {
        grantedUnnamed.contains { same($0, scope) }
    }

    /// Whether two scopes are the same under these rules: the same bytes, or the same but for
    /// case.
    func same(_ a: String, _ b: String) -> Bool {
        caseInsensitive ? a.lowercased() == b.lowercased() : ScopeSet.sameBytes(a, b)
    }
}
