import GatehouseCore
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

    let logger: Logger
    // A flood of wrong keys at the sign-in form would write a line each.
    private let refusals = BoundedLog<String>()

    /// A trail written to `logger`.
    init(logger: Logger) {
        self.logger = logger
    }

    /// Records `action` on `target`, done with the key `keyID` in the request of `context`;
    /// `detail` adds names (never values), such as the fields a change sent.
    func record(
        _ action: Action, target: String?, keyID: String?, context: GatehouseRequestContext, detail: Logger.Metadata = [:]
    ) {
        logger.notice("audit", metadata: metadata(action, target: target, keyID: keyID, context: context).merging(detail) { $1 })
    }

    /// A connection deleted, with how its grant ended at the provider (`outcome`).
    func deleted(
        connection id: String, _ deletion: ConnectionDeletion, keyID: String?, context: GatehouseRequestContext
    ) {
        let outcome =
            switch deletion {
            case .notFound, .deleted: "deleted"
            case .revoked: "revoked"
            case .notRevoked: "not_revoked"
            case .revocationPending: "revocation_pending"
            }
        record(.connectionDeleted, target: id, keyID: keyID, context: context, detail: ["outcome": .string(outcome)])
    }

    /// A dashboard sign-in refused (a wrong key, or one that is not an admin's): at most one line
    /// per 10 s, counting the others.
    func refusedSignIn(context: GatehouseRequestContext) {
        refusals.log(
            "sign-in", level: .notice, "audit",
            metadata: metadata(.signInRefused, target: nil, keyID: nil, context: context), logger: logger)
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
