import ArgumentParser
import CongressCore
import CongressStore
import CongressTooling
import Logging

/// `congress compact --node FILE`: compacts the node's change log now, whether or not the node is serving.
struct CompactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Remove the change-log entries a newer one supersedes, and tombstones past their retention, up to what the parent acknowledged.",
        discussion: """
            A serving node does this after each push its parent acknowledges, and every hour. Works on the node's own \
            database (a managed cluster is started if it is not running, and stopped again); safe while the node serves.
            """
    )

    @Option(name: .long, help: "The node's config file (nodes/CODE.yaml).")
    var node: String

    func run() async throws {
        try await Report.run {
            let setup = try NodeSetup.load(nodeFile: node, logger: BackupCommand.logger)
            let code = setup.config.node
            let parent = setup.topology.topology.upstream(of: code)?.code
            let done = try await setup.withMigratedDatabase(doing: "compacting the change log") { client in
                try await ChangeLogCompactor(
                    client: client,
                    node: code,
                    logger: setup.logger.errorsOnly,
                    tombstoneRetentionDays: setup.config.tombstoneRetentionDays
                )
                .compact(parent: parent)
            }
            print(
                "\(code): \(done.superseded) superseded change-log entries removed, \(done.tombstones) tombstones dropped; "
                    + "up to seq \(done.compactedThrough) the log holds each record's newest entry only"
                    + (parent.map { " (\($0) acknowledged that far)" } ?? " (the root: its whole log)")
            )
        }
    }
}
