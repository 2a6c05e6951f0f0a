import Logging

/// What a store does with the schema it finds at start, by how many migrations this build knows
/// and which of them keep older builds working.
///
/// Each applied migration is recorded with the oldest build that can still run on the schema it
/// leaves, counted in migrations known (`oldest_reader`). A migration marked additive keeps the
/// floor of the one before it; any other raises the floor to itself. So a replica of the version
/// before may restart during a rolling upgrade, or be rolled back to, while every migration
/// since it is additive.
///
/// Additive means that a build that predates the migration may ignore what it made and still be
/// right: a nullable column or a table it never reads, or an index that is not unique. The newer
/// build must accept the new column empty, as it accepts rows from before its upgrade. Not
/// additive: a unique index or a constraint (an older build's writes could fail), a rename, a
/// change of type, rows rewritten, and anything an older build must honour to be safe (say so
/// beside the flag when a table has that role only during a rollout).
package enum SchemaCompatibility {
    /// What to do at start.
    package enum Decision: Equatable, Sendable {
        /// Apply the migrations after `applied` (none when it is `known`).
        case migrate(applied: Int)
        /// The schema is newer than this build knows, and its later migrations only added: run
        /// on it as it is, migrating nothing.
        case runOnNewer(version: Int)
        /// The schema needs a newer build: refuse to start, with this message.
        case refuse(String)
    }

    /// Decides from the schema's version (the highest migration applied), the oldest reader its
    /// migrations recorded, and how many migrations this build knows.
    package static func decide(version: Int, oldestReader: Int, known: Int) -> Decision {
        if version <= known { return .migrate(applied: version) }
        if oldestReader <= known { return .runOnNewer(version: version) }
        return .refuse(
            "the database schema is version \(version), newer than this Gatehouse knows (\(known)), and it needs a "
                + "Gatehouse that knows \(oldestReader) or more: run a newer Gatehouse")
    }

    /// The oldest reader to record for each migration, in order, given whether each one only adds.
    /// The first migration makes the schema, so it needs a build that knows it.
    package static func oldestReaders(additive: [Bool]) -> [Int] {
        var floor = 1
        return additive.enumerated().map { index, onlyAdds in
            if !onlyAdds || index == 0 { floor = index + 1 }
            return floor
        }
    }

    /// What a store does at start, as both stores do it: the migrations applied, after which
    /// this build goes on; nil when it runs on a newer schema as it is (said at notice); throws
    /// when the schema needs a newer build.
    package static func applied(version: Int, oldestReader: Int, known: Int, logger: Logger) throws -> Int? {
        switch decide(version: version, oldestReader: oldestReader, known: known) {
        case .refuse(let message): throw GatehouseError(.internalError, message)
        case .migrate(let applied): return applied
        case .runOnNewer(let version):
            logger.notice(
                "the database schema is version \(version), newer than this Gatehouse knows (\(known)); its later migrations only added, so this Gatehouse runs on it without them: finish the rollout to the newer Gatehouse"
            )
            return nil
        }
    }
}
