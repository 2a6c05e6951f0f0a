import Testing

@testable import GatehouseCore

@Suite struct ScopeSetTests {
    @Test func coverageIsSetInclusion() {
        #expect(ScopeSet.covers(granted: ["a", "b"], requested: ["b"]))
        #expect(ScopeSet.covers(granted: ["a"], requested: []))
        #expect(ScopeSet.covers(granted: [], requested: []))
        #expect(!ScopeSet.covers(granted: ["a"], requested: ["a", "c"]))
        #expect(!ScopeSet.covers(granted: ["drive"], requested: ["drive.file"]))
    }

    @Test func unionKeepsOrderAndDropsRepeats() {
        #expect(ScopeSet.union(["b", "a"], ["a", "c"]) == ["b", "a", "c"])
        #expect(ScopeSet.existing(granted: ["a", "b", "c"], requested: ["b"]) == ["a", "c"])
    }

    @Test func parsesBothDelimiters() {
        #expect(ScopeSet.parse("a b  c") == ["a", "b", "c"])
        #expect(ScopeSet.parse("a,b, c", delimiter: ",") == ["a", "b", "c"])
        #expect(ScopeSet.parse("") == [])
    }

    @Test func keyIsCanonical() {
        #expect(ScopeSet.key(["b", "a", "b"]) == ScopeSet.key(["a", "b"]))
        #expect(ScopeSet.key(["a"]) != ScopeSet.key(["a", "b"]))
    }

    /// A requested scope the answer names by its alias is granted under both names; one the
    /// answer names by no name is not (the user may have declined it).
    @Test func aScopeAnsweredByItsAliasIsGrantedAsAsked() {
        let aliases = ScopeAnswerRules(aliases: ["email": "https://www.googleapis.com/auth/userinfo.email"])
        let answered = ["openid", "https://www.googleapis.com/auth/userinfo.email"]
        #expect(
            ScopeSet.granted(answered: answered, requested: ["email", "drive"], rules: aliases)
                == ["openid", "https://www.googleapis.com/auth/userinfo.email", "email"])
        #expect(ScopeSet.granted(answered: ["openid"], requested: ["email"], rules: aliases) == ["openid"])
        #expect(ScopeSet.granted(answered: answered, requested: ["email"], rules: .exact) == answered)
        #expect(ScopeSet.granted(answered: [], requested: ["email"], rules: aliases) == [])
    }

    /// Microsoft answers a scope in its own case, and leaves out scopes every consent grants:
    /// both are granted as asked under those rules, and only under them.
    @Test func aScopeAnsweredInAnotherCaseOrNotNamedIsGrantedAsAskedUnderItsRules() {
        let rules = ScopeAnswerRules(caseInsensitive: true, grantedUnnamed: ["offline_access", "email"])
        let answered = ["Mail.Read", "User.Read", "openid"]
        #expect(
            ScopeSet.granted(answered: answered, requested: ["mail.read", "offline_access", "email", "mail.send"], rules: rules)
                == ["Mail.Read", "User.Read", "openid", "mail.read", "offline_access", "email"])
        #expect(ScopeSet.granted(answered: answered, requested: ["mail.read", "offline_access"], rules: .exact) == answered)
    }
}
