import CongressCore
import CongressStore
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import CongressServer
@testable import CongressSync

/// A city, a county and a township node, each on its own database, listening on real loopback ports.
struct TestFederation {
    let yaml: String
    let city: TestNode
    let county: TestNode
    let township: TestNode

    static func make(townshipSchedule: String? = nil, countySchedule: String? = nil) async throws -> TestFederation {
        let ports = try (0..<3).map { _ in try LoopbackPort.free() }
        let yaml = TestTopology.city(
            ports: ["4208": ports[0], "420802": ports[1], "420802101": ports[2]],
            schedules: ["420802": countySchedule, "420802101": townshipSchedule].compactMapValues { $0 }
        ).yaml
        let nodes = try await nodes(["4208", "420802", "420802101"], of: yaml)
        return TestFederation(yaml: yaml, city: nodes[0], county: nodes[1], township: nodes[2])
    }

    /// The nodes `codes` of the topology `yaml`, each on its own database, with one set of secrets (so that parents
    /// know their children's tokens).
    static func nodes(_ codes: [String], of yaml: String) async throws -> [TestNode] {
        let secrets = NodeSecrets.generate(
            for: try TopologyLoader.parse(yaml, file: "t.yaml").topology,
            keeping: [:],
            personKeyRounds: TestDatabase.personKeyRounds
        )
        var nodes: [TestNode] = []
        for code in codes { nodes.append(try await TestNode.make(node: code, topologyYAML: yaml, federationSecrets: secrets)) }
        return nodes
    }

    /// Serves `nodes` (each on its topology port, pushing only when asked) and hands `body` a client per node, in order.
    static func serve(
        _ nodes: ArraySlice<TestNode>,
        configure: @escaping @Sendable (inout AppConfiguration) -> Void = live,
        serving clients: [APIClient] = [],
        _ body: @Sendable ([APIClient]) async throws -> Void
    ) async throws {
        guard let first = nodes.first else { return try await body(clients) }
        try await first.serve(configure: configure) { client in
            try await serve(nodes.dropFirst(), configure: configure, serving: clients + [client], body)
        }
    }

    /// Listens where the topology says, so that children find it; pushes only when a test asks.
    static func live(_ configuration: inout AppConfiguration) {
        configuration.listen = HostAndPort(url: configuration.topology.node(configuration.node)!.url!)!
        configuration.schedulesPushes = false
        configuration.syncRetry = RetryPolicy(attempts: 3, firstDelay: .milliseconds(20), maxDelay: .milliseconds(100), requestTimeout: .seconds(10))
    }

    /// Runs the three nodes over real HTTP, pushing only when told to, and hands `body` a client for each.
    func run(_ body: @Sendable (_ city: APIClient, _ county: APIClient, _ township: APIClient) async throws -> Void) async throws {
        try await Self.serve([city, county, township]) { clients in try await body(clients[0], clients[1], clients[2]) }
    }
}

extension APIClient {
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
            let atTownship = try await township.create(
                Deputy.self,
                Fixture.deputy(name: "王五", region: "420802101", level: "township", congress: "420802101")
            ).meta.id
            // 泉口街道 has no node: its records are written at the county.
            let atCounty = try await county.create("stations", Fixture.station(name: "泉口街道代表联络站", region: "420802102", units: ["420802102001"]))

            #expect(try await township.sync().error == nil)
            #expect(try await county.sync().error == nil)
            let deputiesAtCity = try await city.held("deputies")
            #expect(deputiesAtCity == (try await township.held("deputies")))
            #expect(deputiesAtCity["\(atTownship)"]?.hasPrefix("420802101 v1 deleted=false") == true)
            #expect((try await city.held("stations"))[atCounty]?.hasPrefix("420802 v") == true)

            // An update and a delete follow the same way.
            var changed = try await township.get(Deputy.self, id: atTownship)
            changed.body.occupation = "教师"
            #expect(try await township.send(.put, "/v1/deputies/\(atTownship)", json: try changed.json).status == .ok)
            let second = try await township.create(
                "deputies",
                Fixture.deputy(name: "赵六", region: "420802101", level: "township", congress: "420802101")
            )
            #expect(try await township.send(.delete, "/v1/deputies/\(second)").status == .ok)
            let report = try await township.sync()
            #expect(report.error == nil)
            #expect(report.changes == 2)
            #expect(try await county.sync().error == nil)
            let after = try await city.held("deputies")
            #expect(after == (try await township.held("deputies")))
            #expect(after[second]?.contains("deleted=true") == true)
            #expect(try await city.get(Deputy.self, id: atTownship).body.occupation == "教师")
            // Received records are read-only where they arrive.
            #expect(try await county.send(.delete, "/v1/deputies/\(atTownship)").status == .conflict)

