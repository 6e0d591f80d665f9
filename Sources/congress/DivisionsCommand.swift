import ArgumentParser
import AsyncHTTPClient
import CongressCore
import CongressStore
import CongressTooling
import Foundation
import NIOCore

struct DivisionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "divisions",
        abstract: "The yearly changes of the division codes (区划调整, SPEC §15).",
        subcommands: [Check.self, Apply.self]
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

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a change file to a running node's records: re-coded in one transaction, handed over where they move.",
            discussion: """
                Run it at every node that owns records in the changed regions, after each has synced once with a parent
                of this release; the parent of two nodes relays what moves between them. Applying a file twice changes
                nothing the second time. Then publish the new topology at the root: it travels down by sync.
                """
        )

        @Argument(help: "The change file (config/changes/….yaml).")
        var file: String

        @Option(name: .long, help: "The node's config file (nodes/CODE.yaml); the node must be running.")
        var node: String

        func run() async throws {
            try await Report.run {
                let setup = try NodeSetup.load(nodeFile: node, logger: .init(label: "congress"))
                let text = try ConfigFile.text(atPath: file, what: "the change file")
                // Checked here first, so that a typo is reported before the node is even asked.
                _ = try DivisionChangesLoader.parse(text, file: file, topology: setup.topology.topology)
                let report = try await send(text, setup: setup)
                if report.alreadyApplied {
                    print("\(file): already applied at \(setup.config.node); nothing changed")
                    return
                }
                let kept = report.reAttributed.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
                let gone = report.handedOver.sorted { $0.key < $1.key }.map { "\($0.value) to \($0.key)" }
                print(
                    "\(file): applied at \(setup.config.node): re-coded \(kept.isEmpty ? "none" : kept.joined(separator: ", ")); "
                        + "handed over \(gone.isEmpty ? "none" : gone.joined(separator: ", ")) (they travel with the next sync)"
                )
                if let renamed = report.renamedTo {
                    print(
                        "this node is \(renamed) from now on: write node: \"\(renamed)\" in \(node) and in its secrets file "
                            + "\(setup.config.secretsPath), then restart it; its database, tokens and checkpoints carry over "
                            + "(its parent knows it under the new code once the parent has applied this file too)"
                    )
                }
            }
        }

        private func send(_ text: String, setup: NodeSetup) async throws -> DivisionApplyReport {
            let (status, answer) = try await setup.postAsAdmin(
                "/v1/divisions/apply",
                json: try JSONEncoder().encode(["file": file, "text": text]),
                timeout: .seconds(600),
                needing: "applying a change file"
            )
            guard status == .ok else {
                let error = APIErrorWire.parse(answer)
                // A change file the node refuses comes back as FILE:LINE:COL lines already.
                if error?.code == "invalid_change_file", let message = error?.message, message.hasPrefix(file + ":") {
                    throw ConfigFileError(
                        message.split(separator: "\n").map {
                            Diagnostic(parsing: String($0)) ?? Diagnostic(file: file, line: 1, column: 1, severity: .error, message: String($0))
                        }
                    )
                }
                throw ConfigFileError(file: file, message: error?.message ?? "node \(setup.config.node) answered HTTP \(status.code)")
            }
            return try JSONDecoder().decode(DivisionApplyReport.self, from: answer)
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
