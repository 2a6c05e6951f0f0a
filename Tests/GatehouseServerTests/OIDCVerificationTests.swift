import Foundation
import GatehouseCore
import GatehouseOIDC
import GatehouseTestSupport
import GatehouseWire
import HTTPTypes
import HummingbirdTesting
import JWTKit
import Synchronization
import Testing

@testable import GatehouseServer

/// User verification through the app's own OpenID Provider, end to end through the API:
/// provider callback -> the app's sign-in -> the flow completes only for the flow's user.
@Suite struct OIDCVerificationTests {
    static let settings = OIDCSettings(
        issuer: FakeOpenIDProvider.issuer, clientID: FakeOpenIDProvider.clientID,
        clientSecret: FakeOpenIDProvider.clientSecret, userClaim: "email", scopes: ["email"])

    /// A harness whose user verification goes through `op`, signed in as `email`.
    func run(
        signedIn email: String, _ body: @escaping @Sendable (APIHarness, FakeOpenIDProvider) async throws -> Void
    ) async throws {
        let op = FakeOpenIDProvider()
        try await op.addKey(kid: "k1")
        op.user.withLock { $0 = ["sub": .string("u-1"), "email": .string(email), "email_verified": .bool(true)] }
        try await APIHarness.run(configure: { $0.oidc = Self.settings }) { api in
            op.serve(on: api.provider.transport)
            try await api.createProvider()
            try await body(api, op)
        }
    }

