import CongressCore
import CongressStore
import Foundation
import Testing

@testable import CongressServer

/// Storage that follows the live records, not their history (issue 20): compaction leaves each record's newest change-log
/// entry, never touches what the parent has not acknowledged, drops tombstones past their retention once acknowledged,
/// and a new parent still gets every live record once.
@Suite struct CompactionTests {
    /// The township's import of deputies `ids`, all named for `round`: the first creates them, each later one updates
    /// every one of them.
    static func importRound(_ round: Int, of ids: [String], at node: APIClient) async throws {
        let items = ids.map {
            Fixture.deputy(name: "代表\(round)", region: "420802101", level: "township", congress: "420802101", extra: #", "id": "\#($0)""#)
        }
        let reply = try await node.send(.post, "/v1/deputies/import", json: "[\(items.joined(separator: ","))]")
        #expect(reply.status == .ok, "\(reply.body)")
    }

    /// Whether `node` holds deputy `id` as a tombstone (nil: not at all).
    static func tombstone(_ id: String, at node: APIClient) async throws -> Bool? {
        try await node.held("deputies").first { $0.key.lowercased() == id.lowercased() }.map { $0.value.contains("deleted=true") }
    }

    static func logEntries(_ node: TestNode, where condition: String = "true") async throws -> Int {
        Int(try await TestDatabase.texts("SELECT count(*)::text FROM change_log WHERE \(condition)", on: node.database).first ?? "") ?? -1
    }

    /// One compaction of `node`'s database, as its scheduled pass or `congress compact` runs it.
    static func compact(_ node: TestNode, parent: String?, retentionDays: Int = 30, window: Int = 10_000) async throws -> CompactionCounts {
        try await TestDatabase.withClient(on: node.database) { client in
            try await ChangeLogCompactor(
                client: client,
                node: node.node,
                logger: TestDatabase.quietLogger,
                tombstoneRetentionDays: retentionDays,
                windowSize: window
            )
            .compact(parent: parent.flatMap(RegionCode.init))
        }
    }

    @Test func tenUpdatesOfEachRecordLeaveOneEntryEachAndANewParentGetsEachOnce() async throws {
        let federation = try await TestFederation.make()
        let count = 1_000
        let ids = (0..<count).map { _ in UUID().uuidString.lowercased() }
        try await TestFederation.serve([federation.city, federation.township]) { clients in
            let township = clients[1]
            try await federation.county.serve(configure: TestFederation.live) { county in
                for round in 0...10 {
                    try await Self.importRound(round, of: ids, at: township)
                    let pushed = try await township.sync()
                    #expect(pushed.error == nil)
                    #expect(pushed.changes == count)
                    // Each push's compaction reads what was logged since the last one, and finds there what it supersedes.
                    #expect(pushed.compacted == (round == 0 ? 0 : Int64(count)), "round \(round)")
                    #expect(try await county.sync().error == nil)
                }
                #expect(try await Self.logEntries(federation.township) == count)
                #expect(try await Self.logEntries(federation.county) == count)
                #expect(try await MetricsTests.metrics(township).contains("congress_change_log_compacted_total \(10 * count)\n"))
            }
            // The city is the root: nothing above acknowledges, everything superseded goes (a window at a time).
            #expect(try await Self.logEntries(federation.city) == 11 * count)
            let atRoot = try await Self.compact(federation.city, parent: nil, window: 3_000)
            #expect(atRoot.superseded == Int64(10 * count))
            #expect(try await Self.logEntries(federation.city) == count)

            // A new county on an empty database: the township is asked to rewind to 0 and sends each live record once.
            let restored = try await TestNode.make(node: "420802", topologyYAML: federation.yaml, federationSecrets: [federation.county.secrets])
            try await restored.serve(configure: TestFederation.live) { _ in
                let resent = try await township.sync()
                #expect(resent.error == nil)
                #expect(resent.rewinds == 1)
                #expect(resent.changes == count)
                #expect(resent.applied == count)
                let held = try await SyncFaultTests.records(on: restored.database)
                #expect(held == (try await SyncFaultTests.records(on: federation.township.database)))
                #expect(held.count == count)
                #expect(try await TestDatabase.texts("SELECT DISTINCT body ->> 'name' FROM deputies", on: restored.database) == ["代表10"])
                #expect(try await Self.logEntries(restored) == count)
            }
        }
    }

    @Test func compactionLeavesWhatTheParentHasNotAcknowledged() async throws {
        let federation = try await TestFederation.make()
        let ids = (0..<50).map { _ in UUID().uuidString.lowercased() }
        try await federation.run { _, county, township in
            try await Self.importRound(0, of: ids, at: township)
            try await Self.importRound(1, of: ids, at: township)
            #expect(try await township.sync().compacted == 50)
            let acked = try await TestDatabase.texts("SELECT acked_seq::text FROM sync_upstream", on: federation.township.database)[0]

            // The tail: another update of every record and a deletion, not pushed yet.
            try await Self.importRound(2, of: ids, at: township)
            #expect(try await township.send(.delete, "/v1/deputies/\(ids[0])").status == .ok)
            let tail = "SELECT seq || ' ' || record_id || ' v' || version || ' ' || deleted FROM change_log WHERE seq > \(acked) ORDER BY seq"
            let before = try await TestDatabase.texts(tail, on: federation.township.database)
            #expect(before.count == 51)
            let done = try await Self.compact(federation.township, parent: "420802", retentionDays: 0)
            #expect(done == CompactionCounts(superseded: 0, tombstones: 0, compactedThrough: Int64(acked)!))
            #expect(try await TestDatabase.texts(tail, on: federation.township.database) == before)
            #expect(try await Self.logEntries(federation.township) == 50 + 51)

            // Pushed, the tail is acknowledged: the tombstone has travelled, and then goes here.
            let pushed = try await township.sync()
            #expect(pushed.changes == 50)
            #expect(pushed.compacted == 51)
            #expect(try await Self.tombstone(ids[0], at: county) == true)
            #expect(try await Self.compact(federation.township, parent: "420802", retentionDays: 0).tombstones == 1)
            #expect(
                try await TestDatabase.texts("SELECT count(*)::text FROM deputies WHERE id = '\(ids[0])'", on: federation.township.database) == ["0"]
            )
            #expect(try await Self.logEntries(federation.township) == 49)
        }
    }

