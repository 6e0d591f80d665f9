import CongressCore
import CongressStore
import Foundation
import Logging
import PostgresNIO
import Testing

/// Bulk writes go to PostgreSQL in statements of bounded size, whatever the input's size (issue 20: a national seed's
/// one statement passed PostgreSQL's 1 GB message limit). A real message over 1 GB would take minutes to build; a small
/// budget shows the same splitting on a few MB.
@Suite struct BulkWriteTests {
    static let small = BulkBudget(rows: 400, bytes: 8 << 10)

    @Test func chunksKeepToTheBudgetsRowsAndBytesAndCoverEveryItemInOrder() {
        let budget = BulkBudget(rows: 3, bytes: 100)
        // 40+40 fit, a third 40 would not; three rows are the most; 500 is over the budget alone and goes alone.
        let sizes = [40, 40, 40, 10, 10, 10, 10, 500, 1]
        #expect(budget.chunks(sizes) { $0 } == [0..<2, 2..<5, 5..<7, 7..<8, 8..<9])
        #expect(budget.chunks([Int]()) { $0 }.isEmpty)
        #expect(budget.chunks(count: 0).isEmpty)
        #expect(BulkBudget(rows: 3, bytes: 1 << 20).chunks(count: 7) == [0..<3, 3..<6, 6..<7])
        #expect(BulkBudget.standard.chunks(texts: ["a", "b"]) == [0..<2])
    }

    /// The seed's records of a county, imported once with the standard budget and once with a small one: the small one
    /// takes several statements per kind, and both databases then hold the same rows and the same change log.
    @Test func anImportOverTheBudgetGoesInSeveralStatementsAndStoresWhatOneStatementWould() async throws {
        let records = try Self.countyRecords()
        let bodies = try records.deputies.map { String(decoding: try JSONEncoder().encode($0.body), as: UTF8.self) }
        let statements = Self.small.chunks(texts: bodies)
        #expect(bodies.reduce(0) { $0 + $1.utf8.count } > 8 * Self.small.bytes)
        #expect(statements.count > 8)
        #expect(BulkBudget.standard.chunks(texts: bodies).count == 1)
        for chunk in statements where chunk.count > 1 {
            #expect(bodies[chunk].reduce(0) { $0 + $1.utf8.count } <= Self.small.bytes)
            #expect(chunk.count <= Self.small.rows)
        }

        var stored: [[String]] = []
        for budget in [BulkBudget.standard, Self.small] {
            let database = try await TestDatabase.make()
            stored.append(
                try await TestDatabase.withClient(on: database) { client in
                    try await Migrations.apply(on: client, logger: TestDatabase.quietLogger)
                    let store = RecordStore(client: client, node: Self.node, logger: TestDatabase.quietLogger, budget: budget)
                    #expect(try await store.importRecords(Self.prepared(records.units)).created == records.units.count)
                    #expect(try await store.importRecords(Self.prepared(records.stations)).created == records.stations.count)
                    #expect(try await store.importRecords(Self.prepared(records.deputies)).created == records.deputies.count)
                    // Each assignment names a deputy and a station, looked up in chunks too.
                    #expect(try await store.importRecords(Self.prepared(records.assignments)).created == records.assignments.count)
                    // Importing the same again changes nothing, read back in chunks.
                    #expect(try await store.importRecords(Self.prepared(records.deputies)).unchanged == records.deputies.count)
                    return try await Self.contents(client)
                }
            )
        }
        #expect(stored[0].count == 2 * (records.units.count + records.stations.count + records.deputies.count + records.assignments.count))
        #expect(stored[1] == stored[0])
    }

    /// An import is all or nothing: a refusal in its last statement takes back the statements before it.
    @Test func aChunkedImportRefusedInItsLastStatementWritesNothing() async throws {
        let units = try Self.countyRecords().units
        #expect(units.count > 3 * 10)
        let database = try await TestDatabase.make()
        try await TestDatabase.withClient(on: database) { client in
            try await Migrations.apply(on: client, logger: TestDatabase.quietLogger)
            let budget = BulkBudget(rows: 10, bytes: 64 << 10)
            let store = RecordStore(client: client, node: Self.node, logger: TestDatabase.quietLogger, budget: budget)
            _ = try await store.importRecords(Self.prepared([units[0]]))
            let before = try await Self.contents(client)
            // The first village again under a new id: PostgreSQL's index of live village codes refuses the last chunk.
            var twin = units[0]
            twin.id = UUID()
            let batch = Array(units.dropFirst()) + [twin]
            #expect(budget.chunks(count: batch.count).count > 3)
            await #expect(throws: StoreError.self) { try await store.importRecords(Self.prepared(batch)) }
            #expect(try await Self.contents(client) == before)
        }
    }

    static let node = RegionCode("420802")!

    /// What `congress seed --scale city` writes at 东宝区 of the real topology.
    static func countyRecords() throws -> SyntheticRecords {
        let topology = try TopologyLoader.load(contentsOf: Repository.root.appendingPathComponent("config/topology.yaml").path).topology
        return SyntheticRecords(
            topology: topology,
            node: node,
            scale: .city,
            seed: 20,
            sharedPersons: 0.2,
            personKeys: PersonKeyDeriver(provinceKey: "bulk-write-test", rounds: 1),
            today: CalendarDate("2026-11-22")!,
            activityYears: 0
        )
    }

    /// Validated as the seed validates them.
    static func prepared<Body: RecordBody>(_ records: [SyntheticRecord<Body>]) throws -> [PreparedRecord<Body>] {
        try records.map { record in
            var body = record.body
            let region = try body.validate(regionCode: record.regionCode, node: node)
            return PreparedRecord(id: record.id, regionCode: region, body: body)
        }
    }

    /// Every record row and change-log row, but for the moment each was written, sorted.
    static func contents(_ client: PostgresClient) async throws -> [String] {
        let records = ["units", "stations", "deputies", "assignments"].map { table in
            "SELECT concat_ws('|', '\(table)', id, origin, region_code, version, deleted, body, former_region_codes) FROM \(table)"
        }
        let log = "SELECT concat_ws('|', seq, kind, record_id, origin, region_code, version, deleted) FROM change_log"
        var rows: [String] = []
        let sql = (records + [log]).joined(separator: " UNION ALL ")
        for try await row in try await client.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.quietLogger).decode(String.self) {
            rows.append(row)
        }
        return rows.sorted()
    }
}
