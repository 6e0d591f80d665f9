import CongressCore
import CongressStore
import CongressSync
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import CongressServer

/// A city, a county and a township node, each on its own database, listening on real loopback ports.
struct TestFederation {
    let yaml: String
    let city: TestNode
    let county: TestNode
    let township: TestNode

    static func make() async throws -> TestFederation {
        let ports = try (0..<3).map { _ in try LoopbackPort.free() }
        let yaml = """
            version: 1
            root:
              code: "4208"
              name: 荆门市
              level: city
              url: http://127.0.0.1:\(ports[0])
              children:
                - code: "420802"
                  name: 东宝区
                  level: county
                  url: http://127.0.0.1:\(ports[1])
                  children:
                    - { code: "420802001", name: 龙泉街道, level: township, url: "http://127.0.0.1:\(ports[2])" }
                    - { code: "420802002", name: 泉口街道, level: township }
                - { code: "420804", name: 掇刀区, level: county }
            """
        let secrets = NodeSecrets.generate(for: try TopologyLoader.parse(yaml, file: "t.yaml").topology, keeping: [:])
        async let city = TestNode.make(node: "4208", topologyYAML: yaml, federationSecrets: secrets)
        async let county = TestNode.make(node: "420802", topologyYAML: yaml, federationSecrets: secrets)
        async let township = TestNode.make(node: "420802001", topologyYAML: yaml, federationSecrets: secrets)
        return try await TestFederation(yaml: yaml, city: city, county: county, township: township)
    }

    /// Listens where the topology says, so that children find it; pushes only when a test asks.
    static func live(_ configuration: inout AppConfiguration) {
        configuration.listen = HostAndPort(url: configuration.topology.node(configuration.node)!.url!)!
        configuration.schedulesPushes = false
        configuration.pushRetry = RetryPolicy(attempts: 3, firstDelay: .milliseconds(20), maxDelay: .milliseconds(100))
    }

    /// Runs the three nodes over real HTTP, pushing only when told to, and hands `body` a client for each.
    func run(_ body: @Sendable (_ city: APIClient, _ county: APIClient, _ township: APIClient) async throws -> Void) async throws {
        try await city.serve(configure: Self.live) { city in
            try await county.serve(configure: Self.live) { county in
                try await township.serve(configure: Self.live) { township in
                    try await body(city, county, township)
                }
            }
        }
    }
}

extension APIClient {
    /// Runs this node's sync (push, then pull) now and returns the report.
    func sync() async throws -> SyncReport {
        let reply = try await send(.post, "/v1/sync/run")
        return try reply.decode(SyncReport.self)
    }

    /// Every record of `collection` this node holds (tombstones too), as `id → (origin, version, deleted, name)`.
    func held(_ collection: String) async throws -> [String: String] {
        let reply = try await send(.get, "/v1/\(collection)?includeDeleted=true&limit=1000")
        var held: [String: String] = [:]
        for item in reply.json["items"] as? [[String: Any]] ?? [] {
            let deleted = item["deleted"] as? Bool ?? false
            held["\(item["id"]!)"] = "\(item["origin"]!) v\(item["version"]!) deleted=\(deleted) \(item["name"] ?? "")"
        }
        return held
    }
}

