import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One `serve` per SQLite file: its store, its caches and its parked waits live in one process
/// (other replicas' changes reach a process only through PostgreSQL's channel). A second
/// `serve` on the same file would answer from caches the first one's writes never reach. The
/// lock is `flock` on a file beside the database, held until the process ends, however it ends;
/// `gatehouse keys` and the other commands do not take it.
struct ServeLock {
    /// The lock file, and the database it is beside.
    let path: String
    let database: String
    /// The directories this start made for them, innermost first.
    let madeDirectories: [String]

    /// Takes the lock for `database`, or says which process holds it.
    static func acquire(beside database: String) throws -> ServeLock {
        let path = database + ".serve-lock"
        // A first start makes the directory as the store would (private; checked again there).
        let directory = (database as NSString).deletingLastPathComponent
        var made: [String] = []
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            // Each level this start makes, innermost first, to take back in that order.
            var missing = directory
            while !missing.isEmpty, missing != "/", !FileManager.default.fileExists(atPath: missing) {
                made.append(missing)
                missing = (missing as NSString).deletingLastPathComponent
            }
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ServeCommand.refusal("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            throw ServeCommand.refusal(
                "another gatehouse serve (pid \(holder ?? "unknown")) uses \(database): a SQLite store serves one process at a time; stop that one, or run replicas on PostgreSQL (docs/operations.md)"
            )
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        // The descriptor stays open: the lock lasts as long as the process.
        return ServeLock(path: path, database: database, madeDirectories: made)
    }

    /// After a start refused before the store was made: removes the lock file, and the
    /// directories this start made that nothing else is in, so a refused first start leaves
    /// nothing behind. With a database there, the lock file stays beside it as after any stop.
    func withdraw() {
        guard !FileManager.default.fileExists(atPath: database) else { return }
        unlink(path)
        // rmdir removes only an empty directory: one something else was put in stays.
        for directory in madeDirectories where rmdir(directory) != 0 { break }
    }
}
