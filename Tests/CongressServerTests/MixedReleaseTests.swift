import CongressCore
import CongressStore
import Foundation
import Testing

@testable import CongressServer
@testable import CongressSync

/// Releases upgrade top-down, node by node (SPEC §17): a parent reads batches of children one or two replication schema
/// versions older, a child newer than its parent holds back the kinds its parent does not know until it does, and every
/// refusal names the node to upgrade. Releases other than this build's are simulated in one process by the schema
/// history a node is built with; the wave-1 wire format is replayed byte for byte from batches a wave-1 node sent.
@Suite struct MixedReleaseTests {
    /// Batches a wave-1 township (420802001 龙泉街道, release as landed before SPEC §17) pushed to its county, as received: five
    /// records (two deputies, a unit, a station, an assignment), then a replaced deputy and a deleted one.
    static func wave1Batch(_ number: Int) throws -> String {
        let fixtures = Repository.root.appendingPathComponent("Tests/Fixtures/wave1-sync")
        return try String(contentsOf: fixtures.appendingPathComponent("batch-\(number).json"), encoding: .utf8)
    }

    /// A future in which units are new in version 3: release 2 does not know them.
    static let unitsLater = SchemaHistory([
        .init(adds: [.deputy, .station, .assignment, .training, .attendance]),
        .init(adds: []),
        .init(adds: [.unit]),
    ])

    /// Serves a node live, built with `history` (a release other than this build's).
    static func running(_ history: SchemaHistory) -> @Sendable (inout AppConfiguration) -> Void {
        { configuration in
            TestFederation.live(&configuration)
            configuration.schemas = history
        }
    }

    static func child(_ api: APIClient, _ code: String) async throws -> [String: Any]? {
        let status = try await api.send(.get, "/v1/sync/status").json
        return (status["children"] as? [[String: Any]])?.first { $0["code"] as? String == code }
    }

