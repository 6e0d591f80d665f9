import ArgumentParser
import CongressCore
import CongressStore
import CongressTooling
import Foundation
import Logging

/// `congress-bench roster`: a training's roster for seed 002's shape and for a whole province (SPEC §9).
struct RosterBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roster",
        abstract: "Roster of 5,250 deputies over 71 venues, and of a 100,000-deputy province over 1,300 venues.",
        discussion: """
            Times GET /v1/trainings/ID/roster on a node in this process (the audience read from PostgreSQL, the roster \
            computed, the answer encoded). Baseline: reading the same audience alone. Median of three after a warm-up.
            """
    )

    @Flag(help: "Only the 5,250-deputy roster, for a smoke run.")
    var quick = false

    @Option(help: "A PostgreSQL server to use instead of a throwaway one (postgres://user@host:port/db); databases are created on it.")
    var database: String?

    struct Shape {
        var name: String
        var topology: SyntheticTopology
        var mandatesPerTownship: Int
        var personsPerTownship: Int
        var goal: Double
    }

    func run() async throws {
        try await Report.run {
            let logger = Logger(label: "bench", level: .warning)
            // Seed 002: 1 main + 70 branch venues (the townships of one city), 5,250 deputies of five levels.
            var shapes = [
                Shape(
                    name: "roster_5250_deputies_71_venues",
                    topology: SyntheticTopology(cities: 1, countiesPerCity: 7, townshipsPerCounty: 10),
                    mandatesPerTownship: 75,
                    personsPerTownship: 62,
                    goal: 1
                )
            ]
            if !quick {
                shapes.append(
                    Shape(name: "roster_100k_deputies_1300_venues", topology: .province, mandatesPerTownship: 77, personsPerTownship: 62, goal: 10)
                )
            }
            try await BenchDatabase.withServer(url: database, logger: logger) { server, _ in
                for shape in shapes { try await measure(shape, server: server, logger: logger) }
            }
        }
    }

    private func measure(_ shape: Shape, server: DatabaseAddress, logger: Logger) async throws {
        try await BenchNode.run(shape.topology, on: server, named: "roster", logger: logger) { topology, client, secrets, base in
            let townships = topology.allNodes.filter { $0.level == .township }.map(\.code)
            let counts = try await ProvinceData.generate(
                townships: townships,
                mandatesPerTownship: shape.mandatesPerTownship,
                personsPerTownship: shape.personsPerTownship,
                on: client
            )
            // One main venue at the top and a branch venue at every township.
            let venues =
                [#"{"kind": "main", "regionCode": "\#(topology.root.code)", "name": "主会场", "capacity": 100000}"#]
                + townships.map { #"{"kind": "branch", "regionCode": "\#($0)", "name": "\#($0)分会场", "capacity": 60}"# }
            let plan = """
                {"title": "代表履职培训", "startsOn": "2026-12-01", "endsOn": "2026-12-02", "mode": "hybrid",
                 "audience": {"levels": ["national", "province", "city", "county", "township"], "regionPrefix": "\(topology.root.code)"},
                 "venues": [\(venues.joined(separator: ","))]}
                """
            let load = LoadGenerator(token: secrets.adminToken, clients: 1)
            defer { load.shutdown() }
            let created = try await load.post(base + "/v1/trainings", json: plan, token: secrets.adminToken)
            struct Created: Decodable {
                var id: UUID
                var audience: Training.Audience
            }
            let training = try JSONDecoder().decode(Created.self, from: Data(buffer: created))
            let quiet = logger.errorsOnly
            let store = RecordStore(client: client, node: topology.root.code, logger: quiet)
            var persons = 0
            let read = try await BenchResult.medianSeconds(runs: 3) {
                persons = Set(try await store.rosterCandidates(for: training.audience).map(\.person)).count
            }
            let roster = try await BenchResult.medianSeconds(runs: 3) { try await load.get(base + "/v1/trainings/\(training.id)/roster") }
            print(
                "\(shape.name): \(counts); \(persons) persons in the audience, \(venues.count) venues; roster \(String(format: "%.3f", roster)) s, audience read \(String(format: "%.3f", read)) s"
            )
            print(BenchResult(name: shape.name, value: roster, unit: "s", baseline: read, goal: "<\(Int(shape.goal))", met: roster < shape.goal).line)
        }
    }
}
