import Foundation
import GatehouseCore
import GatehouseTestSupport
import GatehouseWire
import JWTKit
import Synchronization

/// An OpenID Provider in process, on a scripted transport: discovery, a JWKS, and a token
/// endpoint that redeems one code for an ID token naming whoever the test says is signed in.
final class FakeOpenIDProvider: Sendable {
    static let issuer = "https://idp.example"
    static let clientID = "gatehouse-app"
    static let clientSecret = "op-secret"
    static let code = "op-code"

    private let signing = JWTKeyCollection()
    private let published = Mutex<[String]>([])
    /// Changes the claims of the next ID token (after the defaults are filled in).
    let adjust = Mutex<@Sendable (inout [String: JSONValue]) -> Void>({ _ in })
    /// Header fields the next ID token carries besides its algorithm and key id.
    let headerFields = Mutex<[String: JWTHeaderField]>([:])
    /// The signed-in user's claims.
    let user = Mutex<[String: JSONValue]>([:])
    /// The key id the next token is signed with; nil signs with the first key and names none.
    let signWith = Mutex<String?>("k1")
    /// The token endpoint discovery names.
    let tokenEndpoint = Mutex(FakeOpenIDProvider.issuer + "/token")
    /// What the token endpoint answers the code with, once `prepare` signed it, and the PKCE
    /// challenge the code was asked with.
    private let prepared = Mutex<(response: OutboundResponse, challenge: String)?>(nil)

    init() {}

    /// A new signing key under `kid`, published in the JWKS when `publish` is set, with its id
    /// unless `publishID` is false.
    func addKey(kid: String, publish: Bool = true, publishID: Bool = true) async throws {
        let key = ES256PrivateKey()
        await signing.add(ecdsa: key, kid: JWKIdentifier(string: kid))
        guard publish, let parameters = key.parameters else { return }
        let id = publishID ? #","kid":"\#(kid)""# : ""
        published.withLock {
            $0.append(
                #"{"kty":"EC","crv":"P-256","use":"sig","alg":"ES256"\#(id),"x":"\#(parameters.x)","y":"\#(parameters.y)"}"#
            )
        }
    }

    /// Answers discovery, the JWKS and the token endpoint on `transport`.
    func serve(on transport: ScriptedTransport) {
        transport.respond { request in
            switch request.bareURL {
            case Self.issuer + "/.well-known/openid-configuration":
                return ScriptedTransport.json(
                    200,
                    #"{"issuer":"\#(Self.issuer)","authorization_endpoint":"\#(Self.issuer)/authorize","token_endpoint":"\#(self.tokenEndpoint.withLock { $0 })","jwks_uri":"\#(Self.issuer)/jwks"}"#
                )
            case Self.issuer + "/jwks":
                return ScriptedTransport.json(200, #"{"keys":[\#(self.published.withLock { $0.joined(separator: ",") })]}"#)
            default: return nil
            }
        }
        transport.respond { request in
            guard request.bareURL == Self.issuer + "/token" else { return nil }
            let form = request.form
            let basic = "Basic " + Data("\(Self.clientID):\(Self.clientSecret)".utf8).base64EncodedString()
            // A code is redeemed once, as OpenID Providers do: a second try is invalid_grant.
            guard let prepared = self.prepared.withLock({ $0.take() }), form["code"] == Self.code,
                form["grant_type"] == "authorization_code", request.header("Authorization") == basic,
                let verifier = form["code_verifier"], PKCE.challenge(for: verifier) == prepared.challenge
            else { return ScriptedTransport.json(400, #"{"error":"invalid_grant"}"#) }
            return prepared.response
        }
    }

    /// Signs the ID token the code will be redeemed for: the person signed in at the sign-in URL
    /// Gatehouse sent the browser to (its nonce and PKCE challenge are read from it).
    func prepare(signInURL: String) async throws {
        let query = FormEncoding.decode(String(signInURL.split(separator: "?", maxSplits: 1).last ?? ""))
        let nonce = query["nonce"] ?? ""

        var claims = user.withLock { $0 }
        claims["iss"] = .string(Self.issuer)
        claims["aud"] = .string(Self.clientID)
        claims["exp"] = .number(Date().timeIntervalSince1970 + 300)
        claims["iat"] = .number(Date().timeIntervalSince1970)
        claims["nonce"] = .string(nonce)
        adjust.withLock { $0 }(&claims)
        let token = try await signing.sign(
            SignedClaims(values: claims), kid: signWith.withLock { $0 }.map { JWKIdentifier(string: $0) },
            header: JWTHeader(fields: headerFields.withLock { $0 }))
        let response = try ScriptedTransport.json(.object(["id_token": .string(token), "token_type": .string("Bearer")]))
        prepared.withLock { $0 = (response, query["code_challenge"] ?? "") }
    }
}

/// Claims to sign, whatever they are.
struct SignedClaims: JWTPayload {
    var values: [String: JSONValue]
    init(values: [String: JSONValue]) { self.values = values }
    init(from decoder: any Decoder) throws { values = try [String: JSONValue](from: decoder) }
    func encode(to encoder: any Encoder) throws { try values.encode(to: encoder) }
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
