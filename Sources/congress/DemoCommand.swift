import ArgumentParser
import AsyncHTTPClient
import CongressCore
import CongressServer
import CongressStore
import CongressSync
import CongressTooling
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import UnixSignals

/// `congress demo`: the example federation on this machine, every node on its own managed PostgreSQL, seeded and
/// synced bottom-up, until Ctrl-C.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the example federation: every node of the topology with a config in --nodes, seeded, synced bottom-up.",
        discussion: """
            Each node gets its own managed PostgreSQL under its dataDir and serves on its url. Missing secrets are written. \
            Records are seeded synthetically (the same seed writes nothing new on a second run), then each node pushes to \
            its parent, deepest first, and pulls its directives. Prints the dashboard's address, the read token and a \
            coverage summary; Ctrl-C stops every node and database. A second run reuses the data.
            """
    )

    @Option(help: "The folder of node config files.")
    var nodes = "nodes"

    @Option(help: "The topology file the node configs name (for the secrets).")
    var topology = "config/topology.yaml"

    @Option(help: "Folder for the secrets files.")
    var secrets = ".data/secrets"

    @Option(help: "Population density of the synthetic records: small, city or province.")
    var scale: SyntheticRecords.Scale = .small

    @Option(help: "Seed of the synthetic records.")
    var seed: UInt64 = 1

    func run() async throws {
        try await Report.run {
            let logger = Logger(label: "congress", level: .warning)
            let (count, created, _) = try SecretsCommand.Initialise.write(topology: topology, out: secrets)
            Report.progress("secrets: \(count) nodes in \(secrets) (\(created) new)")
            let files = try FileManager.default.contentsOfDirectory(atPath: nodes).filter { $0.hasSuffix(".yaml") }.sorted()
            let setups = try files.map { try NodeSetup.load(nodeFile: "\(nodes)/\($0)", logger: logger) }
            guard !setups.isEmpty else { throw InputError(field: "nodes", message: "no node configs (*.yaml) in \(nodes)") }
            for setup in setups where !LoopbackPort.isFree(setup.listen.port) {
                throw InputError(
                    field: "listen",
                    message: "\(setup.listen) (node \(setup.config.node)) is already in use: is a node already running?"
                )
            }

            Report.progress("starting \(setups.count) databases…")
            var databases: [NodeSetup.RunningDatabase] = []
            defer { for (setup, database) in zip(setups, databases) { try? setup.stopDatabase(database) } }
            for setup in setups { databases.append(try await setup.startDatabase()) }

            let quiet = logger.errorsOnly
            let clients = databases.map { PostgresClient(configuration: $0.address.clientConfiguration, backgroundLogger: quiet) }
            var services: [any Service] = clients
            for (setup, database) in zip(setups, databases) {
                services.append(try buildApplication(setup.appConfiguration(database: database, logger: quiet)))
            }
            try await whileRunning(services, logger: quiet) {
                for setup in setups { try await NodeHTTP.waitUntilListening(port: setup.listen.port) }
                for (setup, client) in zip(setups, clients) {
                    let summary = try await SeedCommand.seed(setup: setup, client: client, scale: scale, seed: seed, shared: 0.2, logger: quiet)
                    Report.progress("seeded \(setup.config.node): \(summary)")
                }
                // Up with the records, down with the trainings, then sign-ins at every node and up again.
                try await Self.sync(setups, deepestFirst: true)
                try await Self.sync(setups, deepestFirst: false)
                let signedIn = try await Self.signIn(setups)
                Report.progress("signed in \(signedIn) deputies at their nodes' venues")
                try await Self.sync(setups, deepestFirst: true)
                // A case handled at two nodes moves a step a round: the county's handling of an opinion a township
                // transferred up, the township's feedback once the reply is down, the county's closing once that is up.
                for _ in 0..<3 {
                    for (setup, client) in zip(setups, clients) {
                        _ = try await SeedCommand.seed(setup: setup, client: client, scale: scale, seed: seed, shared: 0.2, logger: quiet)
                    }
                    try await Self.sync(setups, deepestFirst: false)
                    try await Self.sync(setups, deepestFirst: true)
                }
                try await Self.printSummary(setups)
                Report.progress("Ctrl-C stops every node and database.")
                let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
                for await _ in signals { break }
                Report.progress("stopping…")
            }
        }
    }

    /// Each node pushes to its parent and pulls its directives, through its own API: deepest first to carry records
    /// up, highest first to carry trainings down.
    static func sync(_ setups: [NodeSetup], deepestFirst: Bool) async throws {
        let ordered = setups.sorted {
            ($0.config.node.rawValue.count > $1.config.node.rawValue.count) == deepestFirst && $0.config.node != $1.config.node
        }
        for setup in ordered {
            guard setup.topology.topology.upstream(of: setup.config.node) != nil else { continue }
            var request = NodeHTTP.request("http://\(setup.listen)/v1/sync/run?wait=60", method: .POST, token: setup.secrets.adminToken)
            // A failed run answers 502 with its report: the report says why. One still running after the wait answers 202
            // and goes on; its report comes from GET /v1/sync/run.
            var response = try await HTTPClient.shared.execute(request, timeout: .seconds(90))
            while response.status == .accepted {
                request = NodeHTTP.request("http://\(setup.listen)/v1/sync/run?wait=60", token: setup.secrets.adminToken)
                response = try await HTTPClient.shared.execute(request, timeout: .seconds(90))
            }
            let body = try await response.body.collect(upTo: 1 << 20)
            let report = try JSONDecoder().decode(SyncReport.self, from: Data(buffer: body))
            if let error = report.error { throw InputError(field: "sync", message: "\(setup.config.node): \(error)") }
            Report.progress(
                "synced \(setup.config.node) → \(report.parent ?? "-"): \(report.changes) changes up, \(report.directives) directives down"
            )
        }
    }

    /// At every node, about six in ten of its own in-office deputies in a training's audience sign in at the most
    /// specific of the training's venues inside the node's subtree (one in six of them online); a node signs in only
    /// the deputies it owns, so no sign-in is made twice.
    static func signIn(_ setups: [NodeSetup]) async throws -> Int {
        var total = 0
        for setup in setups {
            let node = setup.config.node
            let base = "http://\(setup.listen.host):\(setup.listen.port)"
            let trainings: ListAnswer<Training> = try await get(base + "/v1/trainings?limit=1000", token: setup.secrets.adminToken)
            var deputies: [Record<Deputy>] = []
            var cursor: String?
            repeat {
                let page: ListAnswer<Deputy> = try await get(
                    base + "/v1/deputies?limit=1000&status=in_office" + (cursor.map { "&cursor=\($0)" } ?? ""),
                    token: setup.secrets.adminToken
                )
                deputies += page.items.filter { $0.meta.origin == node }
                cursor = page.nextCursor
            } while cursor != nil
            for training in trainings.items {
                let venues = training.body.venues.filter { node.contains($0.regionCode) }
                var signIns: [String] = []
                for deputy in deputies where training.body.admits(deputy.body, regionCode: deputy.meta.regionCode) {
                    var random = SeededRandom(training.meta.id.uuidString, deputy.meta.id.uuidString)
                    guard Int.random(in: 0..<10, using: &random) < 6,
                        let venue = venues.filter({ $0.regionCode.contains(deputy.meta.regionCode) }).max(by: {
                            $0.regionCode.rawValue.count < $1.regionCode.rawValue.count
                        }),
                        let venueID = venue.id
                    else { continue }
                    let mode =
                        training.body.mode == .online || (training.body.mode == .hybrid && Int.random(in: 0..<6, using: &random) == 0)
                        ? "online" : "onsite"
                    signIns.append(#"{"deputyId": "\#(deputy.meta.id)", "venueId": "\#(venueID)", "mode": "\#(mode)"}"#)
                }
                guard !signIns.isEmpty else { continue }
                let json = ByteBuffer(string: "[" + signIns.joined(separator: ",") + "]")
                _ = try await NodeHTTP.send(
                    NodeHTTP.request(
                        base + "/v1/trainings/\(training.meta.id)/attendance",
                        method: .POST,
                        token: setup.secrets.adminToken,
                        json: json
                    )
                )
                total += signIns.count
            }
        }
        return total
    }

    struct ListAnswer<Body: RecordBody>: Decodable {
        var items: [Record<Body>]
        var nextCursor: String?
    }

    static func get<Answer: Decodable>(_ url: String, token: String) async throws -> Answer {
        try JSONDecoder().decode(Answer.self, from: Data(buffer: try await NodeHTTP.send(NodeHTTP.request(url, token: token))))
    }

    /// The top node's dashboard address and token, and its coverage one level down.
    static func printSummary(_ setups: [NodeSetup]) async throws {
        guard let top = setups.min(by: { $0.config.node.rawValue.count < $1.config.node.rawValue.count }) else { return }
        let base = "http://\(top.listen.host):\(top.listen.port)"
        struct Answer: Decodable {
            struct Item: Decodable {
                struct Share: Decodable { var ratio: Double? }
                struct Stations: Decodable {
                    var total: Int
                    var active: Int
                }
                struct Deputies: Decodable {
                    var persons: Int
                    var assignedRatio: Double?
                }
                var name: String
                var stations: Stations
                var units: Share
                var deputies: Deputies
                var training: Share
            }
            var items: [Item]
        }
        let answer: Answer = try await get(base + "/v1/coverage?depth=1", token: top.secrets.readToken)
        func percent(_ ratio: Double?) -> String { ratio.map { String(format: "%.1f%%", $0 * 100) } ?? "—" }
        Report.progress("\ncoverage at \(top.config.node):")
        for item in answer.items {
            Report.progress(
                "  \(item.name): \(item.stations.active)/\(item.stations.total) stations active, villages covered \(percent(item.units.ratio)), "
                    + "\(item.deputies.persons) persons, 进站率 \(percent(item.deputies.assignedRatio)), trained \(percent(item.training.ratio))"
            )
        }
        Report.progress("\ndashboard: \(base)/?token=\(top.secrets.readToken)")
        Report.progress("read token: \(top.secrets.readToken)\n")
    }
}
