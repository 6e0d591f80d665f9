import ArgumentParser
import CongressCore
import CongressServer
import CongressStore
import CongressSync
import CongressTooling
import Foundation
import Logging
import PostgresNIO

/// `congress-bench sync-child`: the township of `congress-bench sync` pushing its whole change log to the county once,
/// in a process of its own, so that each node's peak memory through a full sync is measured alone. Prints
/// `PUSHED applied=N peak=MB`. Its secrets come in the environment, not on a command line others may read: the
/// township's token in `CONGRESS_BENCH_TOKEN`, the database's password, if any, in `CONGRESS_BENCH_PASSWORD`.
struct SyncChildPush: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-child",
        abstract: "The township of `congress-bench sync` pushing to its county once (run by `congress-bench sync`).",
        shouldDisplay: false
    )

    @Option(help: "The database server's host.") var host: String
    @Option(help: "The database server's port.") var databasePort: Int
    @Option(help: "The database user.") var user: String
    @Option(help: "The township's database.") var database: String
    @Option(help: "The port the county serves on.") var parentPort: Int

    func run() async throws {
        let logger = Logger(label: "bench", level: .warning)
        let address = DatabaseAddress(
            host: host,
            port: databasePort,
            username: user,
            password: ProcessInfo.processInfo.environment["CONGRESS_BENCH_PASSWORD"],
            database: database
        )
        guard let token = ProcessInfo.processInfo.environment["CONGRESS_BENCH_TOKEN"] else {
            throw InputError(field: "CONGRESS_BENCH_TOKEN", message: "the township's token is missing from the environment")
        }
        let topology = try TopologyLoader.parse(SyncBenchRun.topologyYAMLText(port: parentPort), file: "bench.yaml").topology
        let client = PostgresClient(configuration: address.clientConfiguration, backgroundLogger: logger.errorsOnly)
        let report = try await whileRunning([client], logger: logger) {
            await SyncBenchRun.childSync(on: client, topology: topology, token: token, tls: nil, logger: logger).run()
        }
        if let error = report.error { throw InputError(field: "sync", message: error) }
        print("PUSHED applied=\(report.applied) peak=\(SyncBench.peakResidentMegabytes() ?? 0)")
    }
}
