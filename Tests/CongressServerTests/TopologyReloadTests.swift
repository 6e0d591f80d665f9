import CongressCore
import Foundation
import Testing

@testable import CongressServer

/// A running node picks up its operator's edits to the topology file, and refuses broken ones while it keeps serving.
/// Serialized: the SIGHUP test signals the whole process, and a node of another test here would take it for its own trigger.
@Suite(.serialized) struct TopologyReloadTests {
    /// A folder of its own holding the topology file a test edits (and the points folder beside it), removed with the
    /// last reference to it.
    final class TopologyFolder: Sendable {
        let path: String

        init(_ text: String) throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("topology-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try write(text)
        }

        var file: String { path + "/topology.yaml" }

        /// Saves as editors do: a new file renamed over the old one.
        func write(_ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    /// The topology the node answers with, once `condition` holds (or the last answer after 10 s).
    static func topology(of api: APIClient, until condition: ([String: Any]) -> Bool) async throws -> [String: Any] {
        try await api.json("/v1/topology", until: condition)
    }

    static func townships(in json: [String: Any]) -> [String] {
        func walk(_ node: [String: Any]) -> [String] {
            let children = node["children"] as? [[String: Any]] ?? []
            return (node["level"] as? String == "township" ? ["\(node["code"]!) \(node["name"]!)"] : []) + children.flatMap(walk)
        }
        return walk(json["root"] as? [String: Any] ?? [:])
    }

    @Test func validEditTakesEffectAndInvalidOneIsRefused() async throws {
        let standard = TestTopology.standard.yaml
        let folder = try TopologyFolder(standard)
        let node = try await TestNode.make()
        let configure: (inout AppConfiguration) -> Void = {
            $0.topologyFile = folder.file
            $0.topologyPollInterval = .milliseconds(50)
        }
        try await node.run(.live, configure: configure) { api in
            let first = try await api.send(.get, "/v1/topology").json
            #expect(first["hash"] as? String == Topology.hash(of: standard))
            #expect(first["lastRejected"] is NSNull)

            let edited = TestTopology.standard.adding("420802103", "子陵铺镇").yaml
            try folder.write(edited)
            let reloaded = try await Self.topology(of: api) { $0["hash"] as? String == Topology.hash(of: edited) }
            #expect(reloaded["hash"] as? String == Topology.hash(of: edited))
            #expect(Self.townships(in: reloaded) == ["420802101 龙泉街道", "420802102 泉口街道", "420802103 子陵铺镇"])
            #expect(node.logs.text.contains("topology reloaded"))

            let broken = edited.replacingOccurrences(of: "name: 子陵铺镇, level: township", with: "name: 子陵铺镇, level: townsip")
            try folder.write(broken)
            let refused = try await Self.topology(of: api) { $0["lastRejected"] is [String: Any] }
            #expect(refused["hash"] as? String == Topology.hash(of: edited), "the valid topology stays in force")
            #expect(Self.townships(in: refused).count == 3)
            let rejection = try #require(refused["lastRejected"] as? [String: Any])
            #expect(rejection["hash"] as? String == Topology.hash(of: broken))
            #expect(rejection["trigger"] as? String == "file change")
            let errors = try #require(rejection["errors"] as? [[String: Any]])
            #expect(errors.count == 1)
            #expect(errors.first?["line"] as? Int == 20)
            #expect(errors.first?["column"] as? Int == 55)
            #expect(
                errors.first?["message"] as? String
                    == "unknown level 'townsip' (one of national, province, city, county, township); did you mean 'township'?"
            )
            #expect(node.logs.text.contains("\(folder.file):20:55: error: unknown level 'townsip'"))

            // Still serving, reads and writes.
            #expect(try await api.send(.get, "/health").status == .ok)
            _ = try await api.create("deputies", Fixture.deputy())
        }
    }

    @Test func reloadsOnSIGHUP() async throws {
        let folder = try TopologyFolder(TestTopology.standard.yaml)
        let node = try await TestNode.make()
        // The file is not watched for changes here: only the signal can trigger this reload.
        let configure: (inout AppConfiguration) -> Void = {
            $0.topologyFile = folder.file
            $0.topologyPollInterval = .seconds(3600)
        }
        try await node.run(.live, configure: configure) { api in
            for _ in 0..<200 where !node.logs.text.contains("topology reloads on SIGHUP") { try await Task.sleep(for: .milliseconds(20)) }
            let renamed = TestTopology.standard.renaming("420802102", to: "泉口社区").yaml
            try folder.write(renamed)
            kill(getpid(), SIGHUP)
            let json = try await Self.topology(of: api) { $0["hash"] as? String == Topology.hash(of: renamed) }
            #expect(Self.townships(in: json) == ["420802101 龙泉街道", "420802102 泉口社区"])
        }
    }

    @Test func aTopologyWithoutThisNodeIsRefused() async throws {
        let standard = TestTopology.standard.yaml
        let folder = try TopologyFolder(standard)
        let node = try await TestNode.make(node: "420804")
        let configure: (inout AppConfiguration) -> Void = {
            $0.topologyFile = folder.file
            $0.topologyPollInterval = .milliseconds(50)
        }
        try await node.run(.live, configure: configure) { api in
            let without = TestTopology.standard.removing("420804").yaml
            try folder.write(without)
            let json = try await Self.topology(of: api) { $0["lastRejected"] is [String: Any] }
            #expect(json["hash"] as? String == Topology.hash(of: standard))
            let errors = (json["lastRejected"] as? [String: Any])?["errors"] as? [[String: Any]]
            #expect(
                errors?.first?["message"] as? String
                    == "node 420804 is not in this topology: a running node cannot be removed from under itself (stop it first)"
            )
        }
    }
}
