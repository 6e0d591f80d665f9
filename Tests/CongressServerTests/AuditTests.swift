import CongressCore
import CongressStore
import Foundation
import Hummingbird
import PostgresNIO
import Testing

@testable import CongressServer

/// The audit log (SPEC §14): every write and refusal, with its actor, chained by hash; checked from outside the node.
@Suite struct AuditTests {
    /// The audit log as stored: `seq actor action record outcome`, oldest first.
    static func entries(_ node: TestNode) async throws -> [String] {
        try await TestDatabase.texts(
            "SELECT seq || ' ' || actor || ' ' || action || ' ' || coalesce(record, '-') || ' ' || outcome FROM audit_log ORDER BY seq",
            on: node.database
        )
    }

    /// Statements run as the database's superuser would, triggers off: how someone with the keys to the server tampers.
    static func tamper(_ statements: [String], on database: DatabaseAddress) async throws {
        try await TestDatabase.withClient(on: database) { client in
            try await client.withConnection { connection in
                try await connection.query("SET session_replication_role = replica", logger: TestDatabase.quietLogger)
                for statement in statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.quietLogger) }
                try await connection.query("RESET session_replication_role", logger: TestDatabase.quietLogger)
            }
        }
    }

    @Test func everyWriteOfAReplicationRunIsAnEntryWithItsActor() async throws {
        let federation = try await TestFederation.make()
        try await federation.run { _, county, township in
            let deputy = try await township.create(
                "deputies",
                Fixture.deputy(name: "王五", region: "420802101", level: "township", congress: "420802101")
            )
            var stored = try await township.get(Deputy.self, id: UUID(uuidString: deputy)!)
            stored.body.occupation = "教师"
            #expect(try await township.send(.put, "/v1/deputies/\(deputy)", json: try stored.json).status == .ok)
            let station = try await county.create("stations", Fixture.station(region: "420802102", units: []))
            #expect(try await county.send(.delete, "/v1/stations/\(station)").status == .ok)
            #expect(try await county.send(.post, "/v1/stations", json: Fixture.station(), token: .read).status == .forbidden)
            #expect(try await county.send(.get, "/v1/stations", token: .custom("Bearer wrong")).status == .unauthorized)
            #expect(try await township.sync().error == nil)

            let atTownship = try await Self.entries(federation.township)
            #expect(atTownship.contains("1 admin token POST /v1/deputies /v1/deputies/\(deputy) 201"), "\(atTownship)")
            #expect(atTownship.contains("2 admin token PUT /v1/deputies/\(deputy) /v1/deputies/\(deputy) 200"), "\(atTownship)")
            let atCounty = try await Self.entries(federation.county)
            #expect(atCounty.contains { $0.hasPrefix("1 admin token POST /v1/stations /v1/stations/") && $0.hasSuffix(" 201") }, "\(atCounty)")
            #expect(atCounty.contains("2 admin token DELETE /v1/stations/\(station) /v1/stations/\(station) 200"), "\(atCounty)")
            #expect(atCounty.contains("3 read token POST /v1/stations - 403"), "\(atCounty)")
            #expect(atCounty.contains("4 anonymous GET /v1/stations - 401"), "\(atCounty)")
            #expect(atCounty.contains { $0.contains("child 420802101 POST /v1/sync/batches") && $0.hasSuffix(" 200") }, "\(atCounty)")
            // Nothing secret in the log: no token.
            let all = (atTownship + atCounty).joined(separator: "\n")
            #expect(!all.contains(federation.township.secrets.adminToken) && !all.contains(federation.township.secrets.parentToken!))

            // The parent witnessed the township's head; the API lists the log with its filters.
            let witnessed = try await TestDatabase.texts(
                "SELECT audit_seq::text FROM sync_child_reports WHERE sender = '420802101'",
                on: federation.county.database
            )
            #expect(witnessed == ["2"], "the head before the run: two writes")
            let page = try await county.send(.get, "/v1/audit?actor=read%20token&limit=5", token: .admin).json
            let items = page["items"] as? [[String: Any]] ?? []
            #expect(items.map { $0["seq"] as? Int } == [3])
            #expect(try await county.send(.get, "/v1/audit", token: .read).status == .forbidden)
        }
    }

    @Test func theLogRefusesChangesAndVerifyNamesTheEntryChangedMissingOrCutOff() async throws {
        let yaml = TestTopology.city(ports: ["4208": try LoopbackPort.free(), "420802": try LoopbackPort.free()]).yaml
        let nodes = try await TestFederation.nodes(["4208", "420802"], of: yaml)
        let county = nodes[1]
        let files = try NodeProcess(county, topologyYAML: yaml)
        try await TestFederation.serve(nodes[...]) { clients in
            let api = clients[1]
            for index in 0..<5 { _ = try await api.create("units", Fixture.unit(code: "420802101\(String(format: "%03d", index + 1))")) }
            #expect(try await api.sync().error == nil)
            let ok = try await files.command(["audit", "verify"])
            #expect(ok.status == 0 && ok.output.contains("6 entries chained, up to entry 5 as its parent witnessed"), "\(ok.output)")

            // The node's own role cannot change or remove an entry.
            for statement in ["UPDATE audit_log SET actor = 'x' WHERE seq = 2", "DELETE FROM audit_log WHERE seq = 2", "TRUNCATE audit_log"] {
                await #expect(throws: (any Error).self) { _ = try await TestDatabase.texts(statement, on: county.database) }
            }

            // Someone with the server's keys edits entry 2: verify names it.
            let original = try #require(try await TestDatabase.texts("SELECT actor FROM audit_log WHERE seq = 2", on: county.database).first)
            try await Self.tamper(["UPDATE audit_log SET actor = 'someone else' WHERE seq = 2"], on: county.database)
            let changed = try await files.command(["audit", "verify"])
            #expect(changed.status != 0 && changed.output.contains("entry 2 was changed"), "\(changed.output)")
            try await Self.tamper(["UPDATE audit_log SET actor = '\(original)' WHERE seq = 2"], on: county.database)

            // …removes entry 3: verify names the gap.
            try await Self.tamper(
                ["CREATE TABLE kept AS SELECT * FROM audit_log WHERE seq = 3", "DELETE FROM audit_log WHERE seq = 3"],
                on: county.database
            )
            let missing = try await files.command(["audit", "verify"])
            #expect(missing.status != 0 && missing.output.contains("entries 3–3 are missing"), "\(missing.output)")
            try await Self.tamper(["INSERT INTO audit_log SELECT * FROM kept", "DROP TABLE kept"], on: county.database)
            #expect(try await files.command(["audit", "verify"]).status == 0)

            // …cuts off the newest entries and moves the head back: the chain holds, the parent's witness does not.
            try await Self.tamper(
                ["DELETE FROM audit_log WHERE seq >= 5", "UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit_log WHERE seq = 4)"],
                on: county.database
            )
            let cut = try await files.command(["audit", "verify"])
            #expect(cut.status != 0 && cut.output.contains("the parent witnessed entry 5, the log ends at 4"), "\(cut.output)")
        }
    }
}
