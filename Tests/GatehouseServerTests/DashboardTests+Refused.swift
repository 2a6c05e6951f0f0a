import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import GatehouseServer

// A refused form: what was typed is kept, the secret apart.
extension DashboardTests {
    @Test func aRefusedFormKeepsWhatWasTyped() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let browser = try await Self.browser(api)
            let added = try await browser.post(
                "/dashboard/providers",
                [
                    "kind": "custom", "id": "mine", "description": "My own", "client_id": "cid-typed",
                    "client_secret": "typed-secret-1234", "oauth2": "{not json",
                ])
            let page = String(buffer: added.body)
            #expect(added.status == .badRequest && page.contains("not valid JSON"))
            #expect(page.contains(#"value="mine""#) && page.contains(#"value="My own""#) && page.contains("{not json"))
            #expect(!page.contains("typed-secret-1234"), "a secret is never written back")
            // An edit refused stays on the provider's page with the edit in place.
            let edited = try await browser.post(
                "/dashboard/providers/fake", ["description": "Changed", "client_id": "client-1", "oauth2": "[1,"])
            let again = String(buffer: edited.body)
            #expect(edited.status == .badRequest && again.contains("<h1>fake</h1>"))
            #expect(again.contains(#"value="Changed""#) && again.contains("[1,"))
            #expect(!again.contains("type it again"), "no secret was typed")
            #expect(
                try api.object(try await api.call(.get, "/v1/admin/auth_providers/fake"))["description"] as? String != "Changed")
            // A new secret typed with it was not saved: the field says so, not "leave empty to keep".
            let rotated = String(
                buffer: try await browser.post(
                    "/dashboard/providers/fake", ["client_id": "client-1", "client_secret": "rotated-5678", "oauth2": "[1,"]
                ).body)
            #expect(rotated.contains("(the new one was not saved: type it again)") && !rotated.contains("leave empty to keep"))
            #expect(!rotated.contains("rotated-5678"), "a secret is never written back")
        }
    }
}
