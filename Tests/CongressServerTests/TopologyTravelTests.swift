import CongressCore
import CongressStore
import Foundation
import Testing

@testable import CongressServer
@testable import CongressSync

/// The topology travels down the tree (SPEC §17): a parent judges a batch by the sender's subtree in its own topology
/// and names the topology it holds; a child follows its parent's file, checked as an operator's edit is checked, and
/// refuses one that would drop it.
@Suite struct TopologyTravelTests {
    typealias TopologyFolder = TopologyReloadTests.TopologyFolder

    /// The city, county and township of `TestFederation`, with the topology they were built from.
    static func federation() async throws -> (TestTopology, TestFederation) {
        let ports = try (0..<3).map { _ in try LoopbackPort.free() }
        let topology = TestTopology.city(ports: ["4208": ports[0], "420802": ports[1], "420802101": ports[2]])
        let nodes = try await TestFederation.nodes(["4208", "420802", "420802101"], of: topology.yaml)
        return (topology, TestFederation(yaml: topology.yaml, city: nodes[0], county: nodes[1], township: nodes[2]))
    }

    /// Serves `node` where the topology says, reading its topology from `folder` when given and its points rules from
    /// the `points` folder beside it, as `congress serve` does; else both in memory (the points rules `points`, if given).
    static func serve<Value: Sendable>(
        _ node: TestNode,
        file folder: TopologyFolder?,
        points: PointsFolder? = nil,
        _ body: @Sendable (APIClient) async throws -> Value
    ) async throws -> Value {
        try await node.serve(
            configure: { configuration in
                TestFederation.live(&configuration)
                configuration.topologyPollInterval = .milliseconds(50)
                if let folder {
                    configuration.topologyFile = folder.file
                    configuration.pointsDirectory = PointsFolder.directory(besideTopology: folder.file)
                    configuration.points = try! PointsFolder.load(directory: PointsFolder.directory(besideTopology: folder.file))
                }
                if let points { configuration.points = points }
            },
            body
        )
    }

    static func hash(of api: APIClient) async throws -> String? {
        try await api.send(.get, "/v1/topology").json["hash"] as? String
    }

    @Test func aParentTakesABatchCutFromAnotherTopologyAndNamesItsOwn() async throws {
        let federation = try await TestFederation.make()
        try await federation.run { _, county, township in
            _ = try await township.create("deputies", Fixture.deputy(name: "代表", region: "420802101", level: "township", congress: "420802101"))
            let batch = try await ReplicationTests.batch(from: federation.township, after: 0, topologyHash: "a-topology-edited-elsewhere")
            let childToken = APIClient.Token.custom("Bearer \(federation.township.secrets.parentToken!)")
            let reply = try await county.send(.post, "/v1/sync/batches", json: batch, token: childToken)
            #expect(reply.status == .ok)
            let ack = try reply.decode(BatchAck.self)
            #expect(ack.applied == 1)
            #expect(ack.topologyHash == Topology.hash(of: federation.yaml))

            let file = try await county.send(.get, "/v1/sync/topology", token: childToken)
            #expect(file.status == .ok)
            #expect(file.body == federation.yaml)
            #expect(try await county.send(.get, "/v1/sync/topology", token: .read).status == .unauthorized)
        }
    }

