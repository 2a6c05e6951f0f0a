import Foundation
import GatehouseCore
import GatehouseOIDC
import GatehouseOutbound
import GatehouseWire
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// The composition root, shared by `gatehouse serve` and the tests.
package func buildApplication(
    configuration: GatehouseConfiguration,
    logger: Logger = Logger(label: "gatehouse"),
    requestLog: RequestLog? = nil,
    transport: (any HTTPTransport)? = nil,
    catalog: ProviderCatalog = BuiltInProviders.catalog,
    now: @escaping @Sendable () -> Date = Date.init,
    onListening: @escaping @Sendable () async -> Void = {},
    onNewAPIKey: @escaping @Sendable (String) throws -> Void = { _ in }
) async throws -> BuiltApplication<some ApplicationProtocol> {
    let policy = try configuration.verificationPolicy()
    try DataFilePermissions.secureDirectory(
        configuration.dataDirectory, onlyIfMade: configuration.dataDirectoryFromDatabasePath)

    let (cipher, keyFile) = try configuration.makeCipher()
    if let keyFile, configuration.postgres == nil {
        try RootKeyFile.requireDatabase(keyFile: keyFile, databasePath: configuration.databasePath)
    }
    // A key file left by a start that failed before the check (the database not up yet) is
    // checked as a read one at the next start. It is not removed on such a failure: a replica
    // starting beside this one on the same data directory may have read it and be serving.
    let storage = try await configuration.storage.open(
        logger: logger,
        migrationLimit: MigrationLimit(duration: configuration.migrationLimit, setting: "storage.postgres.migration_timeout"))
    // Metrics: one registry per application, served at /metrics. Made before the start-up
    // work, which counts the open flows a changed config-file template fails.
    let metricsRegistry = PrometheusCollectorRegistry()
    let telemetry = Telemetry(factory: PrometheusMetricsFactory.gatehouse(registry: metricsRegistry))
    telemetry.buildInfo(version: GatehouseVersion.release)
    do {
        // Start-up work on a ready store: config-file providers, the first key, stored templates.
        let (newAPIKey, refused, leftOut) = try await storage.bootstrap { store in
            // Before the config-file providers are sealed again under this start's key.
            try await SealedDataCheck.verify(store: store, cipher: cipher, keyFile: keyFile)
            let registry = ProviderRegistry(store: store, cipher: cipher, catalog: catalog, telemetry: telemetry, now: now)
            for provider in configuration.providers {
                do {
                    try await registry.create(provider, source: .config)
                } catch let error as GatehouseError {
                    throw ConfigurationError(description: "auth.providers (\(provider.id ?? "?")): \(error.message)")
                }
            }
            // One process (SQLite) owns its store: a provider its file leaves out is released.
            // Replicas (PostgreSQL) may run different files for a while (a rollout, a rollback),
            // so one that leaves a provider out only says so.
            let listed = configuration.providerIDs
            let leftOut: (released: [String], unlisted: [String]) =
                configuration.postgres == nil
                ? (try await registry.releaseConfigProviders(keeping: listed), [])
                : ([], try await registry.unlistedConfigProviders(listed: listed))
            let newAPIKey =
                try await store.apiKeyCount() == 0
                ? try await APIKeyService(store: store, now: now).create(name: "admin", role: .admin, before: onNewAPIKey)
                : nil
            return (newAPIKey, try await registry.refusedTemplates(), leftOut)
        }
        var warnings = policy.warning.map { [$0] } ?? []
        for id in leftOut.released {
            warnings.append(
                "auth provider '\(id)' is no longer in the config file: it is kept, inactive, with its connections, which serve no token; list it again to serve them, or delete it with them (gatehouse providers remove \(id))"
            )
        }
        for id in leftOut.unlisted {
            warnings.append(
                "auth provider '\(id)' comes from a config file but not this one: it still serves, as another replica's file may list it; once no replica's file does, disable or delete it through a replica started without it (the admin API, the dashboard, or gatehouse providers remove \(id))"
            )
        }
        for template in refused {
            warnings.append(
                "auth provider '\(template.id)' is served as inactive: it breaks a rule (\(template.reason))"
            )
        }
        let drain = ShutdownDrain(delay: configuration.shutdownDelay, logger: logger)
        let (app, endWaits) = try assemble(
            configuration: configuration, storage: storage, cipher: cipher, policy: policy, drain: drain, logger: logger,
            requestLog: requestLog ?? RequestLog(format: configuration.logFormat, level: configuration.logLevel),
            transport: transport, catalog: catalog, metrics: (metricsRegistry, telemetry), now: now,
            onListening: onListening)
        return BuiltApplication(app: app, endWaits: endWaits, drain: drain, newAPIKey: newAPIKey, warnings: warnings)
    } catch {
        // A start that fails after the storage opened releases it again.
        await storage.abandon()
        throw error
    }
}

