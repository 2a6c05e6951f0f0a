import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#else
    import Darwin
#endif

/// Keeps the data directory (0700) and the database files (0600) private, whoever made them.
///
/// A file of ours that is wider is tightened; a wider file that someone else owns cannot be
/// fixed from here, so Gatehouse refuses to start and says what to run.
enum DataFilePermissions {
    /// Creates the directory (0700) if needed, then checks or tightens it.
    /// With `onlyIfMade`, a directory that exists already is left as it is: one Gatehouse was not
    /// named to own (the directory a database path names, such as `/var/lib`), whose mode is
    /// not Gatehouse's to change; the files in it are made private one by one.
    static func secureDirectory(_ path: String, onlyIfMade: Bool = false) throws {
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } else if onlyIfMade {
            return
        }
        try secure(path, mode: 0o700, fix: "chmod 700")
    }

    /// Creates the database file (0600) if needed, so SQLite's `-wal` and `-shm` files, which
    /// take the database file's mode, are private from the start; then checks all three.
    static func secureDatabase(_ path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT, 0o600)
        guard fd >= 0 else {
            throw ConfigurationError(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        close(fd)
        try secure(path, mode: 0o600, fix: "chmod 600")
        try secureSidecars(of: path)
    }

    /// Checks the `-wal` and `-shm` files, where they exist.
    static func secureSidecars(of path: String) throws {
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            try secure(path + suffix, mode: 0o600, fix: "chmod 600", mayVanish: true)
        }
    }

    private static func secure(_ path: String, mode: mode_t, fix: String, mayVanish: Bool = false) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            // SQLite removes a `-wal` file when another process's last connection closes.
            if mayVanish, errno == ENOENT { return }
            throw ConfigurationError(description: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        let current = info.st_mode & 0o777
        guard current & ~mode != 0 else { return }
        if info.st_uid == geteuid() {
            guard chmod(path, mode) == 0 else {
                throw ConfigurationError(
                    description: "\(path) is mode \(octal(current)) and cannot be tightened: run `\(fix) \(path)`")
            }
            return
        }
        throw ConfigurationError(
            description:
                "\(path) is mode \(octal(current)) and owned by uid \(info.st_uid), not by this user (uid \(geteuid())): run `\(fix) \(path)` as its owner, or `chown` it to the user that runs Gatehouse"
        )
    }

    private static func octal(_ mode: mode_t) -> String {
        "0" + String(mode, radix: 8)
    }
}
