import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import NIOCore
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

    /// The sign-in form has no CSRF token (there is no session yet): a post another site makes
    /// with its own admin key would sign this browser in as that key. Browsers say where a post
    /// came from, and such a post is refused.
    @Test(arguments: [
        (["Sec-Fetch-Site": "cross-site"], false), (["Sec-Fetch-Site": "same-site"], false),
        (["Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"], true),
        (["Sec-Fetch-Site": "none"], true),
        (["Origin": "https://evil.example"], false), (["Origin": "null"], false),
        (["Origin": "http://localhost"], true),  // the address the browser used (the Host header)
        (["Origin": "https://auth.example.com"], true),  // the public URL, in front of a proxy
        (["Origin": "https://auth.example.com:443"], true), ([:], true),  // not a browser: curl, a script
    ])
    func aSignInPostedFromAnotherSiteIsRefused(headers: [String: String], accepted: Bool) async throws {
        try await APIHarness.run(configure: {
            $0.publicURL = "https://auth.example.com"
            $0.verifierURL = "https://auth.example.com/verify"
            $0.hasConfigFile = true
        }) { api in
            var fields: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
            let answer = try await api.client.execute(
                uri: "/dashboard/sign-in", method: .post, headers: fields,
                body: ByteBuffer(string: FormEncoding.encode(["key": api.key])))
            if accepted {
                #expect(answer.status == .seeOther && answer.headers[.setCookie] != nil)
            } else {
                #expect(answer.status == .forbidden && answer.headers[.setCookie] == nil)
                #expect(String(buffer: answer.body).contains("This sign-in was sent from another site"))
            }
        }
    }
}
