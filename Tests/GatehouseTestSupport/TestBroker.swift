import Foundation
import GatehouseCore
import Logging

/// A broker on `store` with what most tests leave as it is: a registry of no built-in
/// providers, the counting provider client, a fresh root key, and user verification skipped.
package func testBroker(store: any Store, notifier: any Notifier = LocalNotifier()) throws -> AuthBroker {
    let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
    return AuthBroker(
        store: store, notifier: notifier,
        providers: ProviderRegistry(store: store, cipher: cipher, catalog: ProviderCatalog([])),
        client: CountingProviderClient(), cipher: cipher,
        settings: BrokerSettings(
            publicURL: "http://gh", defaultVerification: VerificationSetting(verifierURL: nil, unsafeSkip: true),
            unsafeSkipAllowed: true),
        logger: Logger(label: "test"))
}