/// Everything above the store: services, routes and the server; and what ends the server's
/// parked waits when it shuts down.
private func assemble(
    configuration: GatehouseConfiguration, storage: any Storage, cipher: TokenCipher,
    policy: (default: VerificationSetting, skipAllowed: Bool, warning: String?), drain: ShutdownDrain, logger: Logger,
    requestLog: RequestLog,
    transport: (any HTTPTransport)?, catalog: ProviderCatalog,
    metrics: (registry: PrometheusCollectorRegistry, telemetry: Telemetry), now: @escaping @Sendable () -> Date,
    onListening: @escaping @Sendable () async -> Void
) throws -> (some ApplicationProtocol, @Sendable () -> Void) {
    let store = storage.store(telemetry: metrics.telemetry)
    var origins = configuration.allowedRedirectOrigins
    if configuration.isLoopback, !configuration.hasConfigFile {
        origins += ["http://127.0.0.1:*", "http://localhost:*"]
    }
    if let verifier = configuration.verifierURL.flatMap(IssuerCheck.origin(of:)) { origins.append(verifier) }
    var settings = BrokerSettings(
        publicURL: configuration.effectivePublicURL, flowTTL: configuration.flowTTL,
        refreshSkew: configuration.refreshSkew, leaseDuration: configuration.refreshLease, allowedRedirectOrigins: origins,
        defaultVerification: policy.default, unsafeSkipAllowed: policy.skipAllowed,
        identityIssuer: configuration.oidc?.issuer)
    settings.revocationRetryInterval = configuration.revocationRetry.interval
    settings.revocationGiveUp = configuration.revocationRetry.giveUpAfter
    var services: [any Service] = []
    let outbound: any HTTPTransport
    if let transport {
        outbound = transport
    } else {
        let guarded = AsyncHTTPTransport(
            policy: configuration.providerNetworkPolicy, resolver: StaticHostsResolver(configuration.staticHosts))
        services.append(guarded)
        outbound = guarded
    }
    let (metricsRegistry, telemetry) = metrics
    let client = TemplateProviderClient(
        transport: outbound, defaultLifetime: configuration.defaultTokenLifetime, telemetry: telemetry, now: now)
    // What other replicas change reaches this one through the hub: flows wake parked
    // long-polls, and the provider, connection and key caches are dropped. On a shared store
    // the caches hold entries briefly until the listener's channel is first up.
    let hub = ChangeHub()
    let listener = storage.listener(hub: hub)
    // No listener: a store this process serves alone (`ServeLock` keeps a second `serve` off it).
    settings.soleServer = listener == nil
    let serverRecord = RunningServer.newKey()
    settings.serverRecord = serverRecord
    if listener != nil { telemetry.changeChannel(up: false) }
    let connectionCache = ConnectionCache(channelUp: listener == nil, telemetry: telemetry, now: now)
    let notifier = FleetNotifier(store: store, hub: hub)
    let registry = ProviderRegistry(
        store: store, cipher: cipher, catalog: catalog, telemetry: telemetry, connections: connectionCache,
        channelUp: listener == nil, fileProviders: configuration.providerIDs, notifier: notifier, now: now)
    let verification = VerificationSettingsService(store: store, settings: settings)
    let unknownKeys = UnknownKeyBudget(
        perSecond: configuration.limits.unknownKeyReadsPerSecond, burst: configuration.limits.unknownKeyBurst, logger: logger)
    let keys = APIKeyService(store: store, telemetry: telemetry, unknownKeys: unknownKeys, logger: logger, now: now)
    hub.register { change in
        switch change {
        case .providers: registry.invalidate()
        case .apiKeys: keys.forgetAll()
        case .connection(let id): connectionCache.forget(connectionID: id)
        case .everything, .channelLost:
            let up = change == .everything
            telemetry.changeChannel(up: up)
            registry.channel(up: up)
            keys.forgetAll()
            connectionCache.channel(up: up)
        case .flow: break
        }
    }
    // User verification through the app's own sign-in, when configured.
    let identity = configuration.oidc.map {
        OIDCVerifier(
            settings: $0, redirectURI: settings.publicURL + AuthBroker.identityCallbackPath, transport: outbound, now: now)
    }
    if let identity, let issuer = configuration.oidc?.issuer {
        services.append(OIDCStartupCheck(verifier: identity, issuer: issuer, logger: logger))
    }
    let broker = AuthBroker(
        store: store, notifier: notifier, providers: registry, client: client,
        cipher: cipher, settings: settings, verification: verification, connections: connectionCache,
        identity: identity, telemetry: telemetry, logger: logger, now: now)

    let limiter = KeyLimiter(limits: configuration.limits)
    // Every GET route answers HEAD too (RFC 9110 §9.1), with GET's headers; SwiftNIO's encoder
    // writes no body after a HEAD, an error's included.
    let router = Router(context: GatehouseRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestObserverMiddleware(log: requestLog, telemetry: telemetry))
    let routeMethods = RouteMethods()
    router.add(middleware: ErrorMiddleware(routeMethods: routeMethods))
    router.addRoutes(HealthRoutes(store: store, drain: drain).collection)
    router.addRoutes(OpenAPIRoutes().collection)
    router.addRoutes(BrowserRoutes(broker: broker).collection)
    // App keys reach /v1/auth/* (and Arcade's Coordinator alias, which third-party verifiers
    // call); only admin keys reach /v1/admin/*.
    let appKeys = APIKeyAuthenticator(keys: keys, limiter: limiter, requiredRole: .app)
    let adminKeys = APIKeyAuthenticator(keys: keys, limiter: limiter, requiredRole: .admin)
    let connections = ConnectionGuard(
        limits: configuration.limits, logger: logger, requestLog: requestLog, telemetry: telemetry, drain: drain)
    let auth = AuthRoutes(broker: broker, keys: keys, limiter: limiter, parked: connections.parked)
    router.group("v1").add(middleware: appKeys).addRoutes(auth.collection)
    router.group("api/v1/oauth").add(middleware: appKeys).addRoutes(auth.confirmUser)
    let audit = AuditTrail(logger: logger, telemetry: telemetry)
    router.group("v1/admin").add(middleware: adminKeys)
        .addRoutes(
            AdminRoutes(
                providers: registry, store: store, verification: verification, settings: settings, broker: broker,
                audit: audit
            ).collection
        )
        .addRoutes(SecretRoutes(store: store, cipher: cipher, now: now, audit: audit).collection)
    router.group("metrics").add(
        middleware: MetricsAuthenticator(
            token: configuration.metricsToken, adminKeys: adminKeys, guesses: ScrapeGuesses(logger: logger))
    )
    .addRoutes(
        MetricsRoutes(registry: metricsRegistry) { telemetry.openConnections(connections.open.load(ordering: .relaxed)) }
            .collection)
    router.addRoutes(
        DashboardRoutes(
            sessions: DashboardSessions(
                key: cipher.derivedKey(purpose: "dashboard-session"), secure: !configuration.isPublicURLLoopback),
            pages: try DashboardPages(), providers: registry, catalog: catalog, store: store, keys: keys,
            verification: verification, settings: settings, broker: broker, audit: audit, now: now
        ).collection)

    routeMethods.record(router.routes)

    let app = Application(
        responder: RequestTaskResponder(inner: router.buildResponder()),
        server: .http1(configuration: .init(additionalChannelHandlers: [connections.handler()], idleTimeout: nil)),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Gatehouse"),
        // A service group stops its services in the reverse of their order here. The storage's
        // start first and stop last; the outbound transport (and the check that calls the
        // identity provider) next, so that it is still open while the jobs that call providers
        // stop: a revocation cut off by a closed transport would count as a failed try.
        services: storage.services + [listener].compactMap { $0 } + services
            + [
                FlowJanitor(store: store, telemetry: metrics.telemetry, logger: logger, now: now),
                // Revocations of deleted connections' grants that failed, or never ended.
                RevocationRetrier(broker: broker),
                // What `reencrypt` checks: the root keys this server can open.
                ServerHeartbeat(
                    store: store, keyIDs: cipher.keyIDs, defaultKeyID: cipher.defaultKey.id, logger: logger,
                    key: serverRecord, now: now),
                // Says refusals over the connection cap as they go on.
                connections,
            ] as [any Service]
            + (configuration.refreshSweep.enabled
                ? [
                    RefreshSweep(
                        broker: broker, interval: configuration.refreshSweep.interval, window: configuration.refreshSweep.window,
                        idleAge: configuration.refreshSweep.idleAge)
                ] : []),
        // Once the socket is bound: a port in use must not be announced as listening.
        onServerRunning: { _ in await onListening() },
        logger: logger)
    return (app, broker.endWaits)
}