@Suite struct ReplicationTests {
    @Test func recordsTravelUpTwoLevelsWithOriginAndVersionIntact() async throws {
        let federation = try await TestFederation.make()
        try await federation.run { city, county, township in
            let atTownship = try await township.create("deputies", Fixture.deputy(name: "王五", region: "420802001", level: "township", congress: "420802001"))
            // 泉口街道 has no node: its records are written at the county.
            let atCounty = try await county.create("stations", Fixture.station(name: "泉口街道代表联络站", region: "420802002", units: ["420802002001"]))

            #expect(try await township.sync().error == nil)
            #expect(try await county.sync().error == nil)
            let deputiesAtCity = try await city.held("deputies")
            #expect(deputiesAtCity == (try await township.held("deputies")))
            #expect(deputiesAtCity[atTownship]?.hasPrefix("420802001 v1 deleted=false") == true)
            #expect((try await city.held("stations"))[atCounty]?.hasPrefix("420802 v") == true)

            // An update and a delete follow the same way.
            let stored = try await township.send(.get, "/v1/deputies/\(atTownship)").json
            var changed = stored
            changed["occupation"] = "教师"
            let body = String(decoding: try JSONSerialization.data(withJSONObject: changed), as: UTF8.self)
            #expect(try await township.send(.put, "/v1/deputies/\(atTownship)", json: body).status == .ok)
            let second = try await township.create("deputies", Fixture.deputy(name: "赵六", region: "420802001", level: "township", congress: "420802001"))
            #expect(try await township.send(.delete, "/v1/deputies/\(second)").status == .ok)
            let report = try await township.sync()
            #expect(report.error == nil)
            #expect(report.changes == 2)
            #expect(try await county.sync().error == nil)
            let after = try await city.held("deputies")
            #expect(after == (try await township.held("deputies")))
            #expect(after[second]?.contains("deleted=true") == true)
            let occupation = try await city.send(.get, "/v1/deputies/\(atTownship)").json["occupation"] as? String
            #expect(occupation == "教师")
            // Received records are read-only where they arrive.
            #expect(try await county.send(.delete, "/v1/deputies/\(atTownship)").status == .conflict)

            let status = try await county.send(.get, "/v1/sync/status").json
            let children = status["children"] as? [[String: Any]] ?? []
            #expect(children.map { $0["code"] as? String } == ["420802001"])
            #expect(children.first?["stale"] as? Bool == false)
            let parent = status["parent"] as? [String: Any]
            #expect(parent?["code"] as? String == "4208")
            #expect(parent?["pending"] as? Int == 0)
        }
    }

    @Test func replayingABatchChangesNothingAndAGapMakesTheChildRewind() async throws {
        let federation = try await TestFederation.make()
        try await federation.run { city, county, township in
            for index in 0..<3 {
                _ = try await township.create("deputies", Fixture.deputy(name: "代表\(index)", region: "420802001", level: "township", congress: "420802001"))
            }
            #expect(try await township.sync().changes == 3)
            let before = try await federation.county.snapshot()

            // The same batch again, by hand, with the township's token: acknowledged, nothing applied.
            let topology = try TopologyLoader.parse(federation.yaml, file: "t.yaml").topology
            let batch = try await Self.batch(from: federation.township, after: 0, topologyHash: topology.hash)
            for _ in 0..<3 {
                let reply = try await county.send(.post, "/v1/sync/batches", json: batch, token: .custom("Bearer \(federation.township.secrets.parentToken!)"))
                #expect(reply.status == .ok)
                #expect(reply.json["applied"] as? Int == 0)
            }
            #expect(try await federation.county.snapshot() == before)

            // The child believes more was acknowledged than the parent has: the parent answers with a gap, the child rewinds.
            _ = try await township.create("deputies", Fixture.deputy(name: "代表3", region: "420802001", level: "township", congress: "420802001"))
            _ = try await TestDatabase.texts("UPDATE sync_checkpoints SET acked_seq = 1 RETURNING 'rewound'", on: federation.county.database)
            let report = try await township.sync()
            #expect(report.error == nil)
            #expect(report.rewinds == 1)
            #expect(try await county.held("deputies") == (try await township.held("deputies")))
            _ = city
        }
    }

    /// The township's change log after `seq` as a batch body, as its push would send it.
    static func batch(from node: TestNode, after seq: Int64, topologyHash: String) async throws -> String {
        return try await withThrowingTaskGroup(of: String.self) { group in
            let client = PostgresClient(configuration: node.database.clientConfiguration, backgroundLogger: TestDatabase.quietLogger)
            group.addTask {
                await client.run()
                return ""
            }
            defer { group.cancelAll() }
            let store = SyncStore(client: client, node: node.node, logger: TestDatabase.quietLogger)
            let batch = try #require(try await store.nextBatch(after: seq, limit: 1000))
            let header = BatchHeader(
                protocol: SyncProtocol.version, schemaHash: Migrations.schemaHash, topologyHash: topologyHash, sender: node.node,
                fromSeq: batch.fromSeq, toSeq: batch.toSeq
            )
            var text = String(decoding: try JSONEncoder().encode(header), as: UTF8.self)
            text.removeLast()
            return text + ",\"changes\":" + batch.changesJSON + "}"
        }
    }
}
