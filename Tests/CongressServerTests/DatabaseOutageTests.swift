import CongressCore
import CongressServer
import CongressStore
import Foundation
import HTTPTypes
import Logging
import Testing

/// A node whose database goes away and comes back (issue 20): while it is gone every request answers 503 with the JSON
/// error at once, and `/health` too; once it returns the node serves again within seconds; no write is half-done.
@Suite struct DatabaseOutageTests {
    /// The issue's bounds, from the moment a request is sent.
    static let requestBound: Duration = .seconds(2)
    static let healthBound: Duration = .seconds(1)
    static let recoveryBound: Duration = .seconds(5)
    /// Long enough for PostgresNIO's own connection backoff to grow past `recoveryBound` (about 7 s after 30 s).
    static let outage: Duration = .seconds(30)

    @Test func answers503WhileTheDatabaseIsGoneAndServesSoonAfterItReturns() async throws {
        try await Self.withNodeOnItsOwnCluster { cluster, address, node in try await Self.answers503(cluster, address, node) }
    }

    /// A node on a PostgreSQL cluster of its own (started, its database empty), for tests that stop and start it.
    static func withNodeOnItsOwnCluster(_ body: (ManagedPostgres, DatabaseAddress, TestNode) async throws -> Void) async throws {
        let dataDir = try ManagedPostgresTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let cluster = ManagedPostgres(dataDir: dataDir + "/node", logger: TestDatabase.quietLogger)
        let address = try await cluster.start().address
        defer { try? cluster.stop() }
        let yaml = TestTopology.city(ports: ["420802": try LoopbackPort.free()]).yaml
        try await body(cluster, address, try await TestNode.make(node: "420802", topologyYAML: yaml, database: address))
    }

    private static func answers503(_ cluster: ManagedPostgres, _ address: DatabaseAddress, _ node: TestNode) async throws {
        try await node.serve(configure: TestFederation.live) { api in
            var before: [String] = []
            for index in 0..<3 { before.append(try await api.create("deputies", Fixture.deputy(name: "停电前\(index)"))) }

            // Writes under way while the database stops: each is committed whole or not at all.
            let interrupted = try await withThrowingTaskGroup(of: (String, APIClient.Reply).self) { writes in
                for index in 0..<8 {
                    let name = "停电中\(index)"
                    writes.addTask { (name, try await api.send(.post, "/v1/deputies", json: Fixture.deputy(name: name))) }
                }
                try cluster.stop(immediately: true)
                var replies: [(String, APIClient.Reply)] = []
                for try await reply in writes { replies.append(reply) }
                return replies
            }
            for (_, reply) in interrupted {
                #expect([.created, .serviceUnavailable].contains(reply.status), "\(reply.status): \(reply.body)")
            }

            let outageEnds = ContinuousClock.now + Self.outage
            while ContinuousClock.now < outageEnds {
                try await Self.expectUnavailable(api, .get, "/v1/deputies", within: Self.requestBound)
                try await Self.expectUnavailable(api, .post, "/v1/deputies", json: Fixture.deputy(name: "停电后"), within: Self.requestBound)
                try await Self.expectUnavailable(api, .get, "/health", within: Self.healthBound)
                try await Task.sleep(for: .seconds(3))
            }

            _ = try await cluster.start()
            let back = ContinuousClock.now
            while try await api.send(.get, "/v1/deputies?limit=1").status != .ok {
                guard ContinuousClock.now - back < Self.recoveryBound else {
                    Issue.record("the node did not serve within \(Self.recoveryBound) of the database's return")
                    return
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await api.send(.get, "/health", token: APIClient.Token.none).status == .ok)
            let after = try await api.create("deputies", Fixture.deputy(name: "复电后"))

            // Everything answered 201 is there; a write answered 503 may have committed before its answer was lost, but
            // whole: every deputy has its change-log row, and none was written during the outage itself.
            let names = try await TestDatabase.texts("SELECT body->>'name' FROM deputies", on: address)
            let created = interrupted.filter { $0.1.status == .created }.map(\.0)
            for name in ["停电前0", "停电前1", "停电前2", "复电后"] + created { #expect(names.contains(name), "\(name) is missing") }
            #expect(!names.contains("停电后"), "a write refused during the outage was stored")
            let orphans = try await TestDatabase.texts(
                """
                SELECT count(*)::text FROM deputies d WHERE NOT EXISTS (SELECT 1 FROM change_log c WHERE c.record_id = d.id)
                UNION ALL SELECT count(*)::text FROM change_log c WHERE c.kind = 'deputy' AND NOT EXISTS (SELECT 1 FROM deputies d WHERE d.id = c.record_id)
                """,
                on: address
            )
            #expect(orphans == ["0", "0"], "a deputy without its change-log row, or the reverse")
            for id in before + [after] { #expect(try await api.send(.get, "/v1/deputies/\(id)").status == .ok) }
        }
        #expect(node.logs.text.contains("database unreachable"), "the node logs the outage")
        #expect(node.logs.text.contains("database reachable again"), "and the database's return")
    }

    /// `request` answers 503 with SPEC's JSON error (for `/health`, its degraded status) within `bound` of being sent.
    static func expectUnavailable(
        _ api: APIClient,
        _ method: HTTPRequest.Method,
        _ uri: String,
        json: String? = nil,
        within bound: Duration,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let sent = ContinuousClock.now
        let reply = try await api.send(method, uri, json: json, token: uri == "/health" ? APIClient.Token.none : nil)
        let took = ContinuousClock.now - sent
        #expect(reply.status == .serviceUnavailable, "\(method) \(uri): \(reply.status) \(reply.body)", sourceLocation: sourceLocation)
        #expect(took <= bound, "\(method) \(uri) took \(took)", sourceLocation: sourceLocation)
        if uri == "/health" {
            #expect(reply.json["database"] as? String == "unreachable", sourceLocation: sourceLocation)
        } else {
            #expect(reply.error?.code == "unavailable", "\(reply.body)", sourceLocation: sourceLocation)
        }
    }
}