    @Test func aWave1ChildKeepsSyncingIntoAnUpgradedParentWithNothingLost() async throws {
        // The recorded batches come from the street 420802001 (wave 1 seated a congress there; nodes now refuse to).
        let ports = try (0..<3).map { _ in try LoopbackPort.free() }
        let yaml = TestTopology.city(ports: ["4208": ports[0], "420802": ports[1], "420802001": ports[2]]).adding("420802001", "龙泉街道").yaml
        let nodes = try await TestFederation.nodes(["4208", "420802", "420802001"], of: yaml)
        let federation = TestFederation(yaml: yaml, city: nodes[0], county: nodes[1], township: nodes[2])
        try await federation.run { city, county, _ in
            // The recorded batches name wave 1's schema hash and no version, and a topology hash of another test run.
            let first = try Self.wave1Batch(1)
            let header = try BatchHeader.read(fromBatch: Data(first.utf8))
            #expect(header.schemaVersion == nil && header.release == nil)
            #expect(header.schemaHash == SchemaHistory.thisRelease.schema(1)?.hash)
            #expect(!first.contains("schemaVersion"))

            let token = APIClient.Token.custom("Bearer \(federation.township.secrets.parentToken!)")
            let one = try await county.send(.post, "/v1/sync/batches", json: first, token: token)
            #expect(one.status == .ok, "\(one.body)")
            #expect(try one.decode(BatchAck.self).applied == 5)
            let two = try await county.send(.post, "/v1/sync/batches", json: try Self.wave1Batch(2), token: token)
            #expect(try two.decode(BatchAck.self) == BatchAck(acked: 7, applied: 2, topologyHash: Topology.hash(of: federation.yaml)))
            // A replay is acknowledged without effect, as before.
            let replay = try await county.send(.post, "/v1/sync/batches", json: first, token: token)
            #expect(try replay.decode(BatchAck.self).applied == 0)

            // A wave-1 child pulls directives without naming a version: it gets what version 1 carries (trainings).
            let training = try await city.create("trainings", Fixture.training(branchRegion: "420802001"))
            #expect(try await county.sync().error == nil)
            let directives = try await county.send(.get, "/v1/sync/directives?since=0", token: token)
            #expect(directives.status == .ok)
            #expect(directives.body.contains(training.lowercased()))

            // The county holds every record of the recorded batches in its latest state, and passes them on.
            let deputies = try await county.held("deputies")
            #expect(deputies.count == 2)
            #expect(deputies.values.filter { $0.contains("deleted=true") }.count == 1)
            #expect(deputies.values.contains { $0.contains("v6 deleted=false 李强") })
            for collection in ["units", "stations", "assignments"] { #expect(try await county.held(collection).count == 1) }
            #expect(try await county.sync().error == nil)
            for collection in ["deputies", "units", "stations", "assignments"] {
                #expect(try await city.held(collection) == (try await county.held(collection)), "\(collection) at the city")
            }

            // The county shows what the child runs and flags what lags.
            let child = try #require(try await Self.child(county, "420802001"))
            #expect(child["schemaVersion"] as? Int == 1)
            #expect(child["release"] == nil || child["release"] is NSNull)
            #expect(Set(child["lags"] as? [String] ?? []) == ["release", "schema", "topology"])
            let metrics = try await county.send(.get, "/metrics").body
            #expect(metrics.contains("congress_sync_child_lagging{child=\"420802001\",what=\"schema\"} 1"))
            #expect(metrics.contains("congress_sync_child_lagging{child=\"420802001\",what=\"points\"} 0"))
            // …and the city sees a current county.
            let countyAtCity = try #require(try await Self.child(city, "420802"))
            #expect(countyAtCity["release"] as? String == CongressRelease.current)
            #expect(countyAtCity["schemaVersion"] as? Int == SchemaHistory.thisRelease.current.version)
            #expect(countyAtCity["lags"] as? [String] == [])
        }
    }

    @Test func aChildOfThePreviousVersionSyncsLiveAndIsShownAsLagging() async throws {
        let federation = try await TestFederation.make()
        let previous = SchemaHistory.thisRelease.release(upTo: SchemaHistory.thisRelease.current.version - 1)
        try await TestFederation.serve([federation.city, federation.county]) { nodes in
            let county = nodes[1]
            try await federation.township.serve(
                configure: { configuration in
                    TestFederation.live(&configuration)
                    configuration.schemas = previous
                }
            ) { township in
                let deputy = try await township.create(
                    "deputies",
                    Fixture.deputy(name: "老版本代表", region: "420802101", level: "township", congress: "420802101")
                )
                _ = try await township.create("units", Fixture.unit())
                let report = try await township.sync()
                #expect(report.error == nil)
                #expect(report.schemaVersion == previous.current.version)
                #expect(try await county.held("deputies").keys.contains(deputy))
                #expect(try await county.held("units").count == 1)
                let child = try #require(try await Self.child(county, "420802101"))
                #expect(child["schemaVersion"] as? Int == previous.current.version)
                #expect((child["lags"] as? [String])?.contains("schema") == true)

                // The dashboard flags it.
                let page = try await county.send(.get, "/").body
                #expect(page.contains("数据结构落后"))
            }
        }
    }

    @Test func aChildNewerThanItsParentHoldsBackNewKindsUntilTheParentUpgrades() async throws {
        let federation = try await TestFederation.make()
        let older = Self.unitsLater.release(upTo: 2)
        // The city and the township run release 3; the county is still on release 2.
        try await federation.city.serve(configure: Self.running(Self.unitsLater)) { city in
            let units = try await federation.township.serve(configure: Self.running(Self.unitsLater)) { township in
                let units = [
                    try await township.create("units", Fixture.unit(code: "420802101001", name: "龙泉社区")),
                    try await township.create("units", Fixture.unit(code: "420802101002", name: "泉口社区")),
                ]
                let deputy = try await township.create(
                    "deputies",
                    Fixture.deputy(name: "新版本代表", region: "420802101", level: "township", congress: "420802101")
                )
                try await federation.county.serve(configure: Self.running(older)) { county in
                    let report = try await township.sync()
                    #expect(report.error == nil, "held back, not refused")
                    #expect(report.schemaVersion == 2)
                    #expect(try await county.held("deputies").keys.contains(deputy))
                    #expect(try await county.held("units").isEmpty)
                    let parent = try await township.send(.get, "/v1/sync/status").json["parent"] as? [String: Any]
                    #expect(parent?["heldBack"] as? [String: Int] == ["unit": 2])
                    #expect(
                        try await township.send(.get, "/metrics").body.contains("congress_sync_held_back_records{parent=\"420802\",kind=\"unit\"} 2")
                    )
                    #expect(try await township.send(.get, "/").body.contains("2 条记录暂缓推送"))
                    // A unit deleted while held back travels as a tombstone once it can.
                    #expect(try await township.send(.delete, "/v1/units/\(units[1])").status == .ok)
                    #expect(try await township.sync().error == nil)
                    // The county, older than the city, writes in its own version: the city takes it.
                    #expect(try await county.sync().error == nil)
                    #expect((try await Self.child(city, "420802"))?["lags"] as? [String] == ["schema"])
                }
                // The county upgrades: the township's next push sends what it held back.
                try await federation.county.serve(configure: Self.running(Self.unitsLater)) { county in
                    let report = try await township.sync()
                    #expect(report.error == nil)
                    #expect(report.schemaVersion == 3)
                    #expect(report.released == 2)
                    #expect(try await county.held("units") == (try await township.held("units")))
                    #expect(try await county.sync().error == nil)
                    let parent = try await township.send(.get, "/v1/sync/status").json["parent"] as? [String: Any]
                    #expect(parent?["heldBack"] as? [String: Int] == [:])
                }
                return try await township.held("units")
            }
            // Nothing lost or counted twice on the way to the city.
            #expect(try await city.held("units") == units)
            #expect(units.values.filter { $0.contains("deleted=true") }.count == 1)
        }
    }

