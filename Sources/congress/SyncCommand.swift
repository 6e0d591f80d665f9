import ArgumentParser
import AsyncHTTPClient
import CongressCore
import CongressServer
import CongressStore
import CongressSync
import CongressTooling
import Logging
import PostgresNIO

/// `congress sync --node FILE`: one push and pull with the parent now, whether or not the node is serving.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Sync a node with its parent now: push its pending changes, pull the directives for its subtree.",
        discussion: """
            Works on the node's own database (a managed cluster is started if it is not running, and stopped again).
            Safe while the node serves: the parent applies each batch once whoever sends it.
            """
    )

    @Option(name: .long, help: "The node's config file (nodes/CODE.yaml).")
    var node: String

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: Logger.Level = .warning

    func run() async throws {
        try await Report.run {
            let logger = Logger(label: "congress", level: logLevel)
            let setup = try NodeSetup.load(nodeFile: node, logger: logger)
            guard let parent = setup.topology.topology.upstream(of: setup.config.node) else {
                throw InputError(field: "node", message: "node \(setup.config.node) is the root of the topology: it has no parent to sync with")
            }
            let report = try await setup.withMigratedDatabase(doing: "syncing with the parent") { client in
                let deadlines = CaseDeadlines(opinionReplyDays: setup.config.opinionReplyDays)
                let sync = SyncClient(
                    changeLog: ChangeLogReader(client: client, node: setup.config.node, logger: logger),
                    applier: BatchApplier(client: client, node: setup.config.node, logger: logger, caseDeadlines: deadlines),
                    directiveFeed: DirectiveFeed(client: client, node: setup.config.node, logger: logger, caseDeadlines: deadlines),
                    compactor: ChangeLogCompactor(
                        client: client,
                        node: setup.config.node,
                        logger: logger,
                        tombstoneRetentionDays: setup.config.tombstoneRetentionDays
                    ),
                    topology: TopologyInForce(setup.topology.topology, file: setup.config.topologyPath),
                    points: PointsInForce(setup.points, directory: setup.config.pointsDirectory),
                    token: setup.secrets.parentToken,
                    tls: setup.clientTLS,
                    retry: Self.retry,
                    logger: logger
                )
                return await sync.run()
            }
            print(
                "\(setup.config.node) → \(parent.code): \(report.batches) batches, \(report.changes) changes (\(report.applied) applied), acked seq \(report.ackedSeq); "
                    + "\(report.directives) directives received (parent seq \(report.directivesSeq)); "
                    + "\(report.compacted) change-log entries compacted, \(report.tombstonesDropped) tombstones dropped"
            )
            if let error = report.error { throw SyncFailed(message: error) }
        }
    }

    /// Someone is waiting at the terminal: three attempts of at most 15 seconds each, not the serving node's
    /// patient schedule (which would keep a down parent's operator waiting for minutes).
    static let retry = RetryPolicy(attempts: 3, firstDelay: .seconds(1), maxDelay: .seconds(5), requestTimeout: .seconds(15))

    struct SyncFailed: Error, CustomStringConvertible {
        var message: String
        var description: String { "sync failed: \(message)" }
    }
}
