import Testing

@testable import GatehouseServer

/// `gatehouse store copy --from/--to`: a location it cannot read is refused by name, and a URL
/// only by its scheme, since the rest may carry a password.
@Suite struct StoreCopyLocationTests {
    @Test func aURLThatCannotBeReadIsShownByItsSchemeOnly() throws {
        let error = try #require(throws: ConfigurationError.self) {
            try StoreCopy.check(location: "postgres://gh:S3cr3t@db/gh?sslmode=verify")
        }
        #expect(
            error.description
                == "'postgres://…' is neither sqlite:PATH nor a postgres:// URL: sslmode must be one of disable, prefer, require, verify-ca, verify-full"
        )
        let path = try #require(throws: ConfigurationError.self) { try StoreCopy.check(location: "/var/lib/g.sqlite") }
        #expect(path.description.hasPrefix("'/var/lib/g.sqlite' is neither sqlite:PATH nor a postgres:// URL"))
        // A mistyped URL or a keyword string may hold a password: not shown at all.
        for text in ["postgres:gh:S3cr3t@db/gh", "host=db user=gh password=S3cr3t"] {
            let error = try #require(throws: ConfigurationError.self) { try StoreCopy.check(location: text) }
            #expect(error.description.hasPrefix("'…' is neither"), "\(error)")
        }
    }
}