            let status = try await county.send(.get, "/v1/sync/status").json
            let children = status["children"] as? [[String: Any]] ?? []
            #expect(children.map { $0["code"] as? String } == ["420802101"])
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
                _ = try await township.create(
                    "deputies",
                    Fixture.deputy(name: "代表\(index)", region: "420802101", level: "township", congress: "420802101")
                )
            }
            #expect(try await township.sync().changes == 3)
            let before = try await federation.county.snapshot()

            // The same batch again, by hand, with the township's token: acknowledged, nothing applied.
            let topology = try TopologyLoader.parse(federation.yaml, file: "t.yaml").topology
            let batch = try await Self.batch(from: federation.township, after: 0, topologyHash: topology.hash)
            for _ in 0..<3 {
                let reply = try await county.send(
                    .post,
                    "/v1/sync/batches",
                    json: batch,
                    token: .custom("Bearer \(federation.township.secrets.parentToken!)")
                )
                #expect(reply.status == .ok)
                #expect(try reply.decode(BatchAck.self).applied == 0)
            }
            #expect(try await federation.county.snapshot() == before)

            // The child believes more was acknowledged than the parent has: the parent answers with a gap, the child rewinds.
            _ = try await township.create("deputies", Fixture.deputy(name: "代表3", region: "420802101", level: "township", congress: "420802101"))
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
        try await TestDatabase.withClient(on: node.database) { client in
            let store = ChangeLogReader(client: client, node: node.node, logger: TestDatabase.quietLogger)
            let schema = SchemaHistory.thisRelease.current
            let batch = try #require(try await store.nextBatch(after: seq, limit: 1000, kinds: schema.kinds))
            let header = BatchHeader(
                protocol: SyncProtocol.version,
                schemaHash: schema.hash,
                schemaVersion: schema.version,
                topologyHash: topologyHash,
                sender: node.node,
                fromSeq: batch.fromSeq,
                toSeq: batch.toSeq
            )
            return try SyncClient.document(header, changes: batch.changesJSON)
        }
    }
}

@Suite struct DirectiveTests {
    @Test func aTrainingPlannedAtTheCityReachesTheTownshipReadOnlyAndNeverGoesBackUp() async throws {
        let federation = try await TestFederation.make()
        try await federation.run { city, county, township in
            let training = try await city.create(Training.self, Fixture.training(branchRegion: "420802101")).meta.id
            // A training for another county's deputies does not concern 东宝区.
            let elsewhere = Fixture.training(branchRegion: "420804101")
                .replacingOccurrences(of: "\"regionPrefix\": \"420802\"", with: "\"regionPrefix\": \"420804\"")
                .replacingOccurrences(
                    of: "\"regionCode\": \"420802\", \"name\": \"区人大会议中心\"",
                    with: "\"regionCode\": \"420804\", \"name\": \"区人大会议中心\""
                )
            let other = try await city.create("trainings", elsewhere)

            let atCounty = try await county.sync()
            #expect(atCounty.error == nil)
            #expect(atCounty.directives == 1)
            let atTownship = try await township.sync()
            #expect(atTownship.directives == 1)
            let held = try await township.held("trainings")
            #expect(held.keys.sorted() == ["\(training)"])
            #expect(held["\(training)"]?.hasPrefix("4208 v") == true)
            #expect((try await county.held("trainings"))[other] == nil)
            // Read-only below, and never sent back up.
            #expect(try await township.send(.delete, "/v1/trainings/\(training)").status == .conflict)
            let secondRun = try await county.sync()
            #expect(secondRun.changes == 0)
            #expect(secondRun.directives == 0)

            // A change at the organiser follows on the next runs.
            var changed = try await city.get(Training.self, id: training)
            changed.body.title = "代表履职能力提升培训"
            #expect(try await city.send(.put, "/v1/trainings/\(training)", json: try changed.json).status == .ok)
            #expect(try await county.sync().directives == 1)
            #expect(try await township.sync().directives == 1)
            #expect(try await township.get(Training.self, id: training).body.title == "代表履职能力提升培训")
        }
    }
}

