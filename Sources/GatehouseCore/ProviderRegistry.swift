import Foundation
import GatehouseWire
import Synchronization

/// Providers: built-in templates merged with configuration, stored with encrypted secrets.
package final class ProviderRegistry: Sendable {
    let store: any Store
    let cipher: TokenCipher
    /// The built-in templates.
    package let catalog: ProviderCatalog
    let now: @Sendable () -> Date
    // A cache keeps the hot path off the store. Writes here drop it at once; other replicas
    // drop theirs when the change channel tells them (`StoreChange.providers`), and at the
    // latest after `cacheTTL`. A load that overlaps a change is not kept (`generation`), and
    // concurrent misses share one load.
    // `servable` leaves out providers whose stored template today's rules refuse (stored before
    // a rule existed): they never start, finish or refresh a flow until an admin fixes them.
    private let cache = Mutex<
        (entry: (loaded: Date, byID: [String: Provider], servable: [String: Provider])?, generation: UInt64)
    >((nil, 0))
    private let loads = SingleFlight<UInt64, (byID: [String: Provider], servable: [String: Provider])>()
    private let cacheTTL: TimeInterval = 30
    // While the change channel is down, other replicas' changes cannot arrive: the cache lapses
    // after `ConnectionCache.channelDownTTL` instead.
    private let channelUp: Atomic<Bool>
    private let telemetry: Telemetry
    // Connections held in memory: a provider's change may delete its grants (a delete, a rename,
    // a new provider taking a deleted one's id), so whatever drops the provider cache drops them.
    private let connections: ConnectionCache?
    // The ids this process's config file lists (nil: unknown, every config provider is the
    // file's). A config provider the file does not list is the admin API's to disable or delete.
    private let fileProviders: Set<String>?
    // Wakes the waits parked on flows a change of template failed; nil: they are announced
    // through the store only (a start's config-file providers, when nothing here waits yet).
    private let notifier: (any Notifier)?

    /// Creates a registry; `notifier` is the broker's, to wake waits on flows a change fails.
    package init(
        store: any Store, cipher: TokenCipher, catalog: ProviderCatalog, telemetry: Telemetry = .none,
        connections: ConnectionCache? = nil, channelUp: Bool = true, fileProviders: Set<String>? = nil,
        notifier: (any Notifier)? = nil, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.connections = connections
        self.notifier = notifier
        self.fileProviders = fileProviders
        self.channelUp = Atomic(channelUp)
        self.store = store
        self.cipher = cipher
        self.catalog = catalog
        self.telemetry = telemetry
        self.now = now
    }

    /// All providers.
    package func all() async throws -> [Provider] {
        try await loaded().byID.values.sorted { $0.id < $1.id }
    }

    /// One provider by id as stored, whether or not it may serve flows (for the admin API).
    package func configured(id: String) async throws -> Provider? {
        try await loaded().byID[id]
    }

    /// One provider by id, if it may serve flows.
    package func provider(id: String) async throws -> Provider? {
        try await loaded().servable[id]
    }

    /// Resolves an authorization requirement: an explicit `id`, else an exact id match on
    /// `provider_id`, else the one enabled provider of that type.
    package func resolve(id: String?, providerID: String?) async throws -> Provider {
        let all = try await loaded()
        let providers = all.servable
        if let id = id ?? providerID, all.byID[id] != nil, providers[id] == nil {
            throw GatehouseError.invalid(
                "auth provider '\(id)' has a stored template that breaks a security rule; an admin must fix it (see the server log)"
            )
        }
        if let id, !id.isEmpty {
            guard let provider = providers[id] else { throw GatehouseError.invalid("unknown auth provider id '\(id)'") }
            guard provider.enabled else { throw GatehouseError.invalid("auth provider '\(id)' is inactive") }
            return provider
        }
        guard let providerID, !providerID.isEmpty else {
            throw GatehouseError.invalid("auth_requirement needs provider_id or id")
        }
        if let provider = providers[providerID] {
            guard provider.enabled else { throw GatehouseError.invalid("auth provider '\(providerID)' is inactive") }
            return provider
        }
        let ofType = providers.values.filter { $0.enabled && $0.providerType == providerID }
        if ofType.count == 1 { return ofType[0] }
        if ofType.count > 1 {
            throw GatehouseError.invalid(
                "several auth providers are of type '\(providerID)' (\(ofType.map(\.id).sorted().joined(separator: ", "))); name one with auth_requirement.id"
            )
        }
        if catalog.entry(providerID) != nil {
            throw GatehouseError.invalid(
                "auth provider '\(providerID)' is built in but not configured: add its client_id and client_secret")
        }
        throw GatehouseError.invalid("unknown auth provider '\(providerID)'")
    }

    /// Creates a provider from the admin API or the config file.
    @discardableResult
    package func create(_ request: AuthProviderRequest, source: Provider.Source) async throws -> Provider {
        let provider = try build(from: request, base: nil, source: source)
        let record = try record(for: provider)
        if source == .config {
            await changed(failing: try await writing { try await store.upsertProvider(record) }, of: provider.id)
        } else {
            try await writing { try await store.insertProvider(record) }
            await changed()
        }
        return provider
    }

    /// Removes a provider made through the API, with its connections and flows; returns it.
    /// When it can revoke grants, each connection's grant is queued for revocation at the
    /// provider as it is deleted (`RetiredProvider`), which the `RevocationRetrier` sends.
    package func delete(id: String) async throws -> Provider {
        guard let current = try await existing(id: id) else {
            throw GatehouseError.providerNotFound(id)
        }
        guard !listedInFile(current) else {
            throw GatehouseError(.forbidden, "auth provider '\(id)' comes from the config file; remove it there")
        }
        // Whether its grants are revoked is read from the row the delete removes, not from this
        // cache, which a change on another replica may not have reached yet.
        guard try await writing({ try await store.deleteProvider(id: id, revokingAt: now()) }) != nil else {
            throw GatehouseError.providerNotFound(id)
        }
        await changed()
        return current
    }

    /// Whether the config file owns the provider: it came from a config file, and this
    /// process's file lists it (or which ids it lists is not known here).
    func listedInFile(_ provider: Provider) -> Bool {
        provider.source == .config && (fileProviders?.contains(provider.id) ?? true)
    }

    /// The secret's hint shown by the API: its last four characters when it is long enough.
    package static func hint(for secret: String?) -> String? {
        guard let secret, secret.count >= 12 else { return nil }
        return String(secret.suffix(4))
    }

    // MARK: - the cache and what lies under it

    /// Drops the cache: the next read loads from the store (another replica changed a provider).
    package func invalidate() {
        cache.withLock {
            $0.entry = nil
            $0.generation &+= 1
        }
        connections?.forgetAll()
    }

    /// The change channel went down (false) or is back (true): the cache is dropped, and while
    /// the channel is down it lapses after `ConnectionCache.channelDownTTL`.
    package func channel(up: Bool) {
        channelUp.store(up, ordering: .relaxed)
        invalidate()
    }

    /// Runs a write to the providers; when the store fails under it, the caches are dropped
    /// here (and the other replicas told, if they can be): a write whose answer was lost (its
    /// connection went after the commit) may have changed the provider, and deleted its
    /// connections. A refusal (a taken id, stored connections) changed nothing.
    func writing<T>(_ write: () async throws -> T) async throws -> T {
        do {
            return try await write()
        } catch let error as GatehouseError where error.code != .storeUnavailable && error.code != .internalError {
            throw error
        } catch let error as ProviderChangedMeanwhile {
            // Nothing was written.
            throw error
        } catch {
            await changed()
            throw error
        }
    }

    /// Drops the cache here and tells the other replicas to drop theirs.
    func changed() async {
        invalidate()
        try? await store.publish(.providers)
    }

    /// `changed()`, after a replacement of provider `id` that failed open flows: counts them, and
    /// wakes the waits parked on them to read the failure.
    func changed(failing replacement: ProviderReplacement, of id: String) async {
        await changed()
        for flowID in replacement.failedFlowIDs {
            telemetry.flowFailed(provider: id, reason: .providerChanged)
            if let notifier {
                await notifier.notify(flowID: flowID)
            } else {
                try? await store.publish(.flow(flowID))
            }
        }
    }

    private func existing(id: String) async throws -> Provider? {
        if let cached = try await loaded().byID[id] { return cached }
        invalidate()
        return try await loaded().byID[id]
    }

    private func loaded() async throws -> (byID: [String: Provider], servable: [String: Provider]) {
        let current = now()
        let (cached, generation) = cache.withLock { ($0.entry, $0.generation) }
        let lifetime = channelUp.load(ordering: .relaxed) ? cacheTTL : ConnectionCache.channelDownTTL
        if let cached, current.timeIntervalSince(cached.loaded) < lifetime {
            telemetry.cacheLookup(.provider, hit: true)
            return (cached.byID, cached.servable)
        }
        telemetry.cacheLookup(.provider, hit: false)
        return try await loads.run(generation) {
            var byID: [String: Provider] = [:]
            var servable: [String: Provider] = [:]
            for record in try await self.store.providers() {
                let provider = try self.provider(from: record)
                byID[record.id] = provider
                if (try? ProviderTemplateValidator.validateStored(id: record.id, provider.oauth2)) != nil {
                    servable[record.id] = provider
                }
            }
            self.cache.withLock { if $0.generation == generation { $0.entry = (current, byID, servable) } }
            return (byID, servable)
        }
    }
}
