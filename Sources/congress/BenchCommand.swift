import ArgumentParser
import AsyncHTTPClient
import CongressCore
import CongressServer
import CongressStore
import CongressTooling
import Foundation
import Logging
import PostgresNIO
import Yams

/// `congress bench …`: performance figures as ratios against a baseline measured in the same run (SPEC §11).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure performance; each run ends with machine-readable RESULT lines.",
        subcommands: [TopologyBench.self, SyncBench.self, IncrementalBench.self, CoverageBench.self, RosterBench.self]
    )
}

/// One measured figure, printed as SPEC §11's `RESULT` line.
struct BenchResult {
    var name: String
    var value: Double
    var unit: String
    var baseline: Double?
    /// The goal as written in the line, e.g. `<1` or `>=0.5`.
    var goal: String
    var met: Bool

    var line: String {
        let ratio = baseline.map { Self.format(value / $0) } ?? "-"
        return
            "RESULT \(name) value=\(Self.format(value)) unit=\(unit) baseline=\(baseline.map(Self.format) ?? "-") ratio=\(ratio) goal=\(goal) met=\(met ? "yes" : "no")"
    }

    private static func format(_ number: Double) -> String {
        let scale = number >= 100 ? 1.0 : 1000.0
        return String(describing: (number * scale).rounded() / scale)
    }

    /// The median wall-clock seconds of `runs` runs of `work`, after one warm-up run.
    static func medianSeconds(runs: Int, _ work: () async throws -> Void) async rethrows -> Double {
        try await work()
        var samples: [Double] = []
        for _ in 0..<runs { samples.append(try await seconds(work)) }
        return samples.sorted()[samples.count / 2]
    }

    /// Wall-clock seconds of one run of `work`.
    static func seconds(_ work: () async throws -> Void) async rethrows -> Double {
        let elapsed = try await ContinuousClock().measure(work)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

struct TopologyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Check a generated province topology (1,300 townships); baseline: parsing the same YAML alone."
    )

    @Flag(help: "A tenth of the size, for a smoke run.")
    var quick = false

    func run() async throws {
        try await Report.run {
            let shape = quick ? SyntheticTopology(cities: 13, countiesPerCity: 10, townshipsPerCounty: 1) : .province
            let text = shape.yaml
            let parseOnly = try await BenchResult.medianSeconds(runs: 5) { _ = try Yams.compose(yaml: text) }
            var nodes = 0
            let check = try await BenchResult.medianSeconds(runs: 5) {
                nodes = try TopologyLoader.parse(text, file: "generated.yaml").topology.allNodes.count
            }
            print("topology: \(shape.townships) townships, \(nodes) nodes, \(text.utf8.count) bytes")
            let result = BenchResult(
                name: "topology_check_\(shape.townships)",
                value: check,
                unit: "s",
                baseline: parseOnly,
                goal: "<1",
                met: check < 1
            )
            print(result.line)
        }
    }
}

/// Where benchmarks keep their databases.
enum BenchDatabase {
    /// Runs `body` with a PostgreSQL server: the one `url` names, else a throwaway managed cluster in a temporary folder
    /// (also handed to `body` for files), removed afterwards.
    static func withServer<T>(url: String?, logger: Logger, _ body: (DatabaseAddress, String) async throws -> T) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("congress-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let managed = url == nil ? ManagedPostgres(dataDir: folder + "/pg", logger: logger) : nil
        let server: DatabaseAddress
        if let url { server = try DatabaseAddress(url: url) } else { server = try await managed!.start().address }
        defer { try? managed?.stop() }
        return try await body(server, folder)
    }
}

/// The root node of a generated topology on a fresh database of `server`, serving on a free loopback port in this
/// process while `body` runs (with a pool on the same database, the node's secrets and its address).
enum BenchNode {
    static func run<T: Sendable>(
        _ shape: SyntheticTopology,
        on server: DatabaseAddress,
        named name: String,
        logger: Logger,
        _ body: (_ topology: Topology, _ client: PostgresClient, _ secrets: NodeSecrets, _ base: String) async throws -> T
    ) async throws -> T {
        let topology = try TopologyLoader.parse(shape.yaml, file: "generated.yaml").topology
        let address = server.with(database: "bench_\(name)_\(UUID().uuidString.prefix(8).lowercased())")
        try await ManagedPostgres.createDatabaseIfMissing(address.database, on: server, logger: logger)
        let port = try LoopbackPort.free()
        let secrets = NodeSecrets.generate(for: topology, keeping: [:]).first { $0.node == topology.root.code }!
        let quiet = logger.errorsOnly
        var configuration = AppConfiguration(
            node: topology.root.code,
            topology: topology,
            secrets: secrets,
            database: address,
            listen: HostAndPort(host: "127.0.0.1", port: port),
            logger: quiet
        )
        configuration.schedulesPushes = false
        let app = try buildApplication(configuration)
        let client = PostgresClient(configuration: address.clientConfiguration, backgroundLogger: quiet)
        return try await whileRunning([app, client], logger: logger) {
            try await NodeHTTP.waitUntilListening(port: port)
            return try await body(topology, client, secrets, "http://127.0.0.1:\(port)")
        }
    }
}
