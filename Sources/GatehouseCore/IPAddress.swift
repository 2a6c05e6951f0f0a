#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#else
    import Darwin
#endif

/// An IPv4 or IPv6 address as its bytes; IPv4-mapped IPv6 addresses read as IPv4.
package struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 bytes (IPv6).
    package let bytes: [UInt8]

    /// Parses a literal (`203.0.113.7`, `2001:db8::1`, `[::1]`); nil for anything else,
    /// including host names that merely start with digits (`127.attacker.example`).
    package init?(_ text: String) {
        var literal = Substring(text)
        if literal.hasPrefix("["), literal.hasSuffix("]") { literal = literal.dropFirst().dropLast() }
        var v4 = in_addr()
        if inet_pton(AF_INET, String(literal), &v4) == 1 {
            self.init(bytes: withUnsafeBytes(of: &v4) { Array($0) })
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, String(literal), &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        self.init(bytes: bytes)
    }

    /// Wraps raw bytes (4 or 16); mapped IPv4 (`::ffff:a.b.c.d`) becomes IPv4.
    package init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4: self.bytes = bytes
        case 16 where bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff:
            self.bytes = Array(bytes[12...])
        case 16: self.bytes = bytes
        default: return nil
        }
    }

    /// Whether this is an IPv4 address.
    package var isIPv4: Bool { bytes.count == 4 }

    /// The usual text form.
    package var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = isIPv4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A block of addresses in CIDR notation (`10.0.0.0/8`, `fc00::/7`).
package struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The first address.
    package let address: IPAddress
    /// The number of leading bits that must match.
    package let prefixLength: Int

    /// Parses `address/prefix`, or a bare address (a network of one).
    package init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let address = IPAddress(parts[0]) else { return nil }
        let bits = address.bytes.count * 8
        // A mapped IPv4 prefix (::ffff:10.0.0.0/104) counts from the IPv4 part.
        var length = bits
        if parts.count == 2 {
            guard let given = Int(parts[1]), given >= 0 else { return nil }
            length = address.isIPv4 && parts[0].contains(":") ? given - 96 : given
            guard (0...bits).contains(length) else { return nil }
        }
        self.address = address
        self.prefixLength = length
    }

    /// Whether an address lies in this block.
    package func contains(_ other: IPAddress) -> Bool {
        guard other.bytes.count == address.bytes.count else { return false }
        var remaining = prefixLength
        for (mine, theirs) in zip(address.bytes, other.bytes) where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xff : ~(0xff >> UInt8(remaining))
            if mine & mask != theirs & mask { return false }
            remaining -= 8
        }
        return true
    }

    /// `address/prefix`.
    package var description: String { "\(address)/\(prefixLength)" }
}
