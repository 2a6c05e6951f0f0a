import Foundation
import GatehouseCore
import PostgresNIO

// Dashboard sessions signed out before their cookies lapse.
extension PostgresStore {
    /// Records a sign-out (a second one of the same session changes nothing).
    package func endDashboardSession(_ session: String, until: Date) async throws {
        _ = try await rows(
            """
            INSERT INTO dashboard_sign_outs (session, until) VALUES (\(session), \(until.timeIntervalSince1970))
            ON CONFLICT (session) DO NOTHING
            """)
    }

    /// Whether the session was signed out.
    package func dashboardSessionEnded(_ session: String) async throws -> Bool {
        try await !rows("SELECT 1 FROM dashboard_sign_outs WHERE session = \(session)").isEmpty
    }

    /// Forgets the sign-outs of lapsed sessions.
    package func deleteLapsedDashboardSignOuts(before: Date) async throws -> Int {
        try await rows("DELETE FROM dashboard_sign_outs WHERE until < \(before.timeIntervalSince1970) RETURNING session").count
    }
}
