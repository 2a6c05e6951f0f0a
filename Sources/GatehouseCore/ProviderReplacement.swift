/// What a stored provider's replacement did beyond storing it.
///
/// A flow that started under one template and finishes under another would store a grant the
/// provider no longer describes: its code went to one token endpoint, and its refresh token
/// would go to another. So a change of template (the stored template's bytes, not its
/// description, activity or client secret) fails the provider's open flows in the transaction
/// that stores it. A callback that exchanged a code meanwhile then finds its flow changed and
/// stores nothing; a grant parked for verification is dropped with its flow. On PostgreSQL the
/// flows are failed before the connections check, so a flow that completes first is either
/// failed (its completion then finds a new version) or counted by the check.
package struct ProviderReplacement: Sendable, Equatable {
    /// The open flows the change failed, with `Flow.providerChangedReason`; their waiters must
    /// be woken.
    package var failedFlowIDs: [String]

    /// A replacement that failed the flows `failedFlowIDs`.
    package init(failedFlowIDs: [String] = []) {
        self.failedFlowIDs = failedFlowIDs
    }
}
