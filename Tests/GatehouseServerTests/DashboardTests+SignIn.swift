import Foundation
import GatehouseTestSupport
import HTTPTypes
import Testing

extension DashboardTests {
    /// Browsed over plain http while the public URL is https, the browser keeps the `Secure`
    /// cookie to itself: the sign-in page used to come back with no word.
    @Test func aSecureCookieThatDidNotComeBackIsExplained() async throws {
        try await APIHarness.run(configure: {
            $0.publicURL = "https://auth.example.com"
            // A public URL that is not loopback needs a verifier.
            $0.verifierURL = "https://auth.example.com/verify"
            $0.hasConfigFile = true
        }) { api in
            let answer = try await Self.signIn(api, key: api.key)
            #expect(answer.headers[.setCookie]?.contains("; Secure") == true)
            let next = try #require(answer.headers[.location])
            // The browser follows the redirect without the cookie.
            let lost = try await api.client.execute(uri: next, method: .get)
            #expect(lost.status == .unauthorized)
            let page = String(buffer: lost.body)
            #expect(page.contains("Its cookie is Secure because the public URL (https://auth.example.com) is https"))
            #expect(page.contains("open the dashboard at https://auth.example.com/dashboard"))
        }
    }
}
