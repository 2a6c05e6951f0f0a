import GatehouseCore
import Testing

/// Stored hashes are SHA-256 in lower-case hex: what is in existing databases must still match.
struct SecretHashTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("arc_é✓", "989573222ceaf91926196823c3244999129aa90cb48eacea4c6950fb4543baf2"),
    ])
    func hexIsTheLowerCaseSHA256OfTheUTF8Bytes(secret: String, expected: String) {
        #expect(SecretHash.hex(secret) == expected)
    }
}
