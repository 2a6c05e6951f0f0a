import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

@testable import GatehouseOIDC
@testable import GatehouseServer

// An ID token's times are judged by the verifier's clock, the one the server injects.
extension OIDCVerificationTests {
    @Test func anIDTokensTimesAreJudgedByTheInjectedClock() async throws {
        let op = FakeOpenIDProvider()
        try await op.addKey(kid: "k1")
        op.user.withLock { $0 = ["sub": .string("alice")] }
        let transport = ScriptedTransport()
        op.serve(on: transport)
        let clock = TestClock()
        let signIn = verifier(op, transport, now: clock.now)
        #expect(try await signIn() == "alice")
        // The provider's tokens last 300 s: seven minutes on (past the minute of skew), one it
        // issued just now has expired by the server's clock, whatever the machine's says.
        clock.advance(by: 420)
        await #expect(throws: IdentityVerificationError.self) { try await signIn() }
        // A day back, the same token was issued in the future.
        clock.advance(by: -420 - 86_400)
        await #expect(throws: IdentityVerificationError.self) { try await signIn() }
    }
}
