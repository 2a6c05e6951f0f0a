/// A change other replicas must hear of: a flow that completed or failed (its parked
/// long-polls wake), or cached records that are stale (providers, API keys, connections).
package enum StoreChange: Sendable, Equatable {
    /// The flow with this id changed.
    case flow(String)
    /// The connection with this id changed or was deleted.
    case connection(String)
    /// A provider was created, changed or removed.
    case providers
    /// An API key was made or revoked.
    case apiKeys
    /// Anything may have changed (a replica lost the channel for a while): re-check everything.
    /// The listener says it each time its channel is (again) up.
    case everything
    /// This replica's listener lost the channel and cannot hear other replicas' changes until
    /// `everything` says it is back: caches must not be trusted meanwhile. Said only by the
    /// listener, never sent on the channel (a payload that reads as it is ignored).
    case channelLost

    /// The channel payload.
    package var payload: String {
        switch self {
        case .flow(let id): "f:" + id
        case .connection(let id): "c:" + id
        case .providers: "p"
        case .apiKeys: "k"
        case .everything: "*"
        case .channelLost: "!"
        }
    }

    /// Reads a payload; nil for one this build does not know.
    package init?(payload: String) {
        switch payload {
        case "p": self = .providers
        case "k": self = .apiKeys
        case "*": self = .everything
        case let text where text.hasPrefix("f:"): self = .flow(String(text.dropFirst(2)))
        case let text where text.hasPrefix("c:"): self = .connection(String(text.dropFirst(2)))
        default: return nil
        }
    }
}
