// A key the config file does not know, said so that a value typed as a key is not repeated: a
// missing ':' (`token s3cr3t`, `client_secret=s3cr3t`) makes the secret part of the key's name.
extension ConfigurationLoader {
    /// Whether `key` reads as a setting's name: letters, digits, `_`, `-` and `.`, 64 at most.
    static func looksLikeAName(_ key: String) -> Bool {
        !key.isEmpty && key.count <= 64
            && key.unicodeScalars.allSatisfy(isNameCharacter)
    }

    private static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || scalar == "_" || scalar == "-" || scalar == "."
    }

    /// The refusal of `key` under `path`, which knows `known` (sorted into the message). A key
    /// that does not read as a name is not quoted: it may hold a value typed without its ':'.
    static func unknownSetting(_ key: String, in path: String, known: Set<String>) -> ConfigurationError {
        let list = known.sorted().joined(separator: ", ")
        guard looksLikeAName(key) else {
            let place = path.isEmpty ? "the config file" : path
            return ConfigurationError(
                description:
                    "\(place) has a key that is not a known setting, with a space, '=' or another character no setting's name has: is a ':' missing after a name? (The key is not shown: it may hold a value. Known: \(list))"
            )
        }
        return ConfigurationError(description: "\(path.isEmpty ? key : "\(path).\(key)") is not a known setting (known: \(list))")
    }
}