@Suite struct SyncRefusalTests {
    @Test func aWrongOrMissingTokenIs401() async throws {
        let federation = try await TestFederation.make()
        try await federation.run { _, county, township in
            _ = try await township.create("deputies", Fixture.deputy(name: "代表", region: "420802101", level: "township", congress: "420802101"))
            let topology = try TopologyLoader.parse(federation.yaml, file: "t.yaml").topology
            let before = try await federation.county.snapshot()
            let batch = try await ReplicationTests.batch(from: federation.township, after: 0, topologyHash: topology.hash)
            for token in [APIClient.Token.none, .custom("Bearer not-a-token"), .admin, .custom("Basic \(federation.township.secrets.parentToken!)")] {
                let reply = try await county.send(.post, "/v1/sync/batches", json: batch, token: token)
                #expect(reply.status == .unauthorized)
                #expect(reply.error?.code == "unauthorized")
            }
            #expect(try await county.send(.get, "/v1/sync/directives?since=0", token: .read).status == .unauthorized)
            let townshipToken = APIClient.Token.custom("Bearer \(federation.township.secrets.parentToken!)")
            let badSince = try await county.send(.get, "/v1/sync/directives?since=-1", token: townshipToken)
            #expect(badSince.status == .badRequest)
            #expect(badSince.error?.field == "since")
            #expect(try await federation.county.snapshot() == before)
        }
    }

    @Test func aRecordOfASiblingCountyIs403AndNothingIsApplied() async throws {
        let federation = try await TestFederation.make()
        try await federation.run { city, county, _ in
            _ = try await county.create("deputies", Fixture.deputy(name: "本区代表", region: "420802102"))
            let topology = try TopologyLoader.parse(federation.yaml, file: "t.yaml").topology
            let honest = try await ReplicationTests.batch(from: federation.county, after: 0, topologyHash: topology.hash)
            let before = try await federation.city.snapshot()
            let countyToken = APIClient.Token.custom("Bearer \(federation.county.secrets.parentToken!)")
            // The same batch with its mandate moved into 掇刀区 (420804), congress and all (a mandate of 东宝区's congress
            // living in 掇刀区 would be in scope: SPEC §15), and one claiming 掇刀区 as its origin.
            for forged in [
                honest.replacingOccurrences(of: "\"regionCode\" : \"420802102\"", with: "\"regionCode\" : \"420804101\"")
                    .replacingOccurrences(of: "\"congressCode\": \"420802\"", with: "\"congressCode\": \"420804\""),
                honest.replacingOccurrences(of: "\"origin\" : \"420802\"", with: "\"origin\" : \"420804\""),
            ] {
                #expect(forged != honest)
                let reply = try await city.send(.post, "/v1/sync/batches", json: forged, token: countyToken)
                #expect(reply.status == .forbidden)
                #expect(reply.error?.message.contains("outside sender 420802's subtree") == true)
            }
            #expect(try await federation.city.snapshot() == before)
            // The honest batch goes through.
            #expect(try await city.send(.post, "/v1/sync/batches", json: honest, token: countyToken).status == .ok)
            #expect(try await federation.city.snapshot() != before)
        }
    }

    @Test func aMalformedBatchIsRefusedSayingWhereAndNothingIsApplied() async throws {
        let federation = try await TestFederation.make()
        try await federation.run { _, county, township in
            _ = try await township.create("deputies", Fixture.deputy(name: "代表", region: "420802101", level: "township", congress: "420802101"))
            let topology = try TopologyLoader.parse(federation.yaml, file: "t.yaml").topology
            let honest = try await ReplicationTests.batch(from: federation.township, after: 0, topologyHash: topology.hash)
            let token = APIClient.Token.custom("Bearer \(federation.township.secrets.parentToken!)")
            let before = try await federation.county.snapshot()

            let truncated = try await county.send(.post, "/v1/sync/batches", json: String(honest.dropLast(40)), token: token)
            #expect(truncated.status == .badRequest)
            #expect(truncated.error?.message.hasPrefix("not a sync batch: changes[0]: ") == true)
            let versionless = honest.replacingOccurrences(of: #""version" : \d+"#, with: #""version" : "five""#, options: .regularExpression)
            #expect(versionless != honest)
            let wordy = try await county.send(.post, "/v1/sync/batches", json: versionless, token: token)
            #expect(wordy.status == .unprocessableContent)
            #expect(wordy.error?.message.contains("bigint") == true)
            #expect(try await federation.county.snapshot() == before)
            #expect(
                try await TestDatabase.texts("SELECT acked_seq::text FROM sync_checkpoints", on: federation.county.database).allSatisfy { $0 == "0" }
            )
        }
    }

