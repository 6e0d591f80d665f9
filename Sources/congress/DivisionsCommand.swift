import ArgumentParser
import CongressCore
import CongressTooling
import Foundation

struct DivisionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "divisions",
        abstract: "The yearly changes of the division codes (区划调整, SPEC §15).",
        subcommands: [Check.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a change file against a topology: every problem as FILE:LINE:COL, exit 0 when it can be applied."
        )

        @Argument(help: "The change file (config/changes/….yaml).")
        var file: String

        @Option(name: .long, help: "The topology the changes apply to.")
        var topology: String = "config/topology.yaml"

        func run() async throws {
            try await Report.run {
                let loaded = try TopologyLoader.load(contentsOf: topology)
                let text = try ConfigFile.text(atPath: file, what: "the change file")
                let changes = try DivisionChangesLoader.parse(text, file: file, topology: loaded.topology)
                var counts: [String: Int] = [:]
                for entry in changes.entries { counts[entry.change.kind, default: 0] += 1 }
                let summary = ["rename", "recode", "merge", "split", "move"].compactMap { kind in counts[kind].map { "\($0) \(kind)" } }
                print("\(file): ok against \(topology): \(summary.isEmpty ? "no changes" : summary.joined(separator: ", "))")
            }
        }
    }
}

extension DivisionChanges.Change {
    /// The entry's keyword in a change file.
    var kind: String {
        switch self {
        case .rename: "rename"
        case .recode: "recode"
        case .merge: "merge"
        case .split: "split"
        case .move: "move"
        }
    }
}
