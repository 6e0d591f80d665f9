import ArgumentParser
import CongressCore
import CongressStore
import CongressTooling
import Foundation
import Logging
import PostgresNIO

/// `congress-bench coverage`: coverage requests for a generated province at 50 concurrent clients (SPEC §11).
struct CoverageBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coverage",
        abstract:
            "Coverage for a generated province (1,300 townships, 27k villages, 90k deputies, 7k stations), or the whole country, at 50 concurrent clients.",
        discussion: """
            Baseline: the same load on GET /health (one database round trip), in the same run. Also times how long a write \
            takes to show in the figures (the node recounts the cell it marked in the background). Runs a throwaway managed PostgreSQL (or uses --database) and the node in this process.
            """
    )

    enum Scale: String, ExpressibleByArgument, CaseIterable { case province, national }

    @Flag(help: "A smaller province (100 townships) and shorter load, for a smoke run.")
    var quick = false

    @Option(
        help: "province: a generated province; national: the whole country from the official list (SPEC §16), with a year of activities and cases."
    )
    var scale = Scale.province

    @Option(help: "The official division list the whole country is imported from (--scale national).")
    var divisions = "data/divisions-2022"

    @Flag(help: "Also check that the maintained figures equal a full recount (congress coverage verify), and time both.")
    var verify = false

    @Option(
        help:
            "A database on --database an earlier run of the same scale generated (its name, printed by that run): measured again without generating."
    )
    var reuse: String?

    @OptionGroup var options: LoadOptions

    func run() async throws {
        try await Report.run {
            let logger = Logger(label: "bench", level: .warning)
            let shape = quick ? SyntheticTopology(cities: 2, countiesPerCity: 5, townshipsPerCounty: 10) : .province
            let topology =
                switch scale {
                case .province: try TopologyLoader.parse(shape.yaml, file: "generated.yaml").topology
                case .national:
                    try TopologyLoader.parse(
                        try DivisionList.read(directory: divisions).topology(of: .nation, urls: [.national], source: divisions).yaml,
                        file: "cn.yaml"
                    ).topology
                }
            let duration: Duration = quick ? .seconds(3) : .seconds(10)
            try await BenchDatabase.withServer(url: options.database, logger: logger) { server, _ in
                let secrets = NodeSecrets.generate(for: topology, keeping: [:])
                try await BenchNode.run(topology, secrets: secrets, on: server, named: "coverage", database: reuse, logger: logger) { _ in
                } _: { topology, client, secrets, base in
                    let townships = topology.allNodes.filter { $0.level == .township }.map(\.code)
                    if let reuse {
                        print("\(scale): \(townships.count) townships, the data of \(reuse)")
                    } else {
                        try await generate(townships: townships, root: topology.root.code, on: client)
                    }
                    let load = LoadGenerator(token: secrets.readToken, clients: options.clients)
                    defer { load.shutdown() }

                    // The first count of every cell, as a node does once (a new node, a new year, a new topology):
                    // timed on its own, longer than a client's deadline at national.
                    let firstCount = try await BenchResult.seconds {
                        try await CoverageStore(client: client, logger: logger).figures.maintain(for: topology, node: topology.root.code)
                    }
                    let firstBuild = try await BenchResult.seconds { try await load.get(base + "/v1/coverage?depth=1") }
                    if verify {
                        let widths = CoverageSnapshot.prefixWidths(topology: topology, node: topology.root.code)
                        var differing = 0
                        let verified = try await BenchResult.seconds {
                            let (maintained, recounted) = try await CoverageStore(client: client, logger: logger).figures.verify(
                                widths: widths,
                                day: .now(in: topology)
                            )
                            differing = topology.allNodes.count { region in
                                let prefix = CoverageSnapshot.prefix(of: region.code)
                                return maintained[prefix] ?? CoverageCounts() != recounted[prefix] ?? CoverageCounts()
                            }
                        }
                        print(
                            "verify: \(differing) of \(topology.allNodes.count) regions differ from a full recount (\(String(format: "%.1f", verified)) s)"
                        )
                    }
                    let regions = [topology.root] + topology.root.children + topology.root.children.flatMap(\.children)
                    let paths = regions.map { "/v1/coverage?region=\($0.code)&depth=1" }
                    let coverage = try await load.run(base: base, paths: paths, for: duration)
                    let health = try await load.run(base: base, paths: ["/health"], for: duration)
                    print(
                        "coverage: \(coverage.summary); health: \(health.summary); first count of all cells \(String(format: "%.1f", firstCount)) s, first snapshot \(String(format: "%.3f", firstBuild)) s"
                    )

                    // A write marks its cell; until the next refresh has recounted it requests are answered from the snapshot in hand.
                    let station = #"{"name": "新建站点", "type": "station", "regionCode": "\#(regions.last!.code)", "status": "active"}"#
                    let rebuild = try await BenchResult.seconds {
                        try await load.post(base + "/v1/stations", json: station, token: secrets.adminToken)
                        let written = Date()
                        while try await load.generatedAt(base + "/v1/coverage?depth=1") < written { try await Task.sleep(for: .milliseconds(10)) }
                    }

                    let figures = BenchResult.underLoad(
                        "coverage",
                        coverage,
                        baseline: health,
                        p50AtMostMS: 20,
                        p99AtMostMS: 100,
                        requestsPerSecondAtLeast: 2000
                    )
                    for figure in figures { print(figure.line) }
                    print(
                        BenchResult(name: "coverage_write_visible_after", value: rebuild, unit: "s", baseline: nil, goal: "<2", met: rebuild < 2).line
                    )
                    // The node's memory with the maintained figures of the whole subtree held (SPEC §16: < 1 GB at national).
                    if let peak = SyncBench.peakResidentMegabytes() {
                        print(BenchResult(name: "coverage_peak_rss", value: peak, unit: "MB", baseline: nil, goal: "<1000", met: peak < 1000).line)
                    }
                }
            }
        }
    }
    /// Writes the shape of `scale` straight into the node's tables and prints what it wrote, how long it took and the
    /// database's name (for `--reuse`).
    private func generate(townships: [RegionCode], root: RegionCode, on client: PostgresClient) async throws {
        let generated = try await BenchResult.seconds {
            let counts =
                switch scale {
                case .province: try await ProvinceData.generate(townships: townships, on: client)
                case .national:
                    try await ProvinceData.generate(
                        townships: townships,
                        root: root,
                        villagesPerTownship: 15,
                        activitiesPerTownship: 40,
                        casesPerTownship: 10,
                        on: client
                    )
                }
            print("\(scale): \(townships.count) townships, \(counts)")
        }
        var database = ""
        for try await (name, ) in try await client.query("SELECT current_database()").decode(String.self) { database = name }
        print("generated in \(String(format: "%.1f", generated)) s, database \(database)")
    }
}

/// A node under load from concurrent clients, on a PostgreSQL server of the run's own or the one given.
struct LoadOptions: ParsableArguments {
    @Option(help: "A PostgreSQL server to use instead of a throwaway one (postgres://user@host:port/db); a database is created on it.")
    var database: String?

    @Option(help: "Concurrent clients.")
    var clients = 50
}
