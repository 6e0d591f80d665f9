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
        #expect(again.output.contains("cases (0 new)") && again.output.contains("case events (0 new, 0 waiting"), "\(again.output)")
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

    /// `congress seed` at a township's node and its county's, with a sync after each round: every round writes what
    /// the other node's events allow (the county's handling once a transfer is up, the township's feedback once the
    /// reply is down, the county's closing once the feedback is up). Checked from the county's rows, which hold both.
    @Test func seededCasesComeInJingmensProportionsAndFollowTheWorkflowAcrossNodes() async throws {
        let federation = try await TestFederation.make()
        let files = try [federation.township, federation.county].map { try NodeProcess($0, topologyYAML: federation.yaml) }
        try await TestFederation.serve([federation.county, federation.township]) { clients in
            var outputs: [String] = []
            for _ in 0..<6 {
                outputs = []
                for file in files {
                    let seeded = try await file.command(["seed", "--synthetic", "--scale", "small", "--seed", "5"])
                    #expect(seeded.status == 0, "\(seeded.output)")
                    outputs.append(seeded.output)
                }
                #expect(try await clients[1].sync().error == nil)
            }
            #expect(outputs.allSatisfy { $0.contains("new, 0 waiting for another node's") }, "\(outputs)")
        }

        struct Row<Body: Decodable>: Decodable {
            var id: UUID
            var origin: RegionCode
            var body: Body
        }
        func rows<Body: Decodable>(_ table: String, of _: Body.Type) async throws -> [Row<Body>] {
            try await TestDatabase.texts(
                "SELECT json_build_object('id', id, 'origin', origin, 'body', body)::text FROM \(table) WHERE NOT deleted",
                on: federation.county.database
            ).map { try JSONDecoder().decode(Row<Body>.self, from: Data($0.utf8)) }
        }
        let events = Dictionary(grouping: try await rows("case_events", of: CaseEvent.self)) { $0.body.caseId }
        let today = Activity.today()
        var statuses: [(body: Case, status: CaseStatus)] = []
        for row in try await rows("cases", of: Case.self) {
            #expect(row.origin == federation.county.node || row.body.content == nil, "a case comes up without its text")
            let workflow = row.body.workflow(origin: row.origin, deadlines: .standard)
            var steps: [CaseStep] = []
            let ordered = (events[row.id] ?? []).map { $0.body.step(id: $0.id, node: $0.origin) }.sorted(by: CaseWorkflow.recordedBefore)
            for step in ordered {
                do {
                    try workflow.check(step, after: workflow.status(after: steps, today: today))
                } catch {
                    Issue.record("case \(row.id): \(step.action) by \(step.node): \(error)")
                }
                steps.append(step)
            }
            statuses.append((row.body, workflow.status(after: steps, today: today)))
        }
        let deputies = try await TestDatabase.texts(
            "SELECT count(*)::text FROM deputies WHERE NOT deleted AND body->>'status' = 'in_office'",
            on: federation.county.database
        )
        let opinions = statuses.filter { $0.body.kind == .opinion }
        let lastYear = opinions.count { $0.body.registeredOn?.year == today.year - 1 }
        let perDeputy = Double(lastYear) / Double(try #require(deputies.first.flatMap { Int($0) }))
        #expect((0.4...0.8).contains(perDeputy), "\(perDeputy) opinions a deputy last year")
        let closed = Double(opinions.count { $0.status.state == .closed }) / Double(opinions.count)
        #expect((0.7...0.9).contains(closed), "\(closed) of \(opinions.count) opinions closed")
        #expect(opinions.contains { $0.status.overdue } && statuses.contains { $0.status.supervised })
        let transferred = opinions.filter { $0.status.transferredTo == federation.county.node }
        #expect(transferred.contains { $0.status.state == .closed && $0.status.satisfaction != nil }, "handled at the county, fed back below")
        let suggestions = statuses.filter { $0.body.kind == .suggestion }
        #expect(suggestions.count >= 2 * 3 && suggestions.contains { $0.status.grade != nil })
        print("seeded township and county: \(opinions.count) opinions (\(perDeputy) a deputy last year), \(closed) closed,", terminator: "")
        print(" \(transferred.count) transferred up, \(suggestions.count) suggestions")
        // No constituent's contact anywhere: synthetic cases carry none.
        for node in [federation.county, federation.township] {
            #expect(try await TestDatabase.texts("SELECT count(*)::text FROM case_contacts", on: node.database) == ["0"])
        }
    }

    /// `congress coverage verify` (issue 20): the figures maintained as the seed wrote equal a recount; a cell changed
    /// behind the maintainer's back is found, its region and figure named, and the command fails.
    @Test func coverageVerifyFindsTheMaintainedFiguresEqualARecountAndNamesOneThatIsNot() async throws {
        let node = try await TestNode.make()
        let files = try NodeProcess(node, topologyYAML: TestTopology.standard.yaml)
        let seeded = try await files.command(["seed", "--synthetic", "--scale", "small", "--seed", "5"])
        #expect(seeded.status == 0, "\(seeded.output)")
        let verified = try await files.command(["coverage", "verify"])
        #expect(verified.status == 0, "\(verified.output)")
        #expect(verified.output.contains("420802: the maintained figures of all"), "\(verified.output)")

        let tampered = try await TestDatabase.texts(
            """
            UPDATE coverage_cells SET counts = jsonb_set(counts, '{units}', to_jsonb((counts->>'units')::int + 1))
            WHERE cell = (SELECT min(cell) FROM coverage_cells WHERE (counts->>'units')::int > 0) RETURNING cell
            """,
            on: node.database
        )
        let township = try #require(tampered.first?.prefix(9))
        let found = try await files.command(["coverage", "verify"])
        #expect(found.status == 1, "\(found.output)")
        #expect(found.output.contains("\(township) ") && found.output.contains("units: "), "\(found.output)")
        #expect(found.output.contains("maintained figures differ from a recount"), "\(found.output)")
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