    @Test func tombstonesPastTheRetentionAndAcknowledgedGoYoungerOrUnacknowledgedOnesStay() async throws {
        let federation = try await TestFederation.make()
        try await federation.run { city, county, township in
            var ids: [String] = []
            for index in 0..<5 {
                ids.append(
                    try await township.create(
                        "deputies",
                        Fixture.deputy(name: "代表\(index)", region: "420802101", level: "township", congress: "420802101")
                    ).lowercased()
                )
            }
            for id in ids.prefix(3) { #expect(try await township.send(.delete, "/v1/deputies/\(id)").status == .ok) }
            // Deleted 40 days ago at the township (the default retention is 30 days), and today.
            let old = "('\(ids[0])', '\(ids[1])')"
            let backdate = "UPDATE change_log SET logged_at = now() - interval '40 days' WHERE record_id IN \(old) RETURNING ''"
            _ = try await TestDatabase.texts(backdate, on: federation.township.database)
            let pushed = try await township.sync()
            #expect(pushed.error == nil)
            #expect(pushed.tombstonesDropped == 2)
            let atTownship = "SELECT id || ' ' || deleted FROM deputies ORDER BY id"
            #expect(
                try await TestDatabase.texts(atTownship, on: federation.township.database)
                    == [ids[2] + " true", ids[3] + " false", ids[4] + " false"].sorted()
            )
            #expect(try await Self.logEntries(federation.township, where: "record_id IN \(old)") == 0)
            // The county got the three tombstones, logged there today.
            for id in ids.prefix(3) { #expect(try await Self.tombstone(id, at: county) == true) }

            // Deleted long ago but not acknowledged yet: it stays, and travels with the next push.
            #expect(try await township.send(.delete, "/v1/deputies/\(ids[3])").status == .ok)
            let older = "UPDATE change_log SET logged_at = now() - interval '40 days' WHERE record_id = '\(ids[3])' RETURNING ''"
            _ = try await TestDatabase.texts(older, on: federation.township.database)
            #expect(try await Self.compact(federation.township, parent: "420802").tombstones == 0)
            #expect(try await TestDatabase.texts(atTownship, on: federation.township.database).contains(ids[3] + " true"))
            #expect(try await township.sync().tombstonesDropped == 1)
            #expect(try await Self.tombstone(ids[3], at: county) == true)
            #expect(try await MetricsTests.metrics(township).contains("congress_tombstones_dropped_total 3\n"))
            let audited = "SELECT outcome FROM audit_log WHERE actor = 'node' AND action = 'drop tombstones past retention' ORDER BY seq"
            #expect(
                try await TestDatabase.texts(audited, on: federation.township.database) == [
                    "tombstones 2, cases among them 0", "tombstones 1, cases among them 0",
                ]
            )

            // At the county the clock runs from when it logged them, and the city must acknowledge them first.
            _ = try await TestDatabase.texts(backdate, on: federation.county.database)
            #expect(try await county.sync().tombstonesDropped == 2)
            #expect(try await Self.tombstone(ids[0], at: county) == nil)
            #expect(try await Self.tombstone(ids[1], at: county) == nil)
            #expect(try await Self.tombstone(ids[2], at: county) == true)
            #expect(try await city.held("deputies").count == 5)
        }
    }

