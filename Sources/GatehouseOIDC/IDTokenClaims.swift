import Foundation
import GatehouseWire
import JWTKit

/// An ID token's claims: the ones every check reads, typed, and all of them by name for the
/// configured user claim.
struct IDTokenClaims: JWTIdentityToken {
    var issuer: IssuerClaim
    var audience: AudienceClaim
    var expiration: ExpirationClaim
    var nonce: String?
    var authorizedParty: String?
    var all: [String: JSONValue]

    enum CodingKeys: String, CodingKey {
        case issuer = "iss"
        case audience = "aud"
        case expiration = "exp"
        case nonce
        case authorizedParty = "azp"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        issuer = try container.decode(IssuerClaim.self, forKey: .issuer)
        audience = try container.decode(AudienceClaim.self, forKey: .audience)
        expiration = try container.decode(ExpirationClaim.self, forKey: .expiration)
        nonce = try container.decodeIfPresent(String.self, forKey: .nonce)
        authorizedParty = try container.decodeIfPresent(String.self, forKey: .authorizedParty)
        all = try [String: JSONValue](from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        try all.encode(to: encoder)
    }

    /// Called by jwt-kit once the signature holds. Its times are checked apart, against the
    /// verifier's clock (`checkTimes(now:)`), which jwt-kit cannot be given.
    func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// The clock may run a minute apart from the OpenID Provider's: a token expired (`exp`), not
    /// valid yet (`nbf`), or issued in the future (`iat`), past that minute, is refused.
    func checkTimes(now: Date) throws {
        try expiration.verifyNotExpired(currentDate: now.addingTimeInterval(-60))
        let latest = now.addingTimeInterval(60).timeIntervalSince1970
        for claim in ["nbf", "iat"] {
            guard let value = all[claim] else { continue }
            guard let seconds = value.doubleValue else {
                throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "\(claim) is not a number")
            }
            if seconds > latest {
                throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "\(claim) is in the future")
            }
        }
    }
}
