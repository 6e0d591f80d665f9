import ArgumentParser
import CongressCore
import CongressTooling
import Yams

struct TopologyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract:
            "Check a generated province topology (1,300 townships), and the whole country imported from the official list; baseline: parsing the same YAML alone."
    )

    @Option(help: "The official division list to import the whole country from (congress topology import).")
    var divisions = "data/divisions-2022"

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

            // The whole country from the official list (SPEC §3): every township-level unit in one topology.
            let country = try DivisionList.read(directory: divisions).topology(of: .nation, source: divisions).yaml
            let countryParse = try await BenchResult.medianSeconds(runs: 3) { _ = try Yams.compose(yaml: country) }
            var townships = 0
            let countryCheck = try await BenchResult.medianSeconds(runs: 3) {
                townships = try TopologyLoader.parse(country, file: "cn.yaml").topology.countsByLevel.first { $0.0 == .township }?.1 ?? 0
            }
            print("topology: the whole country, \(townships) townships, \(country.utf8.count) bytes")
            print(
                BenchResult(
                    name: "topology_check_country",
                    value: countryCheck,
                    unit: "s",
                    baseline: countryParse,
                    goal: "<=2",
                    met: countryCheck <= 2
                ).line
            )
        }
    }
}
