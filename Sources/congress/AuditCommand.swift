import ArgumentParser
import AsyncHTTPClient
import CongressCore
import CongressStore
import CongressTooling
import Foundation
import NIOCore

/// `congress audit verify|prune`: the node's audit log (SPEC §14), checked and pruned from outside the node's process.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check a node's audit log, or prune what is past its retention.",
        subcommands: [Verify.self, Prune.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the audit log's hash chain; exit 1 naming the first entry changed, missing or rewritten.",
            discussion: """
                Reads the node's database (running or not). When the node has a parent, also asks it (with the node's parent
                token) which entry it last witnessed, so that removing the newest entries is caught too.
                """
        )

        @Option(name: .long, help: "The node's config file (nodes/CODE.yaml).")
        var node: String

        func run() async throws {
            try await Report.run {
                let setup = try NodeSetup.load(nodeFile: node, logger: .init(label: "congress"))
                let witness = try await Self.witness(setup)
                let (check, problem) = try await setup.withMigratedDatabase(doing: "checking the audit chain") { client in
                    let store = AuditStore(client: client, logger: setup.logger.errorsOnly)
                    var check = AuditChainCheck(
                        after: try await store.prunedThrough() ?? AuditHead(seq: 0, hash: AuditEntry.genesis),
                        witness: witness
                    )
                    var problem: String?
                    try await store.walk { entry in
                        problem = check.take(entry)
                        return problem == nil
                    }
                    return (check, problem ?? check.finish())
                }
                if let problem { throw InputError(field: nil, message: "the audit log of \(setup.config.node) is broken: \(problem)") }
                let witnessed = witness.map { ", up to entry \($0.seq) as its parent witnessed" } ?? ""
                print("the audit log of \(setup.config.node) holds: \(check.checked) entries chained\(witnessed)")
            }
        }

        /// What the parent last saw of this node's log; nil at the root, or when the parent has not seen one yet.
        static func witness(_ setup: NodeSetup) async throws -> AuditHead? {
            guard let parent = setup.topology.topology.upstream(of: setup.config.node), let url = parent.url, let token = setup.secrets.parentToken
            else { return nil }
            let request = NodeHTTP.request(url + "/v1/sync/audit", method: .GET, token: token)
            let response: HTTPClientResponse
            do {
                response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            } catch {
                throw InputError(
                    field: nil,
                    message: "cannot ask the parent \(parent.code) at \(url) what it witnessed (\(error)); run again when it answers"
                )
            }
            let body = try await response.body.collect(upTo: 1 << 16)
            if response.status == .notFound { return nil }
            guard response.status == .ok else {
                throw InputError(
                    field: nil,
                    message: "the parent \(parent.code) answered HTTP \(response.status.code): \(APIErrorWire.parse(body)?.message ?? "")"
                )
            }
            return try JSONDecoder().decode(AuditHead.self, from: body)
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove audit entries older than a day at least \(AuditStore.retentionDays) days back; the prune is itself an entry."
        )

        @Option(name: .long, help: "The node's config file (nodes/CODE.yaml).")
        var node: String

        @Option(name: .long, help: "Remove the entries before this day (YYYY-MM-DD, UTC).")
        var before: String

        func run() async throws {
            try await Report.run {
                guard let day = CalendarDate(before), let start = Timestamp("\(day)T00:00:00Z") else {
                    throw InputError(field: "before", message: "'\(before)' is not a day (YYYY-MM-DD)")
                }
                let setup = try NodeSetup.load(nodeFile: node, logger: .init(label: "congress"))
                let removed = try await setup.withMigratedDatabase(doing: "pruning the audit log") { client in
                    try await AuditStore(client: client, logger: setup.logger.errorsOnly)
                        .prune(beforeMilliseconds: Int64(start.date.timeIntervalSince1970 * 1000), actor: "operator")
                }
                print("removed \(removed) audit entries of \(setup.config.node) before \(day); the chain goes on from the last of them")
            }
        }
    }
}