    /// A case's tombstone (a case is deleted only as replication brings it) takes what this node keeps of the case with
    /// it: its status row, its constituent's sealed contact and data key, its receipt.
    @Test func aCaseTombstoneGoesWithItsStatusContactAndReceipt() async throws {
        let node = try await TestNode.make()
        let id = UUID().uuidString.lowercased()
        try await TestDatabase.withClient(on: node.database) { try await Migrations.apply(on: $0, logger: TestDatabase.quietLogger) }
        let rows = [
            "INSERT INTO cases (id, origin, region_code, version, updated_at, deleted, body) VALUES ('\(id)', '420802', '420802101', 1, now(), true, '{}')",
            "INSERT INTO change_log (seq, kind, record_id, origin, region_code, version, deleted) VALUES (1, 'case', '\(id)', '420802', '420802101', 1, true)",
            "UPDATE change_counter SET last_seq = 1",
            """
            INSERT INTO case_status (case_id, origin, region_code, kind, registered_on, state, supervised, handler, opinion_reply_days)
            VALUES ('\(id)', '420802', '420802101', 'opinion', '2026-11-01', 'registered', false, '420802', 15)
            """,
            "INSERT INTO case_contacts (case_id, sealed) VALUES ('\(id)', 'x')",
            "INSERT INTO case_contact_keys (case_id, key_id, wrapped_key) VALUES ('\(id)', 'k', 'x')",
            "INSERT INTO case_receipts (receipt, case_id) VALUES ('R1', '\(id)')",
            "INSERT INTO sync_upstream (parent, acked_seq) VALUES ('4208', 1)",
        ]
        for row in rows { _ = try await TestDatabase.texts(row + " RETURNING ''", on: node.database) }
        let done = try await Self.compact(node, parent: "4208", retentionDays: 0)
        #expect(done == CompactionCounts(superseded: 0, tombstones: 1, compactedThrough: 1))
        let left = ["cases", "change_log", "change_log_newest", "case_status", "case_contacts", "case_contact_keys", "case_receipts"]
            .map { "SELECT '\($0) ' || count(*) FROM \($0)" }.joined(separator: " UNION ALL ")
        #expect(
            try await TestDatabase.texts(left, on: node.database)
                == ["cases 0", "change_log 0", "change_log_newest 0", "case_status 0", "case_contacts 0", "case_contact_keys 0", "case_receipts 0"]
        )
        #expect(
            try await TestDatabase.texts("SELECT outcome FROM audit_log WHERE actor = 'node'", on: node.database) == [
                "tombstones 1, cases among them 1"
            ]
        )
    }

    @Test func theCompactCommandSaysWhereItsConfigIsWrongAndCompactsWhatTheParentAcknowledged() async throws {
        let node = try await TestNode.make()
        let files = try NodeProcess(node, topologyYAML: TestTopology.standard.yaml)
        let config = try String(contentsOf: files.configFile, encoding: .utf8)
        try (config + "\ntombstoneRetentionDays: soon\n").write(to: files.configFile, atomically: true, encoding: .utf8)
        let refused = try await files.command(["compact"])
        #expect(refused.status != 0)
        #expect(
            refused.output.contains("\(files.configFile.path):6:25: error: tombstoneRetentionDays is a number of days, 0 to 3650"),
            "\(refused.output)"
        )

        try (config + "\ntombstoneRetentionDays: 0\n").write(to: files.configFile, atomically: true, encoding: .utf8)
        try await node.run { api in
            let id = try await api.create(Deputy.self, Fixture.deputy()).meta.id
            for occupation in ["教师", "医生"] {
                var deputy = try await api.get(Deputy.self, id: id)
                deputy.body.occupation = occupation
                #expect(try await api.send(.put, "/v1/deputies/\(deputy.meta.id)", json: try deputy.json).status == .ok)
            }
        }
        // Nothing acknowledged yet: nothing goes.
        let unacknowledged = try await files.command(["compact"])
        #expect(unacknowledged.status == 0, "\(unacknowledged.output)")
        #expect(unacknowledged.output.contains("420802: 0 superseded change-log entries removed, 0 tombstones dropped"), "\(unacknowledged.output)")
        _ = try await TestDatabase.texts("INSERT INTO sync_upstream (parent, acked_seq) VALUES ('4208', 3) RETURNING ''", on: node.database)
        let compacted = try await files.command(["compact"])
        #expect(compacted.status == 0, "\(compacted.output)")
        #expect(compacted.output.contains("420802: 2 superseded change-log entries removed"), "\(compacted.output)")
        #expect(try await Self.logEntries(node) == 1)
    }
}