    /// The provider's callback for a new flow of `user`: where it sends the browser, and the flow id.
    func signIn(_ api: APIHarness, user: String) async throws -> (url: String, state: String, id: String) {
        let pending = try await api.authorize(user: user)
        let page = try await api.callback(for: pending)
        #expect(page.status == .seeOther)
        let location = try #require(page.headers[.location])
        let query = FormEncoding.decode(String(location.split(separator: "?", maxSplits: 1).last ?? ""))
        return (location, try #require(query["state"]), try #require(pending["id"] as? String))
    }

    func status(_ api: APIHarness, _ id: String) async throws -> String? {
        try api.object(try await api.call(.get, "/v1/auth/status?id=\(id)"))["status"] as? String
    }

    @Test func theFlowsUserCompletesAndTheLinkWorksOnce() async throws {
        try await run(signedIn: "alice@example.com") { api, op in
            let (url, state, id) = try await signIn(api, user: "alice@example.com")
            let components = try #require(URLComponents(string: url))
            #expect(components.host == "idp.example" && components.path == "/authorize")
            let query = FormEncoding.decode(components.percentEncodedQuery ?? "")
            #expect(query["response_type"] == "code" && query["client_id"] == FakeOpenIDProvider.clientID)
            #expect(query["scope"] == "openid email" && query["code_challenge_method"] == "S256")
            #expect(query["redirect_uri"] == api.configuration.effectivePublicURL + "/v1/oauth/user_verification")
            #expect(query["nonce"]?.count == 43 && query["code_challenge"]?.count == 43 && state.count == 43)
            #expect(try await status(api, id) == "pending")

            try await op.prepare(signInURL: url)
            let back = "/v1/oauth/user_verification?code=\(FakeOpenIDProvider.code)&state=\(state)"
            let page = try await api.call(.get, back, authorization: nil)
            #expect(page.status == .ok && String(buffer: page.body).contains("Connected"))
            #expect(try await status(api, id) == "completed")
            #expect(try api.object(try await api.call(.get, "/v1/admin/user_connections"))["total_count"] as? Int == 1)
            // The state is single use: a reload says how it ended, and redeems nothing again.
            let again = try await api.call(.get, back, authorization: nil)
            #expect(again.status == .ok && String(buffer: again.body).contains("Connected"))
            #expect(try api.object(try await api.call(.get, "/v1/admin/user_connections"))["total_count"] as? Int == 1)
        }
    }

    /// The browser sends the OpenID Provider's redirect twice at once (a reload while the page is
    /// slow): the code is redeemed once, the flow completes, and every arrival says so.
    @Test func aRedirectArrivingTwiceAtOnceCompletesTheFlow() async throws {
        try await run(signedIn: "alice@example.com") { api, op in
            let (url, state, id) = try await signIn(api, user: "alice@example.com")
            try await op.prepare(signInURL: url)
            let back = "/v1/oauth/user_verification?code=\(FakeOpenIDProvider.code)&state=\(state)"
            let pages = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<10 { group.addTask { String(buffer: try await api.call(.get, back, authorization: nil).body) } }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(try await status(api, id) == "completed")
            #expect(pages.count == 10 && pages.allSatisfy { $0.contains("Connected") })
        }
    }

    /// Some providers send the claim as a string; "true" is as good as true, and a token whose
    /// times are within the minute of clock skew is believed.
    @Test func emailVerifiedAsTheStringTrueCompletes() async throws {
        try await run(signedIn: "alice@example.com") { api, op in
            op.adjust.withLock {
                $0 = {
                    $0["email_verified"] = .string("true")
                    $0["nbf"] = .number(Date().timeIntervalSince1970 + 30)
                }
            }
            let (url, state, id) = try await signIn(api, user: "alice@example.com")
            try await op.prepare(signInURL: url)
            let page = try await api.call(
                .get, "/v1/oauth/user_verification?code=\(FakeOpenIDProvider.code)&state=\(state)", authorization: nil)
            #expect(page.status == .ok)
            #expect(try await status(api, id) == "completed")
        }
    }

    @Test func anotherSignedInUserIsRefusedAndNothingIsStored() async throws {
        try await run(signedIn: "bob@example.com") { api, op in
            let (url, state, id) = try await signIn(api, user: "alice@example.com")
            try await op.prepare(signInURL: url)
            let page = try await api.call(
                .get, "/v1/oauth/user_verification?code=\(FakeOpenIDProvider.code)&state=\(state)", authorization: nil)
            #expect(page.status == .forbidden && String(buffer: page.body).contains("Signed in as someone else"))
            #expect(try await status(api, id) == "failed")
            #expect(try api.object(try await api.call(.get, "/v1/admin/user_connections"))["total_count"] as? Int == 0)
        }
    }

    /// ID tokens that must not be believed, each with what makes it wrong.
    static let badTokens: [(String, @Sendable (inout [String: JSONValue]) -> Void)] = [
        ("another nonce", { $0["nonce"] = .string("not-this-one") }),
        ("no nonce", { $0["nonce"] = nil }),
        ("another audience", { $0["aud"] = .string("someone-else") }),
        ("an extra untrusted audience", { $0["aud"] = .array([.string(FakeOpenIDProvider.clientID), .string("other")]) }),
        ("another issuer", { $0["iss"] = .string("https://evil.example") }),
        ("expired", { $0["exp"] = .number(Date().timeIntervalSince1970 - 600) }),
        ("an unverified email", { $0["email_verified"] = .bool(false) }),
        ("an email not said to be verified", { $0["email_verified"] = nil }),
        ("email_verified as the string false", { $0["email_verified"] = .string("false") }),
        ("email_verified as 0", { $0["email_verified"] = .number(0) }),
        ("email_verified null", { $0["email_verified"] = .null }),
        ("not valid for a day yet", { $0["nbf"] = .number(Date().timeIntervalSince1970 + 86_400) }),
        ("issued a day from now", { $0["iat"] = .number(Date().timeIntervalSince1970 + 86_400) }),
        ("no email", { $0["email"] = nil }),
        ("a number for the email", { $0["email"] = .number(1) }),
    ]

    /// Headers that make a validly signed token no ID token to believe.
    static let badHeaders: [(String, [String: JWTHeaderField])] = [
        ("a critical extension", ["crit": .array([.string("x-unknown")]), "x-unknown": .string("1")]),
        ("an access token's type", ["typ": .string("at+jwt")]),
    ]

    /// Every bad token: its claims adjusted, or its header.
    static let badCases: [(String, @Sendable (inout [String: JSONValue]) -> Void, [String: JWTHeaderField])] =
        badTokens.map { ($0.0, $0.1, [:]) } + badHeaders.map { name, fields in (name, { _ in }, fields) }

    @Test(arguments: 0..<badCases.count) func anIDTokenThatFailsACheckCompletesNothing(_ index: Int) async throws {
        let (name, adjust, header) = Self.badCases[index]
        try await run(signedIn: "alice@example.com") { api, op in
            op.adjust.withLock { $0 = adjust }
            op.headerFields.withLock { $0 = header }
            let (url, state, id) = try await signIn(api, user: "alice@example.com")
            try await op.prepare(signInURL: url)
            let page = try await api.call(
                .get, "/v1/oauth/user_verification?code=\(FakeOpenIDProvider.code)&state=\(state)", authorization: nil)
            #expect(page.status == .forbidden, "\(name)")
            #expect(String(buffer: page.body).contains("confirm who you are"), "\(name)")
            #expect(try await status(api, id) == "failed", "\(name)")
            #expect(try api.object(try await api.call(.get, "/v1/admin/user_connections"))["total_count"] as? Int == 0)
        }
    }

    @Test func aTokenSignedByAnUnpublishedKeyOrTheWrongCodeCompletesNothing() async throws {
        for attempt in ["unpublished key", "wrong code", "provider error"] {
            try await run(signedIn: "alice@example.com") { api, op in
                try await op.addKey(kid: "k2", publish: false)
                op.signWith.withLock { $0 = "k2" }
                let (url, state, id) = try await signIn(api, user: "alice@example.com")
                try await op.prepare(signInURL: url)
                let answer =
                    switch attempt {
                    case "unpublished key": "code=\(FakeOpenIDProvider.code)"
                    case "wrong code": "code=stolen"
                    default: "error=access_denied"
                    }
                let page = try await api.call(.get, "/v1/oauth/user_verification?\(answer)&state=\(state)", authorization: nil)
                #expect(page.status == .forbidden, "\(attempt)")
                #expect(try await status(api, id) == "failed", "\(attempt)")
            }
        }
    }

    @Test func discoveryNamingAnEndpointInTheClearSendsNoOneThere() async throws {
        try await run(signedIn: "alice@example.com") { api, op in
            op.tokenEndpoint.withLock { $0 = "http://idp.example/token" }
            let pending = try await api.authorize(user: "alice@example.com")
            let page = try await api.callback(for: pending)
            #expect(page.status != .seeOther && String(buffer: page.body).contains("confirm who you are") && page.status != .ok)
            #expect(try await status(api, try #require(pending["id"] as? String)) == "failed")
            #expect(try api.object(try await api.call(.get, "/v1/admin/user_connections"))["total_count"] as? Int == 0)
        }
    }

    @Test func confirmUserAndTheSettingsAPIStepAside() async throws {
        try await run(signedIn: "alice@example.com") { api, _ in
            let (_, state, _) = try await signIn(api, user: "alice@example.com")
            let confirm = try await api.call(
                .post, "/v1/auth/confirm_user", json: #"{"flow_id":"\#(state)","user_id":"alice@example.com"}"#)
            #expect(confirm.status == .badRequest)
            let put = try await api.call(
                .put, "/v1/admin/settings/session_verification", json: #"{"verifier_url":null,"unsafe_skip_verification":true}"#)
            #expect(put.status == .conflict && String(buffer: put.body).contains("idp.example"))
        }
    }

    /// A verifier reading `op` on `transport`, and a sign-in through it that answers the user.
    func verifier(
        _ op: FakeOpenIDProvider, _ transport: ScriptedTransport, now: @escaping @Sendable () -> Date = Date.init
    ) -> @Sendable () async throws -> String {
        let verifier = OIDCVerifier(
            settings: OIDCSettings(
                issuer: FakeOpenIDProvider.issuer, clientID: FakeOpenIDProvider.clientID,
                clientSecret: FakeOpenIDProvider.clientSecret),
            redirectURI: "https://gatehouse.example/v1/oauth/user_verification", transport: transport, now: now)
        return {
            let url = try await verifier.signInURL(state: "s", nonce: "n", codeChallenge: PKCE.challenge(for: "v"))
            try await op.prepare(signInURL: url)
            return try await verifier.signedInUser(code: FakeOpenIDProvider.code, codeVerifier: "v", nonce: "n")
        }
    }

    @Test func aRotatedKeyIsFetchedOnceItSigns() async throws {
        let clock = TestClock()
        let (op, transport, signIn) = try await aliceSignsIn(on: clock)
        #expect(try await signIn() == "alice")
        // The provider rotates: a new key, published, signs from now on.
        try await op.addKey(kid: "k2")
        op.signWith.withLock { $0 = "k2" }
        clock.advance(by: OIDCVerifier.keyRefetchInterval)
        #expect(try await signIn() == "alice")
        let jwksReads = transport.requests.filter { $0.url.hasSuffix("/jwks") }.count
        #expect(jwksReads == 2)
        // Discovery was read once.
        #expect(transport.requests.filter { $0.url.hasSuffix("openid-configuration") }.count == 1)
    }

    // OpenID Connect Core §10.1: a set of one key need not name it, nor the token its key.
    @Test func aSetsOnlyKeyWithoutAnIDVerifiesTokensThatNameNone() async throws {
        let op = FakeOpenIDProvider()
        try await op.addKey(kid: "k1", publishID: false)
        op.user.withLock { $0 = ["sub": .string("alice")] }
        op.signWith.withLock { $0 = nil }
        let transport = ScriptedTransport()
        op.serve(on: transport)
        let signIn = verifier(op, transport)
        #expect(try await signIn() == "alice")
    }

    // With several keys, one without an id cannot be chosen: a token it signs is refused, and
    // the named key still works.
    @Test func aKeyWithoutAnIDAmongSeveralIsNotUsed() async throws {
        let op = FakeOpenIDProvider()
        try await op.addKey(kid: "named")
        try await op.addKey(kid: "unnamed", publishID: false)
        op.user.withLock { $0 = ["sub": .string("alice")] }
        let transport = ScriptedTransport()
        op.serve(on: transport)
        let signIn = verifier(op, transport)
        op.signWith.withLock { $0 = "unnamed" }
        await #expect(throws: IdentityVerificationError.self) { try await signIn() }
        op.signWith.withLock { $0 = "named" }
        #expect(try await signIn() == "alice")
    }

    @Test func theConfigurationIsCheckedAtStart() throws {
        let base = "auth:\n  user_verification:\n    oidc: "
        let good = #"{ issuer: "https://login.example.com", client_id: app, client_secret: s }"#
        let config = try ConfigurationLoaderTests().load(base + good)
        #expect(config.oidc?.userClaim == "sub" && config.oidc?.scopeParameter == "openid")
        // Printed, the settings keep the secret out.
        #expect("\(Self.settings)".contains("<redacted>") && !"\(Self.settings)".contains(FakeOpenIDProvider.clientSecret))
        #expect(try config.verificationPolicy().default == VerificationSetting(verifierURL: nil, unsafeSkip: false))
        for (yaml, says) in [
            (#"{ issuer: "http://login.example.com", client_id: app, client_secret: s }"#, "issuer"),
            (#"{ issuer: "https://login.example.com", client_secret: s }"#, "client_id"),
            (#"{ issuer: "https://login.example.com", client_id: app }"#, "client_secret"),
            (#"{ issuer: "https://login.example.com", client_id: app, client_secret: s, scopes: ["a b"] }"#, "scopes"),
            (#"{ issuer: "https://login.example.com", client_id: app, client_secret: s, colour: red }"#, "colour"),
        ] {
            #expect(try ConfigurationLoaderTests().problem(base + yaml).contains(says), "\(yaml)")
        }
        let both = try ConfigurationLoaderTests().load(base + good + "\n    verifier_url: https://app.example.com/v")
        #expect(throws: ConfigurationError.self) { try both.verificationPolicy() }
        let loopback = try ConfigurationLoaderTests().load(
            base + #"{ issuer: "http://127.0.0.1:8000/o", client_id: app, client_secret: s }"#)
        #expect(loopback.oidc?.issuer == "http://127.0.0.1:8000/o")
    }
}

/// A clock the test moves.
final class TestClock: Sendable {
    private let time = Mutex(Date())
    var now: @Sendable () -> Date { { self.time.withLock { $0 } } }
    func advance(by seconds: TimeInterval) { time.withLock { $0 += seconds } }
}
