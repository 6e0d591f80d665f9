import CongressCore
import Testing

@Suite struct ReplicationSchemaTests {
    /// A kind added to the registry without a new replication schema version would go up to parents that cannot
    /// store it: the newest version must carry every kind this build has.
    @Test func theNewestVersionCarriesEveryKind() {
        #expect(SchemaHistory.thisRelease.current.kinds == Set(RecordKind.allCases))
    }

    @Test func versionsAreNumberedInOrderAndEachHashIsDistinct() {
        let versions = SchemaHistory.thisRelease.versions
        #expect(versions.map(\.version) == Array(1...versions.count))
        #expect(Set(versions.map(\.hash)).count == versions.count)
        // Kinds are only ever added: a version reads everything the one before it did.
        for (older, newer) in zip(versions, versions.dropFirst()) { #expect(older.kinds.isSubset(of: newer.kinds)) }
    }

    @Test func aNodeSpeaksItsOwnVersionAndTheTwoBefore() {
        let five = SchemaHistory(Array(repeating: .init(adds: RecordKind.allCases), count: 5))
        #expect(five.oldestSpoken == 3)
        #expect(five.release(upTo: 2).current.version == 2)
        #expect(five.release(upTo: 2).oldestSpoken == 1)
        #expect(five.schema(6) == nil && five.schema(0) == nil)
        // A release's history is a prefix of the later one's: the same versions, the same hashes.
        #expect(five.release(upTo: 3).versions == Array(five.versions.prefix(3)))
    }

    @Test func releasesCompareByTheirNumbers() {
        #expect(CongressRelease.isOlder("1.9.2", than: "1.10.0"))
        #expect(!CongressRelease.isOlder("1.10.0", than: "1.9.2"))
        #expect(!CongressRelease.isOlder("1.1", than: "1.1.0"))
        #expect(CongressRelease.isOlder(nil, than: "1.0.0"), "a wave-1 node names no release")
    }
}
