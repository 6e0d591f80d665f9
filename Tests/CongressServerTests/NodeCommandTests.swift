import CongressCore
import CongressStore
import Foundation
import Testing

/// `congress seed`, `backup` and `restore` as an operator runs them, on a node's database.
@Suite struct NodeCommandTests {
    @Test func seedingTwiceWritesOnceAndBadOptionsChangeNothing() async throws {
        let node = try await TestNode.make()
        let files = try NodeProcess(node, topologyYAML: TestTopology.standard.yaml)
        let first = try await files.command(["seed", "--synthetic", "--scale", "small", "--seed", "3"])
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("seeded 420802:"))
        let seeded = try await node.snapshot()
        #expect(try await TestDatabase.texts("SELECT count(*)::text FROM deputies", on: node.database) != ["0"])
        // Through the store's own checks: participants in office and seen here, groups of their congress.
        #expect(try await TestDatabase.texts("SELECT count(*)::text FROM activities", on: node.database) != ["0"])
        #expect(try await TestDatabase.texts("SELECT count(*)::text FROM groups", on: node.database) != ["0"])

        let again = try await files.command(["seed", "--synthetic", "--scale", "small", "--seed", "3"])
        #expect(again.status == 0)
        #expect(again.output.contains("deputies (0 new)") && again.output.contains("activities (0 new)"), "\(again.output)")
        #expect(try await node.snapshot() == seeded)

        for (arguments, message) in [
            (["seed"], "--synthetic"),
            (["seed", "--synthetic", "--shared", "2"], "a share from 0 to 1"),
            (["seed", "--synthetic", "--scale", "huge"], "huge"),
            (["seed", "--synthetic", "--activity-years", "9"], "from 0 to 5 years"),
            (["restore", "--from", "/nonexistent/backup.dump"], "cannot read the backup"),
        ] {
            let refused = try await files.command(arguments)
            #expect(refused.status != 0, "\(arguments)")
            #expect(refused.output.contains(message), "\(arguments): \(refused.output)")
        }
        #expect(try await node.snapshot() == seeded)
    }

    @Test func aBackupRestoredByTheCommandsBringsBackWhatItHeld() async throws {
        let node = try await TestNode.make()
        let files = try NodeProcess(node, topologyYAML: TestTopology.standard.yaml)
        let dump = files.folder.appendingPathComponent("node.dump").path
        _ = try await node.run { api in try await api.create("deputies", Fixture.deputy(name: "备份前")) }
        let atBackup = try await node.snapshot()
        let backup = try await files.command(["backup", "--out", dump])
        #expect(backup.status == 0, "\(backup.output)")
        _ = try await node.run { api in try await api.create("deputies", Fixture.deputy(name: "备份后")) }
        let restore = try await files.command(["restore", "--from", dump])
        #expect(restore.status == 0, "\(restore.output)")
        #expect(try await node.snapshot() == atBackup)
    }

    @Test func aPointsRulesFileWithAMistakeStopsTheNodeAtStartAndTopologyCheckSaysWhere() async throws {
        let node = try await TestNode.make()
        let files = try NodeProcess(node, topologyYAML: TestTopology.standard.yaml)
        let points = files.folder.appendingPathComponent("points/420802")
        try FileManager.default.createDirectory(at: points, withIntermediateDirectories: true)
        let file = points.appendingPathComponent("2026.yaml")
        try "version: 1\ncongress: \"420802\"\nyear: 2026\nrules:\n  - { kind: inspection, points: 3, cap: -1 }\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let message = "\(file.path):5:41: error: 'cap' must be a whole number from 1 to 10000, not '-1'"

        let seed = try await files.command(["seed", "--synthetic", "--scale", "small"])
        #expect(seed.status != 0)
        #expect(seed.output.contains(message), "\(seed.output)")

        let topologyFile = files.folder.appendingPathComponent("topology.yaml").path
        let check = try await ChildProcess.run(try NodeProcess.executable, ["topology", "check", topologyFile])
        #expect(check.terminationStatus != 0)
        #expect(check.text.contains(message), "\(check.text)")

        try "version: 1\ncongress: \"420802\"\nyear: 2026\nrules:\n  - { kind: inspection, points: 3, cap: 12 }\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let fixed = try await ChildProcess.run(try NodeProcess.executable, ["topology", "check", topologyFile])
        #expect(fixed.terminationStatus == 0, "\(fixed.text)")
        #expect(fixed.text.contains("ok: 1 points rules files"))
    }

    @Test func aNodeConfiguredWithAbsolutePathsStarts() async throws {
        let yaml = TestTopology.city(ports: ["4208": try LoopbackPort.free(), "420802": try LoopbackPort.free()]).yaml
        let node = try await TestNode.make(node: "420802", topologyYAML: yaml)
        let files = try NodeProcess(node, topologyYAML: yaml, absolutePaths: true)
        #expect(try String(contentsOf: files.configFile, encoding: .utf8).contains("topology: /"))
        let api = try await files.start()
        #expect(try await api.send(.get, "/v1/topology").json["file"] as? String == files.folder.appendingPathComponent("topology.yaml").path)
        files.kill()
    }
}
