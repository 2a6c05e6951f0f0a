/// Which addresses Gatehouse may connect to when it calls a provider.
///
/// Templates are written through the admin API, so a provider endpoint is attacker-influenced
/// input: without this check it could point Gatehouse (and the client secret it sends) at a
/// cloud metadata service, a database on the private network, or the host itself. Restricted
/// blocks are refused unless the operator lists them in `security.allowed_provider_networks`.
package struct ProviderNetworkPolicy: Sendable, Equatable {
    /// Blocks refused unless allowed, each with the word the refusal uses.
    package static let restricted: [(network: IPNetwork, kind: String)] = [
        ("0.0.0.0/8", "unspecified"), ("10.0.0.0/8", "private"), ("100.64.0.0/10", "shared (carrier-grade NAT)"),
        ("127.0.0.0/8", "loopback"), ("169.254.0.0/16", "link-local"), ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol assignment"), ("192.168.0.0/16", "private"), ("198.18.0.0/15", "benchmarking"),
        ("224.0.0.0/4", "multicast"), ("240.0.0.0/4", "reserved"), ("::/128", "unspecified"), ("::1/128", "loopback"),
        ("fe80::/10", "link-local"), ("fec0::/10", "site-local"), ("fc00::/7", "private"), ("ff00::/8", "multicast"),
        ("2001::/32", "Teredo"),
    ].map { (IPNetwork($0.0)!, $0.1) }

    // IPv6 forms that carry an IPv4 address a gateway may forward to: NAT64 (RFC 6052, 8215),
    // IPv4-compatible (::a.b.c.d) and 6to4 (2002:aabb:ccdd::). The embedded address is checked too.
    private static let embedding: [(network: IPNetwork, offset: Int)] = [
        (IPNetwork("64:ff9b::/96")!, 12), (IPNetwork("64:ff9b:1::/48")!, 12), (IPNetwork("::/96")!, 12),
        (IPNetwork("2002::/16")!, 2),
    ]

    /// The loopback blocks, which the no-config quick start allows.
    package static let loopback: [IPNetwork] = [IPNetwork("127.0.0.0/8")!, IPNetwork("::1/128")!]

    /// Restricted blocks the operator allows.
    package var allowed: [IPNetwork]

    /// Creates a policy that allows these blocks on top of every public address.
    package init(allowed: [IPNetwork] = []) {
        self.allowed = allowed
    }

    /// Why an address is refused, or nil when Gatehouse may connect to it.
    package func refusal(for address: IPAddress) -> String? {
        if allowed.contains(where: { $0.contains(address) }) { return nil }
        if let block = Self.restricted.first(where: { $0.network.contains(address) }) {
            return
                "\(address) is a \(block.kind) address (\(block.network)); list it in security.allowed_provider_networks to allow it"
        }
        for form in Self.embedding where form.network.contains(address) {
            let inner = IPAddress(bytes: Array(address.bytes[form.offset..<(form.offset + 4)]))!
            if let reason = refusal(for: inner) { return "\(address) carries \(inner): \(reason)" }
        }
        return nil
    }

    /// Whether a URL with this scheme and host may carry tokens and secrets: https, or plain
    /// http on literal loopback only, so nothing secret crosses a network in the clear
    /// (`127.attacker.example` is a name anyone can point anywhere).
    package static func mayCarrySecrets(scheme: String, host: String) -> Bool {
        scheme == "https" || (scheme == "http" && isLiteralLoopback(host: host))
    }

    /// Whether a URL host is a literal loopback name: `localhost`, an IPv4 literal in
    /// 127.0.0.0/8, or `::1`. A name such as `127.attacker.example` is not.
    package static func isLiteralLoopback(host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        guard let address = IPAddress(host) else { return false }
        return loopback.contains { $0.contains(address) }
    }
}
