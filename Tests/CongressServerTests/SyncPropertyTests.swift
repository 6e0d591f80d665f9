import CongressCore
import CongressStore
import CongressSync
import Foundation
import Testing

@testable import CongressServer

@Suite struct SyncPropertyTests {
    /// A city, two counties, three township nodes and a township without a node (served by its county).
    static func topology(ports: [Int]) -> String {
        let codes = ["4208", "420802", "420802101", "420802102", "420804", "420804101"]
        return TestTopology.city(ports: Dictionary(uniqueKeysWithValues: zip(codes, ports)))
            .adding("420802103", "东宝区子陵铺镇").adding("420804101", "掇刀石街道").yaml
    }

    /// Where each node writes: its own area, and for a county also the township without a node.
    static let writesIn: [String: [String]] = [
        "4208": ["4208"], "420802": ["420802", "420802103"], "420804": ["420804"],
        "420802101": ["420802101"], "420802102": ["420802102"], "420804101": ["420804101"],
    ]

    static func level(of region: String) -> String { [4: "city", 6: "county", 9: "township"][region.count]! }

    /// Halfway through, the city's operator edits the topology (SPEC §17): a new township without a node under 掇刀区,
    /// where 掇刀区 writes once it holds the new file. The edit travels down by sync while records travel up.
    @Test(arguments: [UInt64(20_261_122), 7, 42])
    func everyAncestorHoldsExactlyTheUnionOfItsDescendantsRecords(seed: UInt64) async throws {
        let ports = try (0..<6).map { _ in try LoopbackPort.free() }
        let yaml = Self.topology(ports: ports)
        let edited = TestTopology.city(
            ports: Dictionary(uniqueKeysWithValues: zip(["4208", "420802", "420802101", "420802102", "420804", "420804101"], ports))
        ).adding("420802103", "东宝区子陵铺镇").adding("420804101", "掇刀石街道").adding("420804102", "白庙街道").yaml
        let editedHash = Topology.hash(of: edited)
        let codes = ["4208", "420802", "420802101", "420802102", "420804", "420804101"]
        let federation = try await TestFederation.nodes(codes, of: yaml)
        let cityFolder = try TopologyReloadTests.TopologyFolder(yaml)
        let manySmallBatches: @Sendable (inout AppConfiguration) -> Void = {
            TestFederation.live(&$0)
            $0.syncBatchSize = 4  // many small batches: more boundaries for an interruption to fall on
            // The city reads its file (and reloads it when edited); the others follow their parents in memory.
            if $0.node == RegionCode("4208") {
                $0.topologyFile = cityFolder.file
                $0.topologyPollInterval = .milliseconds(50)
            }
        }

        try await TestFederation.serve(federation[...], configure: manySmallBatches) { clients in
            var random = SeededRandom(seed: seed)  // a failing sequence replays from its seed
            var live: [String: [(collection: String, id: String)]] = [:]  // per writer, what it may update or delete
            var writesIn = Self.writesIn
            for step in 0..<160 {
                if step == 80 {
                    try cityFolder.write(edited)
                    let reloaded = try await TopologyReloadTests.topology(of: clients[0]) { $0["hash"] as? String == editedHash }
                    #expect(reloaded["hash"] as? String == editedHash)
                }
                let writer = Int.random(in: 0..<codes.count, using: &random)
                let code = codes[writer]
                let client = clients[writer]
                if code == "420804", writesIn[code]?.contains("420804102") == false,
                    try await client.send(.get, "/v1/topology").json["hash"] as? String == editedHash
                {
                    writesIn[code]?.append("420804102")
                }
                switch Int.random(in: 0..<100, using: &random) {
                case 0..<40:
                    let region = writesIn[code]!.randomElement(using: &random)!
                    if Bool.random(using: &random) {
                        let id = try await client.create(
                            "deputies",
                            Fixture.deputy(name: "代表\(step)", region: region, level: Self.level(of: region), congress: region)
                        )
                        live[code, default: []].append(("deputies", id))
                    } else {
                        let id = try await client.create("stations", Fixture.station(name: "联络站\(step)", region: region, units: []))
                        live[code, default: []].append(("stations", id))
                    }
                case 40..<55:
                    guard let target = live[code]?.randomElement(using: &random) else { continue }
                    var record = try await client.send(.get, "/v1/\(target.collection)/\(target.id)").json
                    record[target.collection == "deputies" ? "occupation" : "address"] = "第\(step)步"
                    let body = String(decoding: try JSONSerialization.data(withJSONObject: record), as: UTF8.self)
                    let reply = try await client.send(.put, "/v1/\(target.collection)/\(target.id)", json: body)
                    #expect(reply.status == .ok, "\(reply.body)")
                case 55..<63:
                    guard let index = live[code]?.indices.randomElement(using: &random), let target = live[code]?.remove(at: index) else { continue }
                    #expect(try await client.send(.delete, "/v1/\(target.collection)/\(target.id)").status == .ok)
                case 63..<93:
                    guard code != "4208" else { continue }
                    #expect(try await client.sync().error == nil)
                default:
                    // A crash after the parent applied but before the child stored the acknowledgement: the child
                    // resends from an earlier seq.
                    guard code != "4208" else { continue }
                    let acked = try await TestDatabase.texts("SELECT acked_seq::text FROM sync_upstream", on: federation[writer].database)
                    guard let seq = acked.first.flatMap({ Int64($0) }), seq > 0 else { continue }
                    let back = Int64.random(in: 0..<seq, using: &random)
                    _ = try await TestDatabase.texts("UPDATE sync_upstream SET acked_seq = \(back) RETURNING ''", on: federation[writer].database)
                }
            }
            // Everything settles once each node has run after its children; the edit has reached every node by then
            // (a second round for the townships, whose counties adopt it in the first).
            for index in [2, 3, 5, 1, 4, 2, 3, 5] { #expect(try await clients[index].sync().error == nil) }
            for (index, code) in codes.enumerated() {
                #expect(try await clients[index].send(.get, "/v1/topology").json["hash"] as? String == editedHash, "topology at \(code)")
            }
            #expect(writesIn["420804"]?.contains("420804102") == true, "掇刀区 wrote in the new township, seed \(seed)")

            for (index, code) in codes.enumerated() {
                let descendants = codes.indices.filter { codes[$0].hasPrefix(code) }
                for table in ["deputies", "stations"] {
                    var expected: [String] = []
                    for descendant in descendants {
                        expected += try await SyncFaultTests.records(
                            table,
                            on: federation[descendant].database,
                            origin: codes[descendant],
                            exactly: true
                        )
                    }
                    let held = try await SyncFaultTests.records(table, on: federation[index].database)
                    #expect(held == expected.sorted(), "\(table) at \(code), seed \(seed)")
                    #expect(try await SyncFaultTests.duplicates(on: federation[index].database).isEmpty)
                }
            }
        }
    }
}
