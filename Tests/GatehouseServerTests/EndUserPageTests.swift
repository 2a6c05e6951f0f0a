import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import HummingbirdTesting
import Logging
import SQLiteNIO
import Testing

@testable import GatehouseServer

/// The pages a person sees when a sign-in does not end in success: words for the person, a
/// reference to quote, and the detail in the log under that reference.
@Suite struct EndUserPageTests {
    static func page(_ response: TestResponse) -> String { String(buffer: response.body) }

    @Test func aDenialSaysSoAndGivesAReference() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let pending = try await api.authorize(user: "d1")
            let response = try await api.callback(for: pending, extra: "&error=access_denied")
            #expect(response.status == .badRequest)
            let html = Self.page(response)
            #expect(html.contains("Access not granted") && html.contains("You chose not to give access"))
            let reference = try #require(response.headers[RequestCorrelation.header])
            #expect(html.contains("quote this reference: <code>\(reference)</code>"))
            #expect(!html.contains("access_denied"))
            #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            // The app gave no page to come back to: no link.
            #expect(!html.contains("Back to"))

            // The link works once: again, it says how the sign-in ended, and asks the provider nothing.
            let replay = try await api.callback(for: pending)
            #expect(replay.status == .badRequest)
            #expect(Self.page(replay).contains("Access not granted"))
            #expect(api.provider.transport.requests.isEmpty)
        }
    }

    @Test func aFailurePageLinksBackToTheAppsPageWhenTheAppGaveOne() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let started = try await api.call(
                .post, "/v1/auth/authorize",
                json:
                    #"{"auth_requirement":{"provider_id":"fake"},"user_id":"d4","next_uri":"http://127.0.0.1:4000/done?a=1&b=2"}"#
            )
            let pending = try api.object(started)
            let denied = Self.page(try await api.callback(for: pending, extra: "&error=access_denied"))
            #expect(
                denied.contains(#"<p><a href="http://127.0.0.1:4000/done?a=1&amp;b=2">Back to 127.0.0.1</a></p>"#), "\(denied)")
            // A made-up state names no flow: nothing to link to.
            let madeUp = Self.page(
                try await api.call(.get, "/v1/oauth/fake/callback?state=\(SecureRandom.token())&code=c", authorization: nil))
            #expect(madeUp.contains("This link has expired"))
            #expect(!madeUp.contains("Back to"))
        }
    }

    @Test func aFailedExchangeShowsNoInternalTextAndLogsItUnderTheReference() async throws {
        let output = LineOutput.capture()
        try await RequestLogTests.run(loggingTo: output) { api in
            try await api.createProvider()
            let pending = try await api.authorize(user: "d2")
            let response = try await api.callback(for: pending, code: "refused-code")
            #expect(response.status == .badGateway)
            let html = Self.page(response)
            #expect(html.contains("The sign-in didn&#39;t go through"))
            for inside in ["invalid_grant", "token exchange", "HTTPClientError", "refused"] {
                #expect(!html.contains(inside), "the page shows '\(inside)'")
            }
            let reference = try #require(response.headers[RequestCorrelation.header])
            #expect(html.contains(reference))
            let logged = try RequestLogTests.lines(output).first { $0["msg"] as? String == "sign-in not completed" }
            let line = try #require(logged)
            #expect(line["request_id"] as? String == reference)
            #expect(line["level"] as? String == "warning" && line["reason"] as? String == "exchangeRefused")
            #expect((line["detail"] as? String)?.contains("invalid_grant") == true)
        }
    }

    /// Another process holds the database file's write lock past the store's own wait when the
    /// provider's redirect arrives: the page says to reload in a while (503), not that
    /// something broke for good, and the reload, once the file is free, connects.
    @Test func aStoreThatCannotBeUsedSaysReloadAndTheReloadConnects() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let pending = try await api.authorize(user: "d4")
            let other = try await SQLiteConnection.open(storage: .file(path: api.configuration.databasePath))
            let response: TestResponse
            do {
                // Waits its turn if the server is writing just then.
                _ = try await other.query("PRAGMA busy_timeout = 5000", [])
                _ = try await other.query("BEGIN IMMEDIATE", [])
                response = try await api.callback(for: pending)
                _ = try await other.query("COMMIT", [])
                try await other.close()
            } catch {
                try await other.close()
                throw error
            }
            #expect(response.status == .serviceUnavailable)
            let html = Self.page(response)
            #expect(
                html.contains("We couldn&#39;t finish just now")
                    && html.contains(
                        "Reload this page in a little while: the link from the service you signed in to lasts only minutes")
            )
            let reload = try await api.callback(for: pending)
            #expect(reload.status == .ok)
            #expect(Self.page(reload).contains("Connected"))
        }
    }

    @Test func aFailedFlowsLongPollAnswersAtOnceWhenAskedAndWaitsOtherwise() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let pending = try await api.authorize(user: "d3")
            let id = try #require(pending["id"] as? String)
            _ = try await api.callback(for: pending, extra: "&error=access_denied")
            let clock = ContinuousClock()
            var started = clock.now
            let asked = try api.object(try await api.call(.get, "/v1/auth/status?id=\(id)&wait=30&return_failed=true"))
            #expect(asked["status"] as? String == "failed")
            #expect(started.duration(to: clock.now) < .seconds(10), "a failed flow held a return_failed wait")
            // Without it, as Arcade's clients expect: held for the wait, then the failure.
            started = clock.now
            let held = try api.object(try await api.call(.get, "/v1/auth/status?id=\(id)&wait=1"))
            #expect(held["status"] as? String == "failed")
            #expect(started.duration(to: clock.now) >= .milliseconds(900))
        }
    }

    @Test func aReloadAfterSuccessSaysConnectedAndDoesNothingAgain() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let pending = try await api.authorize(user: "d4")
            #expect(Self.page(try await api.callback(for: pending)).contains("Connected"))
            let reload = try await api.callback(for: pending)
            #expect(reload.status == .ok && Self.page(reload).contains("You connected fake"))
            #expect(api.provider.codeGrants == 1)
        }
    }

    @Test func headOnTheCallbackSpendsNothing() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let pending = try await api.authorize(user: "d5")
            let url = try #require(pending["url"] as? String)
            let state = try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "state" }?.value)
            let head = try await api.call(
                .head, "/v1/oauth/fake/callback?code=good-code&state=\(state)", authorization: nil)
            #expect(head.status == .ok && head.body.readableBytes == 0)
            #expect(head.headers[.contentType] == "text/html; charset=utf-8")
            #expect(api.provider.codeGrants == 0)
            // The person's GET still finds the state unused.
            #expect(Self.page(try await api.callback(for: pending)).contains("You connected fake"))
            #expect(api.provider.codeGrants == 1)
        }
    }
}