    @Test func anEditAtTheCityReachesTheCountyAndTheTownship() async throws {
        let (topology, federation) = try await Self.federation()
        let cityFolder = try TopologyFolder(topology.yaml)
        let countyFolder = try TopologyFolder(topology.yaml)
        let edited = topology.adding("420802100", "子陵铺镇").yaml
        let editedHash = Topology.hash(of: edited)
        try await Self.serve(federation.city, file: cityFolder) { city in
            try await Self.serve(federation.county, file: countyFolder) { county in
                // The township runs without a file (as in-process nodes do): it adopts in memory.
                try await Self.serve(federation.township, file: nil) { township in
                    try cityFolder.write(edited)
                    let reloaded = try await TopologyReloadTests.topology(of: city) { $0["hash"] as? String == editedHash }
                    #expect(reloaded["hash"] as? String == editedHash)

                    // The township pushes first: its parent still holds the old file, nothing to follow.
                    let first = try await township.sync()
                    #expect(first.error == nil)
                    #expect(first.topologyAdopted == nil)
                    // The county's push is accepted although its topology differs, and the city's answer names its own.
                    let atCounty = try await county.sync()
                    #expect(atCounty.error == nil)
                    #expect(atCounty.topologyAdopted == editedHash)
                    #expect(try await Self.hash(of: county) == editedHash)
                    #expect(try String(contentsOfFile: countyFolder.file, encoding: .utf8) == edited, "written to the county's file")
                    // …and the county passes it on.
                    let atTownship = try await township.sync()
                    #expect(atTownship.error == nil)
                    #expect(atTownship.topologyAdopted == editedHash)
                    let townshipTopology = try await township.send(.get, "/v1/topology").json
                    #expect(townshipTopology["hash"] as? String == editedHash)
                    #expect(TopologyReloadTests.townships(in: townshipTopology).contains("420802100 子陵铺镇"))
                    #expect(townshipTopology["lastRejected"] is NSNull)

                    // Once all agree, a sync adopts nothing and each parent sees its child's hash.
                    let again = try await township.sync()
                    #expect(again.error == nil)
                    #expect(again.topologyAdopted == nil)
                    #expect(try await county.sync().error == nil)
                    for (parent, child) in [(county, "420802101"), (city, "420802")] {
                        let status = try await parent.send(.get, "/v1/sync/status").json
                        let entry = (status["children"] as? [[String: Any]])?.first { $0["code"] as? String == child }
                        #expect(entry?["topologyHash"] as? String == editedHash)
                        #expect(entry?["topologyRefused"] == nil)
                    }
                    for api in [city, county, township] {
                        let parent = try await api.send(.get, "/v1/sync/status").json["parent"] as? [String: Any]
                        #expect(parent == nil || parent?["lastError"] is NSNull || parent?["lastError"] == nil)
                    }
                    #expect(try await Self.hash(of: city) == editedHash)
                    #expect(try String(contentsOfFile: cityFolder.file, encoding: .utf8) == edited)
                }
            }
        }
    }

