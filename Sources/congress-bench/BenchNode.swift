import CongressCore
import CongressServer
import CongressStore
import CongressTooling
import Foundation
import Logging
import PostgresNIO

/// The root node of a generated topology on a fresh database of `server`, serving on a free loopback port in this
/// process while `body` runs (with a pool on the same database, the node's secrets and its address).
enum BenchNode {
    static func run<T: Sendable>(
        _ shape: SyntheticTopology,
        on server: DatabaseAddress,
        named name: String,
        logger: Logger,
        points: PointsFolder = .empty,
        _ body: @Sendable (_ topology: Topology, _ client: PostgresClient, _ secrets: NodeSecrets, _ base: String) async throws -> T
    ) async throws -> T {
        let topology = try TopologyLoader.parse(shape.yaml, file: "generated.yaml").topology
        return try await run(topology, secrets: NodeSecrets.generate(for: topology, keeping: [:]), on: server, named: name, logger: logger) {
            $0.points = points
        } _: { topology, client, secrets, base in
            try await body(topology, client, secrets, base)
        }
    }

    /// The root node of `topology` with its secrets among `secrets` (a bench that plays its children holds theirs),
    /// configured by `configure`, on a new database or on `database` of `server` if named.
    static func run<T: Sendable>(
        _ topology: Topology,
        secrets: [NodeSecrets],
        on server: DatabaseAddress,
        named name: String,
        database: String? = nil,
        logger: Logger,
        configure: (inout AppConfiguration) -> Void,
        _ body: @Sendable (_ topology: Topology, _ client: PostgresClient, _ secrets: NodeSecrets, _ base: String) async throws -> T
    ) async throws -> T {
        let address = server.with(database: database ?? "bench_\(name)_\(UUID().uuidString.prefix(8).lowercased())")
        try await ManagedPostgres.createDatabaseIfMissing(address.database, on: server, logger: logger)
        let port = try LoopbackPort.free()
        let secrets = secrets.first { $0.node == topology.root.code }!
        let quiet = logger.errorsOnly
        var configuration = AppConfiguration(
            node: topology.root.code,
            topology: topology,
            secrets: secrets,
            database: address,
            listen: HostAndPort(host: "127.0.0.1", port: port),
            logger: quiet
        )
        configuration.schedulesPushes = false
        configure(&configuration)
        let app = try buildApplication(configuration)
        let client = PostgresClient(configuration: address.clientConfiguration, backgroundLogger: quiet)
        return try await whileRunning([app, client], logger: logger) {
            try await NodeHTTP.waitUntilListening(port: port)
            return try await body(topology, client, secrets, "http://127.0.0.1:\(port)")
        }
    }
}
