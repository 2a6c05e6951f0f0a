import GatehouseCore
import Testing

@Suite struct ProviderNetworkPolicyTests {
    @Test(arguments: [
        ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("172.31.255.255", "private"), ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"), ("127.0.0.1", "loopback"), ("127.9.9.9", "loopback"), ("0.0.0.0", "unspecified"),
        ("::1", "loopback"), ("::", "unspecified"), ("fe80::1", "link-local"), ("fd00::5", "private"),
        ("::ffff:10.0.0.1", "private"), ("::ffff:169.254.169.254", "link-local"), ("64:ff9b::a00:5", "private"),
        ("64:ff9b:1::a9fe:a9fe", "link-local"), ("::10.0.0.1", "private"), ("2002:7f00:1::", "loopback"),
        ("fec0::1", "site-local"), ("2001:0:4136:e378::1", "Teredo"), ("198.18.0.1", "benchmarking"),
        ("240.0.0.1", "reserved"), ("192.0.0.8", "IETF"),
    ])
    func restrictedAddressesAreRefusedByDefault(address: String, kind: String) throws {
        let ip = try #require(IPAddress(address))
        let refusal = try #require(ProviderNetworkPolicy().refusal(for: ip))
        #expect(refusal.contains(kind) && refusal.contains("security.allowed_provider_networks"))
    }

    @Test(arguments: [
        "8.8.8.8", "172.32.0.1", "192.169.0.1", "2001:4860:4860::8888", "100.128.0.1", "64:ff9b::808:808", "2002:808:808::",
    ])
    func publicAddressesPass(address: String) throws {
        #expect(ProviderNetworkPolicy().refusal(for: try #require(IPAddress(address))) == nil)
    }

    @Test func allowedNetworksOpenOnlyTheirBlock() throws {
        let policy = ProviderNetworkPolicy(allowed: [try #require(IPNetwork("127.0.0.1/32"))])
        #expect(policy.refusal(for: try #require(IPAddress("127.0.0.1"))) == nil)
        #expect(policy.refusal(for: try #require(IPAddress("127.0.0.2"))) != nil)
        #expect(policy.refusal(for: try #require(IPAddress("::1"))) != nil)
        let loopback = ProviderNetworkPolicy(allowed: ProviderNetworkPolicy.loopback)
        #expect(loopback.refusal(for: try #require(IPAddress("::1"))) == nil)
        #expect(loopback.refusal(for: try #require(IPAddress("10.0.0.1"))) != nil)
    }

    @Test(arguments: [
        ("localhost", true), ("127.0.0.1", true), ("127.1.2.3", true), ("::1", true), ("[::1]", true),
        ("127.attacker.example", false), ("127.0.0.1.nip.io", false), ("localhost.attacker.example", false),
        ("128.0.0.1", false), ("0x7f.0.0.1", false),
    ])
    func onlyLiteralLoopbackCountsAsLoopback(host: String, loopback: Bool) {
        #expect(ProviderNetworkPolicy.isLiteralLoopback(host: host) == loopback)
    }

    @Test func networksParseAndRefuseNonsense() {
        #expect(IPNetwork("10.0.0.0/8")?.prefixLength == 8)
        #expect(IPNetwork("fc00::/7")?.prefixLength == 7)
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPNetwork("example.com/8") == nil)
        #expect(IPAddress("2001:db8::1")?.description == "2001:db8::1")
    }
}
