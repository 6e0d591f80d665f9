import CongressCore
import CongressStore
import CongressSync
import Foundation
import Testing

@testable import CongressServer

/// An outside fuzzer against a live node: Schemathesis (`ops/test` installs it from PyPI into a virtual environment and
/// sets CONGRESS_SCHEMATHESIS) generates requests from /openapi.yaml, valid and invalid, in every phase including the
/// stateful one, and checks every answer against the document (`--checks all`). Its summary goes to the test log.
@Suite struct SchemathesisTests {
    @Test(.timeLimit(.minutes(15))) func theFuzzerFindsNothingAgainstALiveNode() async throws {
        guard let fuzzer = ProcessInfo.processInfo.environment["CONGRESS_SCHEMATHESIS"] else {
            throw TestSetupError("CONGRESS_SCHEMATHESIS is not set: run the tests with ops/test, which installs Schemathesis")
        }
        let ports = try (0..<2).map { _ in try LoopbackPort.free() }
        // The county has a township node below it, so the sync feed has a child to serve.
        var layout = TestTopology.standard
        layout.ports["420802"] = ports[0]
        layout.ports["420802101"] = ports[1]
        let yaml = layout.yaml
        let topology = try TopologyLoader.parse(yaml, file: "test-topology.yaml").topology
        let secrets = NodeSecrets.generate(for: topology, keeping: [:], personKeyRounds: TestDatabase.personKeyRounds)
        let node = try await TestNode.make(node: "420802", topologyYAML: yaml, federationSecrets: secrets)
        let child = try #require(secrets.first { $0.node.rawValue == "420802101" })
        let configure: (inout AppConfiguration) -> Void = {
            $0.listen = HostAndPort(host: "127.0.0.1", port: ports[0])
            $0.schedulesPushes = false
            // A run against the parent that is not there fails fast.
            $0.syncRetry = RetryPolicy(attempts: 1, firstDelay: .zero, maxDelay: .zero, requestTimeout: .milliseconds(200))
            // The fuzzer sends wrong tokens to every route on purpose and expects 401 each time: the hold-back of an
            // address that keeps failing (429, tested in AccountTests) would answer for most of them.
            $0.failedAuthenticationLimit = 1_000_000
            // Likewise the contact pages' limit per (address, page): the fuzzer posts to the same page from one address.
            $0.contactPagePostsPerMinute = 1_000_000
        }
        try await node.serve(configure: configure) { api in
            let training = try await Self.seed(api)
            // The training's roster, progress and sign-ins are fuzzed at this training (a random id only finds 404): a
            // plan received from the city, read-only here, so the fuzzer's deletes cannot take it away.
            _ = try await TestDatabase.texts("UPDATE trainings SET origin = '4208' WHERE id = '\(training)' RETURNING 'x'", on: node.database)
            let repository = Repository.root
            let arguments = [
                "--config-file", repository.appendingPathComponent("ops/fuzz/schemathesis.toml").path,
                "run", "\(api.baseURL!)/openapi.yaml",
                "--checks", "all",
                "--phases", "examples,coverage,fuzzing,stateful",
                "--no-color",
            ]
            var environment = ProcessInfo.processInfo.environment
            environment["CONGRESS_FUZZ_ADMIN_TOKEN"] = node.secrets.adminToken
            environment["CONGRESS_FUZZ_CHILD_TOKEN"] = child.parentToken
            environment["CONGRESS_FUZZ_TRAINING_ID"] = training
            environment["SCHEMATHESIS_HOOKS"] = nil
            // Its caches (.hypothesis, .schemathesis) go to a folder of their own, not into the checkout.
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("schemathesis-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            // Waited for off the cooperative pool: the node it fuzzes runs on that pool.
            let process = try await ChildProcess.run(fuzzer, arguments, environment: environment, in: scratch)
            let text = process.text
            print("Schemathesis against node 420802:\n\(text)")
            #expect(process.terminationStatus == 0, "Schemathesis found failures:\n\(text.suffix(20_000))")
            #expect(!node.logs.text.contains("request failed"), "a request failed inside the node")
        }
    }

    /// A little of everything, so that reads find records and the stateful phase has ids to follow.
    /// Returns the training's id.
    static func seed(_ api: APIClient) async throws -> String {
        let units = (1...3).map { Fixture.unit(code: "42080210100\($0)") }
        _ = try await api.send(.post, "/v1/units/import", json: "[\(units.joined(separator: ", "))]")
        let station = try await api.create("stations", Fixture.station(units: ["420802101001", "420802101002"]))
        var deputies: [String] = []
        for index in 0..<3 { deputies.append(try await api.create("deputies", Fixture.deputy(name: "代表\(index)"))) }
        _ = try await api.create("assignments", #"{"deputyId": "\#(deputies[0])", "stationId": "\#(station)", "role": "resident"}"#)
        return try await api.create("trainings", Fixture.training())
    }
}
