import GatehouseCore
import Testing

/// Which build may run on which schema.
@Suite struct SchemaCompatibilityTests {
    @Test func aMigrationThatOnlyAddsKeepsTheFloorOfTheOneBefore() {
        #expect(SchemaCompatibility.oldestReaders(additive: []) == [])
        // The first makes the schema, whatever it says.
        #expect(SchemaCompatibility.oldestReaders(additive: [true]) == [1])
        #expect(SchemaCompatibility.oldestReaders(additive: [false, true, true]) == [1, 1, 1])
        #expect(SchemaCompatibility.oldestReaders(additive: [false, false, true, false, true, true]) == [1, 2, 2, 4, 4, 4])
    }

    @Test func aBuildMigratesAnOlderSchemaRunsOnANewerOneThatOnlyAddedAndRefusesTheRest() {
        #expect(SchemaCompatibility.decide(version: 0, oldestReader: 0, known: 3) == .migrate(applied: 0))
        #expect(SchemaCompatibility.decide(version: 2, oldestReader: 1, known: 3) == .migrate(applied: 2))
        #expect(SchemaCompatibility.decide(version: 3, oldestReader: 3, known: 3) == .migrate(applied: 3))
        #expect(SchemaCompatibility.decide(version: 5, oldestReader: 3, known: 3) == .runOnNewer(version: 5))
        #expect(SchemaCompatibility.decide(version: 5, oldestReader: 1, known: 3) == .runOnNewer(version: 5))
        guard case .refuse(let message) = SchemaCompatibility.decide(version: 5, oldestReader: 4, known: 3) else {
            Issue.record("a schema that needs a build knowing 4 was not refused by one knowing 3")
            return
        }
        #expect(message.contains("version 5") && message.contains("knows (3)") && message.contains("4 or more"))
    }
}
