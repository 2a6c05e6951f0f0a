import Foundation
import GatehouseTestSupport
import HTTPTypes
import Testing

@Suite struct ConnectionAndRefreshTests {
    @Test func listFiltersInEverySpellingAndDeletes() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            for user in ["u1", "u2", "u3"] { _ = try await api.completedToken(user: user) }
            for query in [
                "user_id=u2", "user.id=u2", "user%5Bid%5D=u2", "user[id]=u2&provider_id=fake", "provider.id=fake&user.id=u2",
                "provider%5Bid%5D=fake&user_id=u2",
            ] {
                let page = try api.object(try await api.call(.get, "/v1/admin/user_connections?\(query)"))
                #expect(page["total_count"] as? Int == 1, "\(query)")
                let item = try #require((page["items"] as? [[String: Any]])?.first)
                #expect(item["user_id"] as? String == "u2" && item["provider_id"] as? String == "fake")
                #expect(item["connection_id"] as? String == item["id"] as? String)
                #expect(item["scopes"] as? [String] == ["read"])
            }
            let paged = try api.object(try await api.call(.get, "/v1/admin/user_connections?limit=2&offset=2"))
            #expect(paged["total_count"] as? Int == 3 && paged["offset"] as? Int == 2 && paged["limit"] as? Int == 2)
            #expect(paged["page_count"] as? Int == 1)

            let page = try api.object(try await api.call(.get, "/v1/admin/user_connections?user_id=u1"))
            let id = try #require((page["items"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await api.call(.delete, "/v1/admin/user_connections/\(id)").status == .noContent)
            #expect(try await api.call(.delete, "/v1/admin/user_connections/\(id)").status == .notFound)
            #expect(try await api.authorize(user: "u1")["status"] as? String == "pending")
        }
    }

    @Test func staleTokensAreRefreshedOnReadWithRotation() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            api.provider.setLifetime(0)
            let first = try await api.completedToken(user: "r1")
            #expect(api.provider.refreshGrants == 1, "the second read in completedToken already refreshed")
            #expect(first.token == "at-2")
            let next = try api.object(try await api.call(.get, "/v1/auth/status?id=\(first.id)"))
            #expect((next["context"] as? [String: Any])?["token"] as? String == "at-3")
            #expect(api.provider.refreshGrants == 2)
        }
    }

    @Test func concurrentReadsOfAStaleTokenNeverOverlapRefreshes() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            api.provider.setLifetime(0)
            let pending = try await api.authorize(user: "r2")
            _ = try await api.callback(for: pending)
            let tokens = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let done = try await api.authorize(user: "r2")
                        return (done["context"] as? [String: Any])?["token"] as? String ?? ""
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            // Each read finds the token stale (lifetime 0), but refreshes never overlap: every
            // refresh used the refresh token the previous one stored, so none was refused.
            #expect(!tokens.contains(""))
            #expect(api.provider.refreshGrants >= 1)
            #expect(try await api.authorize(user: "r2")["status"] as? String == "completed")
        }
    }

    @Test func aRevokedGrantSendsTheUserBackThroughAFlow() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            _ = try await api.completedToken(user: "r3")
            api.provider.setLifetime(0)
            _ = try await api.completedToken(user: "r4")
            api.provider.failRefresh(with: "invalid_grant")
            let again = try await api.authorize(user: "r4")
            #expect(again["status"] as? String == "pending" && again["url"] != nil)
            let page = try api.object(try await api.call(.get, "/v1/admin/user_connections?user_id=r4"))
            #expect((page["items"] as? [[String: Any]])?.first?["connection_status"] as? String == "reauthorization_required")
        }
    }

    @Test func anExpiredTokenWithAnUnreachableProviderIs503() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            api.provider.setLifetime(0)
            _ = try await api.completedToken(user: "r5")
            api.provider.failRefresh(with: "temporarily_unavailable")
            let response = try await api.call(
                .post, "/v1/auth/authorize", json: #"{"auth_requirement":{"provider_id":"fake"},"user_id":"r5"}"#)
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter].flatMap(Int.init).map { $0 >= 1 } == true)
            #expect(!String(buffer: response.body).contains("rt-"))
        }
    }

    @Test func aRefreshRefusedForAnotherReasonAsksForConsentAndKeepsTheGrant() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            api.provider.setLifetime(0)
            _ = try await api.completedToken(user: "r6")
            let before = api.provider.refreshGrants
            api.provider.failRefresh(with: "invalid_request")
            let again = try await api.authorize(user: "r6")
            #expect(again["status"] as? String == "pending" && again["url"] as? String != nil)
            // Backing off: the same flow, and the provider is not asked again at once.
            let twice = try await api.authorize(user: "r6")
            #expect(twice["id"] as? String == again["id"] as? String)
            #expect(api.provider.refreshGrants == before + 1)
            // The grant is kept: a fix at the provider brings it back without a consent.
            let page = try api.object(try await api.call(.get, "/v1/admin/user_connections?user_id=r6"))
            #expect((page["items"] as? [[String: Any]])?.first?["connection_status"] as? String == "active")
            // The person consents again: the new grant is not held to the old one's backoff
            // (its token, stale at once here, refreshes).
            api.provider.failRefresh(with: nil)
            #expect(try await api.callback(for: again).status == .ok)
            #expect(try await api.authorize(user: "r6")["status"] as? String == "completed")
        }
    }

    @Test func aRefreshRefusingTheClientsCredentialsIs503ForTheOperator() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            api.provider.setLifetime(0)
            _ = try await api.completedToken(user: "r7")
            api.provider.failRefresh(with: "invalid_client")
            let response = try await api.call(
                .post, "/v1/auth/authorize", json: #"{"auth_requirement":{"provider_id":"fake"},"user_id":"r7"}"#)
            // A new consent would fail at the exchange the same way: 503 with the reason, and no
            // Retry-After (clients would wait it out, twice, for a fix waiting does not bring).
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] == nil)
            #expect(String(buffer: response.body).contains("invalid_client"))
            let page = try api.object(try await api.call(.get, "/v1/admin/user_connections?user_id=r7"))
            #expect((page["items"] as? [[String: Any]])?.first?["connection_status"] as? String == "active")
        }
    }
}
