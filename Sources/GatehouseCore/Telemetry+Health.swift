import struct Foundation.Date

// What an operator alerts on: whether the background jobs run, whether a replica hears the
// others, how many connections it holds, and how often the database failed it.
extension Telemetry {
    /// The background jobs, each run on one replica of the fleet at a time.
    package enum Job: String, Sendable, CaseIterable {
        /// `RefreshSweep`.
        case refreshSweep = "refresh_sweep"
        /// `FlowJanitor`.
        case flowJanitor = "flow_janitor"
        /// `RevocationRetrier`.
        case revocationRetry = "revocation_retry"
    }

    /// How the database failed a statement.
    package enum StoreTrouble: String, Sendable, Hashable, CaseIterable {
        /// It could not be reached, or said it cannot serve.
        case unreachable
        /// The statement had no answer within its deadline.
        case noAnswer = "no_answer"
    }

    /// A run of `job` ended without an error on this replica, at `time`
    /// (`gatehouse_job_last_success_timestamp_seconds`). A run another replica held the lock
    /// for is not this replica's: across a fleet, alert on the newest of all replicas.
    package func jobSucceeded(_ job: Job, at time: Date) {
        meter("gatehouse_job_last_success_timestamp_seconds", [("job", job.rawValue)]).set(time.timeIntervalSince1970)
    }

    /// Which Gatehouse is running (`gatehouse_build_info{version}`, always 1), so a dashboard
    /// can tell the replicas of a rolling upgrade apart.
    package func buildInfo(version: String) {
        meter("gatehouse_build_info", [("version", version)]).set(1)
    }

    /// The change channel (PostgreSQL's `LISTEN`) came up or was lost
    /// (`gatehouse_change_channel_up`: 1 or 0; absent with SQLite, which has none).
    package func changeChannel(up: Bool) {
        meter("gatehouse_change_channel_up", []).set(up ? 1 : 0)
    }

    /// The HTTP connections open now (`gatehouse_http_connections_open`), sampled when scraped.
    package func openConnections(_ count: Int) {
        meter("gatehouse_http_connections_open", []).set(count)
    }

    /// An entry of the audit trail (`gatehouse_audit_events_total{action}`): every one, also the
    /// refused sign-ins the log says only some of.
    package func audited(_ action: String) {
        counter("gatehouse_audit_events_total", [("action", action)]).increment()
    }

    /// A statement the database failed (`gatehouse_store_errors_total`).
    package func storeFailed(_ trouble: StoreTrouble) {
        counter("gatehouse_store_errors_total", [("kind", trouble.rawValue)]).increment()
    }
}
