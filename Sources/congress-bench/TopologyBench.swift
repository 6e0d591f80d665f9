import ArgumentParser
import CongressCore
import CongressTooling
import Yams

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
