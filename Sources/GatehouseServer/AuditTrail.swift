import GatehouseCore
import GatehouseWire
import Logging

/// The administrative changes and dashboard sign-ins, one log line each (`audit`, at notice):
/// what was done (`action`), to what (`target`), with which API key (`key_id`: the admin key of
/// the request, or the one the dashboard session signed in with), from which address
/// (`client`), under the request's id (`request_id`). Written by the replica that served the
/// request, once the change is made. Names and ids only: never a value that was set (a secret,
/// a client secret, a template's contents), never a token.
///
/// The operator commands on the server's host (`gatehouse keys`, `reencrypt`, `store copy`)
/// write the store directly and are not in it: the shell's own record is theirs.
struct AuditTrail: Sendable {
    /// What was done.
    enum Action: String, Sendable {
        case providerCreated = "provider.create"
        case providerChanged = "provider.update"
        case providerDeleted = "provider.delete"
        case connectionDeleted = "connection.delete"
        case secretSet = "secret.set"
        case secretDeleted = "secret.delete"
        case verificationChanged = "settings.session_verification.update"
        case keyCreated = "api_key.create"
        case keyRevoked = "api_key.revoke"
        case signedIn = "dashboard.sign_in"
        case signedOut = "dashboard.sign_out"
        case signInRefused = "dashboard.sign_in_refused"
    }

    /// Where the lines go (the server's log).
    let logger: Logger
    /// Where each entry is counted, by action.
    let telemetry: Telemetry
    // A flood of wrong keys at the sign-in form would write a line each.
    private let refusals = BoundedLog<String>()

    /// A trail written to `logger` and counted in `telemetry`.
    init(logger: Logger, telemetry: Telemetry) {
        self.logger = logger
        self.telemetry = telemetry
    }

    /// Records `action` on `target` in the request of `context`, done with the key its request
    /// line names (`RequestNotes.keyID`: the admin key, or the dashboard session's); `detail`
    /// adds names (never values), such as the fields a change sent.
    func record(_ action: Action, target: String?, context: GatehouseRequestContext, detail: Logger.Metadata = [:]) {
        telemetry.audited(action.rawValue)
        logger.notice(
            "audit",
            metadata: metadata(action, target: target, keyID: context.notes.keyID, context: context).merging(detail) { $1 })
    }

    /// Runs `change`, a store write the caller records as `action` once it is made. When the
    /// store did not answer (`storeUnavailable`), the change may have been made all the same (a
    /// commit whose answer was lost with its connection): it is recorded then with
    /// `result=unknown`, so that the trail holds every change that may have happened.
    func attempt<T>(
        _ action: Action, target: String?, context: GatehouseRequestContext, _ change: () async throws -> T
    ) async throws -> T {
        do {
            return try await change()
        } catch let error as GatehouseError where error.code == .storeUnavailable {
            record(action, target: target, context: context, detail: ["result": "unknown"])
            throw error
        }
    }

    /// A connection to `provider` deleted, with how its grant ended there (`outcome`). Its user's
    /// id is not logged (no log line holds one): the connection's id is the request's.
    func deleted(
        connection id: String, of provider: String, _ deletion: ConnectionDeletion, context: GatehouseRequestContext
    ) {
        let outcome =
            switch deletion {
            case .notFound: "not_found"
            case .deleted: "deleted"
            case .revoked: "revoked"
            case .notRevoked: "not_revoked"
            case .revocationPending: "revocation_pending"
            }
        record(
            .connectionDeleted, target: id, context: context,
            detail: ["provider": .string(provider), "outcome": .string(outcome)])
    }

    /// A provider changed by `patch` (the fields it sent; none sent, nothing recorded), under
    /// the id it now has when the patch renamed it (`renamed_to`).
    func changed(provider id: String, by patch: ProviderPatch, now current: String, context: GatehouseRequestContext) {
        let fields = patch.fieldNames
        guard !fields.isEmpty else { return }
        var detail: Logger.Metadata = ["fields": .string(fields)]
        if current != id { detail["renamed_to"] = .string(current) }
        record(.providerChanged, target: id, context: context, detail: detail)
    }

    /// The user-verification setting changed to `setting`: `mode` (`verifier_url`,
    /// `unsafe_skip_verification`, or `default`: the configuration's), and the verifier's origin.
    func verificationChanged(to setting: SessionVerificationSettings, context: GatehouseRequestContext) {
        var detail: Logger.Metadata = [
            "mode": .string(
                setting.unsafeSkipVerification
                    ? "unsafe_skip_verification" : setting.verifierURL == nil ? "default" : "verifier_url")
        ]
        // The origin only: a path or query is the app's, and may carry what it would not log.
        if let origin = setting.verifierURL.flatMap(IssuerCheck.origin(of:)) { detail["verifier"] = .string(origin) }
        record(.verificationChanged, target: nil, context: context, detail: detail)
    }

    /// A dashboard sign-in refused, and why (`not_a_key`, `not_admin` with the key's id,
    /// `rate_limited`, `cross_site`): at most one line per 10 s, and the next says how many
    /// went unsaid (`unsaid_since_last`), so a flood of guesses writes few lines.
    func refusedSignIn(_ reason: String, keyID: String? = nil, context: GatehouseRequestContext) {
        telemetry.audited(Action.signInRefused.rawValue)
        refusals.log(
            "sign-in", level: .notice, "audit",
            metadata: metadata(.signInRefused, target: nil, keyID: keyID, context: context).merging(
                ["reason": .string(reason)]) { $1 },
            logger: logger)
    }

    private func metadata(_ action: Action, target: String?, keyID: String?, context: GatehouseRequestContext)
        -> Logger.Metadata
    {
        var metadata: Logger.Metadata = ["action": .string(action.rawValue)]
        if let target { metadata["target"] = .string(target) }
        if let keyID { metadata["key_id"] = .string(keyID) }
        if let client = context.channel.remoteAddress?.ipAddress { metadata["client"] = .string(client) }
        return metadata
    }
}
