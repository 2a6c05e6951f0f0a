import Foundation
import GatehouseCore
import GatehouseTestSupport
import SQLiteNIO
import Testing

@testable import GatehouseServer

/// A change the store did not answer may have been made (a commit whose answer was lost): it is
/// on the trail too, as `result=unknown`.
extension AuditTrailTests {
    @Test func aChangeTheStoreDidNotAnswerIsRecordedAsUnknown() async throws {
        try await Self.run { api, recorder in
            let admin = APIKeyRecord.id(of: api.key)
            // Another writer holds the file: the server's writes wait their time out, and fail.
            let other = try await SQLiteConnection.open(storage: .file(path: api.configuration.databasePath))
            do {
                _ = try await other.query("BEGIN IMMEDIATE", [])
                let refused = try await api.call(.post, "/v1/admin/secrets/SLACK_TOKEN", json: #"{"value":"tool-secret-value"}"#)
                #expect(refused.status == .serviceUnavailable && refused.headers[.retryAfter] == "2")
                _ = try await other.query("COMMIT", [])
                try await other.close()
            } catch {
                try await other.close()
                throw error
            }
            // Once it answers, the change is recorded as usual; a refused one (not the store's
            // doing) is not recorded at all.
            let stored = try api.object(
                try await api.call(.post, "/v1/admin/secrets/SLACK_TOKEN", json: #"{"value":"tool-secret-value"}"#))
            #expect(try await api.call(.delete, "/v1/admin/secrets/sec_none").status == .notFound)
            #expect(
                Self.lines(recorder) == [
                    "secret.set SLACK_TOKEN \(admin) result=unknown",
                    "secret.set SLACK_TOKEN \(admin) id=\(try #require(stored["id"] as? String))",
                ])
        }
    }
}
