import ArgumentParser
import CongressCore

struct TopologyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "topology", abstract: "Check the federation's topology file.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate a topology file: every problem as FILE:LINE:COL, exit 0 when valid.")

        @Argument(help: "The topology file.")
        var file: String = "config/topology.yaml"

        func run() async throws {
            try await Report.run {
                let loaded = try TopologyLoader.load(contentsOf: file)
                for warning in loaded.warnings { Report.standardError(warning.description) }
                let counts = loaded.topology.countsByLevel.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
                print("\(file): ok: \(counts); \(loaded.topology.runningNodes.count) running nodes; hash \(loaded.topology.hash.prefix(12))")
            }
        }
    }
}