    @Test func aTopologyThatDropsTheChildIsRefusedThereAndReportedAtBothEnds() async throws {
        let (topology, federation) = try await Self.federation()
        let countyFolder = try TopologyFolder(topology.yaml)
        let without = topology.removing("420802101").yaml
        let withoutHash = Topology.hash(of: without)
        let message = "node 420802101 is not in this topology: a running node cannot be removed from under itself (stop it first)"
        try await Self.serve(federation.county, file: countyFolder) { county in
            try await Self.serve(federation.township, file: nil) { township in
                #expect(try await township.sync().error == nil)
                try countyFolder.write(without)
                _ = try await TopologyReloadTests.topology(of: county) { $0["hash"] as? String == withoutHash }

                // The county refuses the township's batches now; the township fetches the county's file and refuses it.
                let report = try await township.sync()
                let error = try #require(report.error)
                #expect(error.contains("does not sync with 420802"))
                #expect(error.contains("topology.yaml@420802:1:1: error: \(message)"))
                #expect(report.topologyAdopted == nil)
                let json = try await township.send(.get, "/v1/topology").json
                #expect(json["hash"] as? String == Topology.hash(of: topology.yaml), "the old topology stays in force")
                let rejected = try #require(json["lastRejected"] as? [String: Any])
                #expect(rejected["hash"] as? String == withoutHash)
                #expect(rejected["trigger"] as? String == "parent 420802")
                let errors = rejected["errors"] as? [[String: Any]]
                #expect(errors?.first?["message"] as? String == message)
                #expect(errors?.first?["file"] as? String == "topology.yaml@420802")
                let parentEdge = try await township.send(.get, "/v1/sync/status").json["parent"] as? [String: Any]
                #expect((parentEdge?["lastError"] as? String)?.contains(message) == true)

                // The county is told why in the same run, and again with each push until the township adopts a file.
                for run in 1...2 {
                    if run == 2 { #expect(try await township.sync().error?.contains(message) == true) }
                    let status = try await county.send(.get, "/v1/sync/status").json
                    #expect((status["children"] as? [[String: Any]])?.isEmpty == true)
                    let former = (status["formerChildren"] as? [[String: Any]])?.first
                    #expect(former?["code"] as? String == "420802101")
                    #expect(former?["topologyHash"] as? String == Topology.hash(of: topology.yaml))
                    let refused = former?["topologyRefused"] as? [String: Any]
                    #expect(refused?["hash"] as? String == withoutHash)
                    #expect((refused?["errors"] as? [String])?.first == "topology.yaml@420802:1:1: error: \(message)")
                }
            }
        }
    }

    @Test func aHandEditAtTheCountyIsReportedAsADivergenceAndTheCitysFileWins() async throws {
        let (topology, federation) = try await Self.federation()
        let cityFolder = try TopologyFolder(topology.yaml)
        let countyFolder = try TopologyFolder(topology.yaml)
        let piloted = topology.renaming("420802101", to: "龙泉街道（试点）").yaml
        let original = Topology.hash(of: topology.yaml)
        try await Self.serve(federation.city, file: cityFolder) { _ in
            try await Self.serve(federation.county, file: countyFolder) { county in
                try await Self.serve(federation.township, file: nil) { township in
                    // In agreement: nothing diverges.
                    let agreeing = try await county.sync()
                    #expect(agreeing.error == nil)
                    #expect(agreeing.topologyDivergence == nil)

                    // The county's operator edits its file by hand (a pilot): it is in force there, and the township,
                    // whose parent the county is, follows it.
                    try countyFolder.write(piloted)
                    _ = try await TopologyReloadTests.topology(of: county) { $0["hash"] as? String == Topology.hash(of: piloted) }
                    #expect(try await township.sync().topologyAdopted == Topology.hash(of: piloted))

                    // At the county's next sync the divergence is reported, and the city's file wins.
                    let report = try await county.sync()
                    #expect(report.error == nil)
                    #expect(report.topologyAdopted == original)
                    let divergence = try #require(report.topologyDivergence)
                    #expect(divergence.contains("was edited here"))
                    #expect(divergence.contains("4208's file (\(original.prefix(12))) wins"))
                    #expect(try String(contentsOfFile: countyFolder.file, encoding: .utf8) == topology.yaml)
                    #expect(federation.county.logs.text.contains("topology diverged from the parent's"))
                    // …and the township follows back.
                    #expect(try await township.sync().topologyAdopted == original)
                    // An adoption from the parent is no divergence the next time the parent's file changes.
                    let again = try await county.sync()
                    #expect(again.topologyDivergence == nil)
                }
            }
        }
    }

    /// The operator's whole path to a new node: the edit at the city travels down, the one enrolment step (the new node's
    /// token at its parent) is done, and the new node's records reach the city; no sync fails on the way.
    @Test func aTownshipNodeAddedAtTheCityJoinsOnceEnrolledAtItsCounty() async throws {
        let (topology, federation) = try await Self.federation()
        let cityFolder = try TopologyFolder(topology.yaml)
        let countyFolder = try TopologyFolder(topology.yaml)
        var grown = topology
        grown.ports["420802102"] = try LoopbackPort.free()
        let edited = grown.yaml
        let editedHash = Topology.hash(of: edited)
        try await Self.serve(federation.city, file: cityFolder) { city in
            try await Self.serve(federation.county, file: countyFolder) { county in
                try await Self.serve(federation.township, file: nil) { township in
                    try cityFolder.write(edited)
                    _ = try await TopologyReloadTests.topology(of: city) { $0["hash"] as? String == editedHash }
                    for (api, adopts) in [(township, false), (county, true), (township, true)] {
                        let report = try await api.sync()
                        #expect(report.error == nil)
                        #expect((report.topologyAdopted == editedHash) == adopts)
                    }
                }
            }
            #expect(try String(contentsOfFile: countyFolder.file, encoding: .utf8) == edited)

            // Enrolment, as `congress secrets init` does it: existing tokens kept, the new node's hash at its parent.
            let existing = [federation.city, federation.county, federation.township].map(\.secrets)
            let enrolled = NodeSecrets.generate(
                for: try TopologyLoader.parse(edited, file: "topology.yaml").topology,
                keeping: Dictionary(uniqueKeysWithValues: existing.map { ($0.node, $0) })
            )
            let countySecrets = try #require(enrolled.first { $0.node == federation.county.node })
            #expect(countySecrets.parentToken == federation.county.secrets.parentToken, "the county's own token is kept")
            let newcomer = try await TestNode.make(node: "420802102", topologyYAML: edited, federationSecrets: enrolled)
            // The county restarts with its new secrets (it reads them at start); the new node starts with the new file.
            try await federation.county.serve(
                configure: { configuration in
                    TestFederation.live(&configuration)
                    configuration.topologyFile = countyFolder.file
                    configuration.topology = try! TopologyLoader.parse(edited, file: "topology.yaml").topology
                    configuration.secrets = countySecrets
                }
            ) { county in
                try await newcomer.serve(configure: TestFederation.live) { township in
                    let deputy = try await township.create(
                        "deputies",
                        Fixture.deputy(name: "新节点代表", region: "420802102", level: "township", congress: "420802102")
                    )
                    let first = try await township.sync()
                    #expect(first.error == nil)
                    #expect(first.topologyAdopted == nil, "it started with the file in force")
                    #expect(try await county.sync().error == nil)
                    #expect(try await city.held("deputies").keys.contains(deputy))
                    let child = try #require(try await MixedReleaseTests.child(county, "420802102"))
                    #expect(child["topologyHash"] as? String == editedHash)
                    #expect(child["lags"] as? [String] == [])
                }
            }
        }
    }
}