    @Test func aMismatchedProtocolOrSchemaIsRefusedWithWhatToUpgrade() async throws {
        let federation = try await TestFederation.make()
        try await federation.run { _, county, _ in
            let topology = try TopologyLoader.parse(federation.yaml, file: "t.yaml").topology
            let token = APIClient.Token.custom("Bearer \(federation.township.secrets.parentToken!)")
            func batch(protocol version: Int, schema: String, schemaVersion: Int? = nil) throws -> String {
                try SyncClient.document(
                    BatchHeader(
                        protocol: version,
                        schemaHash: schema,
                        schemaVersion: schemaVersion,
                        topologyHash: topology.hash,
                        sender: RegionCode("420802101")!,
                        fromSeq: 1,
                        toSeq: 0
                    ),
                    changes: "[]"
                )
            }
            let newer = try await county.send(
                .post,
                "/v1/sync/batches",
                json: try batch(protocol: 2, schema: SchemaHistory.thisRelease.current.hash),
                token: token
            )
            #expect(newer.status == .upgradeRequired)
            #expect(newer.error?.code == "protocol_mismatch")
            #expect(newer.error?.message.contains("upgrade congress on this node (420802)") == true)
            let older = try await county.send(
                .post,
                "/v1/sync/batches",
                json: try batch(protocol: 0, schema: SchemaHistory.thisRelease.current.hash),
                token: token
            )
            #expect(older.error?.message.contains("upgrade congress on the sender (420802101)") == true)
            // A batch that names no version and is not wave 1's, or names a version with another content, or a version
            // newer than the parent reads: each refusal says which node to upgrade.
            let unnamed = try await county.send(.post, "/v1/sync/batches", json: try batch(protocol: 1, schema: "0123456789abcdef"), token: token)
            #expect(unnamed.status == .conflict)
            #expect(unnamed.error?.code == "schema_mismatch")
            #expect(unnamed.error?.message.contains("upgrade congress on 420802101") == true)
            let current = SchemaHistory.thisRelease.current.version
            let other = try await county.send(
                .post,
                "/v1/sync/batches",
                json: try batch(protocol: 1, schema: "0123456789abcdef", schemaVersion: current),
                token: token
            )
            #expect(other.status == .conflict)
            #expect(other.error?.message.contains("disagree on it") == true)
            let ahead = try await county.send(
                .post,
                "/v1/sync/batches",
                json: try batch(protocol: 1, schema: "0123456789abcdef", schemaVersion: current + 1),
                token: token
            )
            #expect(ahead.status == .conflict)
            #expect(ahead.error?.message.contains("upgrade congress on 420802") == true)
            // Nothing was recorded for the refused sender.
            #expect(try await TestDatabase.texts("SELECT sender FROM sync_checkpoints", on: federation.county.database).isEmpty)
        }
    }
}

@Suite struct SyncStatusRuleTests {
    @Test func aChildIsStaleOnceItsPeriodAndSlackHavePassedWithoutABatch() {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        func ago(_ hours: Double) -> Date { now.addingTimeInterval(-hours * 3600) }
        // Nightly: a day plus an hour of slack (a quarter of the period, at most an hour).
        let nightly = SyncSchedule.nightly
        #expect(!nightly.isStale(lastDelivery: ago(24.9), now: now))
        #expect(nightly.isStale(lastDelivery: ago(25.1), now: now))
        #expect(nightly.isStale(lastDelivery: nil, now: now))
        // Every six hours: an hour of slack too.
        let often = SyncSchedule(expression: "0 */6 * * *", timezone: "Asia/Shanghai")
        #expect(!often.isStale(lastDelivery: ago(6.9), now: now))
        #expect(often.isStale(lastDelivery: ago(7.1), now: now))
        // Every minute: fifteen seconds of slack.
        let minutely = SyncSchedule(expression: "* * * * *", timezone: "Asia/Shanghai")
        #expect(!minutely.isStale(lastDelivery: now.addingTimeInterval(-74), now: now))
        #expect(minutely.isStale(lastDelivery: now.addingTimeInterval(-76), now: now))
    }

    @Test func aFailedScheduledRunIsRetriedSoonerEachTimeLessOften() {
        #expect(SyncScheduler.retryDelay(afterFailures: 1) == 300)
        #expect(SyncScheduler.retryDelay(afterFailures: 2) == 600)
        #expect(SyncScheduler.retryDelay(afterFailures: 4) == 2400)
        #expect(SyncScheduler.retryDelay(afterFailures: 9) == 3600)
    }
}
