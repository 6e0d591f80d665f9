import ArgumentParser
import CongressCore
import CongressStore
import CongressTooling
import Foundation
import Logging

/// `congress backup` / `congress restore`: a node's database to a file and back.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a node's whole database to a file (pg_dump custom format); works while the node serves."
    )

    @Option(name: .long, help: "The node's config file (nodes/CODE.yaml).")
    var node: String

    @Option(name: .long, help: "The backup file to write.")
    var out: String

    /// Starting and stopping a managed cluster is routine here, not news.
    static var logger: Logger { Logger(label: "congress", level: .warning) }

    func run() async throws {
        try await Report.run {
            let setup = try NodeSetup.load(nodeFile: node, logger: Self.logger)
            try await setup.withDatabase { database in try NodeBackup.dump(database, to: out) }
            print("backed up \(setup.config.node) to \(out)")
        }
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace a stopped node's database with a backup.",
        discussion: """
            The node resumes pushing from the acknowledgement the backup holds; its change counter moves on by \
            \(NodeBackup.seqJumpOnRestore) so that what it writes next is newer than anything its parent received before.
            """
    )

    @Option(name: .long, help: "The node's config file (nodes/CODE.yaml).")
    var node: String

    @Option(name: .long, help: "The backup file (from congress backup).")
    var from: String

    func run() async throws {
        try await Report.run {
            guard FileManager.default.isReadableFile(atPath: from) else { throw InputError(field: "from", message: "cannot read the backup \(from)") }
            let setup = try NodeSetup.load(nodeFile: node, logger: BackupCommand.logger)
            guard LoopbackPort.isFree(setup.listen.port) || setup.listen.host != "127.0.0.1" else {
                throw InputError(field: "node", message: "node \(setup.config.node) is serving on \(setup.listen): stop it before restoring")
            }
            try await setup.withDatabase { database in try NodeBackup.restore(database, from: from) }
            print("restored \(setup.config.node) from \(from)")
        }
    }
}
