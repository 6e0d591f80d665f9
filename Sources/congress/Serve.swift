import ArgumentParser
import CongressCore
import CongressServer
import CongressStore
import CongressTLS
import CongressTooling
import Logging
import Metrics
import NIOSSL
import PostgresNIO
import Prometheus

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a node: its database, its API, until SIGTERM or SIGINT.")

    @Option(name: .long, help: "The node's config file (nodes/CODE.yaml).")
    var node: String

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        try await Report.run {
            let registry = PrometheusCollectorRegistry()
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = logLevel
                return handler
            }
            MetricsSystem.bootstrap(NodeMetrics.factory(registry: registry))
            let logger = Logger(label: "congress")
            let setup = try NodeSetup.load(nodeFile: node, logger: logger)
            let database = try await setup.startDatabase()
            do {
                guard LoopbackPort.isFree(setup.listen.port) || setup.listen.host != "127.0.0.1" else {
                    throw InputError(field: "listen", message: "\(setup.listen) is already in use: is this node already running?")
                }
                let app = try buildApplication(setup.appConfiguration(database: database, registry: registry, logger: logger))
                try await app.runService()
            } catch {
                try setup.stopDatabase(database)
                throw error
            }
            try setup.stopDatabase(database)
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// A node's files read and checked: its config, the topology, the points rules beside it, its secrets.
struct NodeSetup {
    var config: NodeConfig
    var topology: TopologyLoader.Loaded
    var points: PointsFolder
    var secrets: NodeSecrets
    var listen: HostAndPort
    /// The node's certificate, key and CA, read and checked (SPEC §14); nil: plain HTTP.
    var tls: NodeTLS?
    var logger: Logger

    static func load(nodeFile: String, logger: Logger) throws -> NodeSetup {
        let config = try NodeConfig.load(contentsOf: nodeFile)
        let loaded = try TopologyLoader.load(contentsOf: config.topologyPath)
        let problems = loaded.warnings + config.diagnostics(against: loaded.topology)
        guard !problems.contains(where: { $0.severity == .error }) else { throw ConfigFileError(problems) }
        for warning in problems { Report.standardError(warning.description) }
        guard let listen = config.listenAddress(in: loaded.topology) else {
            throw ConfigFileError(file: nodeFile, message: "node \(config.node) has no address to listen on")
        }
        let points = try PointsFolder.load(directory: config.pointsDirectory)
        for warning in points.warnings { Report.standardError(warning.description) }
        let secrets = try NodeSecrets.load(contentsOf: config.secretsPath)
        guard secrets.node == config.node else {
            throw ConfigFileError(file: config.secretsPath, message: "these secrets are for node \(secrets.node), not \(config.node)")
        }
        let tls = try config.tls.map { files throws(ConfigFileError) in try NodeTLS.load(files, configFile: nodeFile) }
        return NodeSetup(config: config, topology: loaded, points: points, secrets: secrets, listen: listen, tls: tls, logger: logger)
    }

    /// Where a command reaches this node while it serves: over HTTPS at its url in the topology (the name its
    /// certificate carries), else at its listen address.
    var baseURL: String {
        guard tls?.serves == true else { return "http://\(listen)" }
        if let url = topology.topology.node(config.node)?.url, HostAndPort(url: url)?.port == listen.port {
            return url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        return "https://\(listen)"
    }

    /// What a command's calls to this node (and its sync's calls to the parent) trust and present.
    var clientTLS: TLSConfiguration? { tls?.clientConfiguration }

    /// What `buildApplication` needs to serve this node on `database`.
    func appConfiguration(
        database: RunningDatabase,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        logger: Logger
    ) -> AppConfiguration {
        var configuration = AppConfiguration(
            node: config.node,
            topology: topology.topology,
            topologyFile: config.topologyPath,
            secrets: secrets,
            database: database.address,
            listen: listen,
            registry: registry,
            logger: logger
        )
        configuration.topologyWarnings = topology.warnings
        configuration.tls = tls
        configuration.points = points
        configuration.pointsDirectory = config.pointsDirectory
        configuration.contactRetentionDays = config.contactRetentionDays
        configuration.tombstoneRetentionDays = config.tombstoneRetentionDays
        configuration.publicBaseURL = config.publicBaseURL
        configuration.maxConcurrentBatches = config.maxConcurrentBatches
        configuration.trustedProxies = config.trustedProxies
        configuration.caseDeadlines = CaseDeadlines(opinionReplyDays: config.opinionReplyDays)
        return configuration
    }

    struct RunningDatabase {
        var address: DatabaseAddress
        var managed: ManagedPostgres?
    }

    func startDatabase() async throws -> RunningDatabase {
        switch config.database {
        case .url(let url):
            return RunningDatabase(address: try DatabaseAddress(url: url), managed: nil)
        case .managed:
            let managed = ManagedPostgres(dataDir: config.dataDir, logger: logger)
            let (address, startedHere) = try await managed.start()
            return RunningDatabase(address: address, managed: startedHere ? managed : nil)
        }
    }

    /// Stops the managed cluster if this process started it.
    func stopDatabase(_ database: RunningDatabase) throws {
        try database.managed?.stop()
    }

    /// Runs `body` with the address of the node's database, starting a managed cluster for it when the node is not
    /// running (and stopping it again, however the command ends: an error, SIGTERM or SIGINT).
    func withDatabase<T>(_ body: (DatabaseAddress) async throws -> T) async throws -> T {
        let database = try await startDatabase()
        do {
            let value = try await ManagedClusterGuard.run(database.managed) { try await body(database.address) }
            try stopDatabase(database)
            return value
        } catch {
            try? stopDatabase(database)
            throw error
        }
    }

    /// Runs `body` with a pool on the node's migrated database, starting a managed cluster for it when the node is not
    /// running (and stopping it again): for one-shot commands beside or instead of `congress serve`. A database failure
    /// says it happened while `operation` ("the database connection was lost while seeding: …").
    func withMigratedDatabase<T: Sendable>(doing operation: String, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        try await withDatabase { address in
            let quiet = logger.errorsOnly
            let pool = ConnectionPool(address, logger: quiet)
            return try await whileRunning([pool], logger: quiet) {
                await pool.running()
                return try await DatabaseError.translating("\(operation) at node \(config.node)") {
                    try await Migrations.apply(on: pool.client, logger: logger)
                    return try await body(pool.client)
                }
            }
        }
    }
}