    @Test func eachRefusalNamesTheNodeToUpgrade() async throws {
        // Five versions: a node of version 5 reads 3 to 5.
        let five = SchemaHistory([.init(adds: RecordKind.allCases), .init(adds: []), .init(adds: []), .init(adds: []), .init(adds: [])])
        let federation = try await TestFederation.make()
        try await federation.county.serve(configure: Self.running(five)) { county in
            // A child three versions behind its parent.
            try await federation.township.serve(configure: Self.running(five.release(upTo: 2))) { township in
                let report = try await township.sync()
                #expect(report.error?.contains("upgrade congress on 420802101") == true, "\(report.error ?? "")")
            }
            // A batch of such a child, sent all the same, is refused too.
            let old = try SyncClient.document(
                BatchHeader(
                    protocol: SyncProtocol.version,
                    schemaHash: try #require(five.schema(2)).hash,
                    schemaVersion: 2,
                    topologyHash: "",
                    sender: federation.township.node,
                    fromSeq: 1,
                    toSeq: 0
                ),
                changes: "[]"
            )
            let refused = try await county.send(
                .post,
                "/v1/sync/batches",
                json: old,
                token: .custom("Bearer \(federation.township.secrets.parentToken!)")
            )
            #expect(refused.status == .upgradeRequired)
            #expect(refused.error?.code == "schema_too_old")
            #expect(refused.error?.message.contains("upgrade congress on 420802101") == true)
            // A parent three versions behind its child.
            try await federation.city.serve(configure: Self.running(five.release(upTo: 1))) { _ in
                let report = try await county.sync()
                let error = report.error ?? ""
                #expect(error.contains("upgrade congress on 4208") && !error.contains("upgrade congress on 420802"), "\(error)")
            }
        }
    }
}
