import ArgumentParser
import CongressCore
import CongressStore
import CongressTooling
import Foundation

/// `congress coverage verify --node FILE`: the maintained coverage figures against a full recount.
struct CoverageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coverage",
        abstract: "Coverage figures of a node.",
        subcommands: [Verify.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that the coverage figures the node maintains as changes arrive equal a full recount of its records.",
            discussion: """
                Brings the maintained figures up to date first, then compares every figure of every region of the node's \
                subtree with a recount from one snapshot of the database. Safe while the node serves; a recount of a \
                national node takes about a minute. Exits 1 and names each figure that differs.
                """
        )

        @Option(name: .long, help: "The node's config file (nodes/CODE.yaml).")
        var node: String

        func run() async throws {
            try await Report.run {
                let setup = try NodeSetup.load(nodeFile: node, logger: BackupCommand.logger)
                let topology = setup.topology.topology
                let code = setup.config.node
                let widths = CoverageSnapshot.prefixWidths(topology: topology, node: code)
                let day = CoverageFigureStore.Day.now(in: topology)
                let (maintained, recounted) = try await setup.withMigratedDatabase(doing: "verifying the coverage figures") { client in
                    try await CoverageStore(client: client, logger: setup.logger.errorsOnly).figures.verify(widths: widths, day: day)
                }
                let regions = topology.node(code)?.allNodes ?? []
                var differing = 0
                for region in regions {
                    let prefix = CoverageSnapshot.prefix(of: region.code)
                    let differences = (maintained[prefix] ?? CoverageCounts()).differences(from: recounted[prefix] ?? CoverageCounts())
                    guard !differences.isEmpty else { continue }
                    differing += 1
                    print("\(region.code) \(region.name): maintained ≠ recounted: " + differences.joined(separator: "; "))
                }
                guard differing == 0 else {
                    throw CoverageMismatch(message: "\(differing) of \(regions.count) regions' maintained figures differ from a recount")
                }
                print("\(code): the maintained figures of all \(regions.count) regions equal a recount")
            }
        }
    }
}

struct CoverageMismatch: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
