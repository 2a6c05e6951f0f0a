import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

@testable import GatehouseOIDC
@testable import GatehouseServer

// An ID token's times are judged by the verifier's clock, the one the server injects.
extension OIDCVerificationTests {
    /// An OpenID Provider signing alice in with key k1, and a sign-in through it on `clock`.
    func aliceSignsIn(on clock: TestClock) async throws -> (
        op: FakeOpenIDProvider, transport: ScriptedTransport, signIn: @Sendable () async throws -> String
    ) {
        let op = FakeOpenIDProvider()
        try await op.addKey(kid: "k1")
        op.user.withLock { $0 = ["sub": .string("alice")] }
        let transport = ScriptedTransport()
        op.serve(on: transport)
        return (op, transport, verifier(op, transport, now: clock.now))
    }

    @Test func anIDTokensTimesAreJudgedByTheInjectedClock() async throws {
        let clock = TestClock()
        let signIn = try await aliceSignsIn(on: clock).signIn
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
