import ArgumentParser
import CongressTooling
import Foundation
import Logging

/// `congress-bench tls`: replication ingest over HTTPS against the same over HTTP, in one run (SPEC §14, goal ≥ 0.9).
struct TLSSyncBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls",
        abstract: "Push a township's change log to its county over HTTPS (baseline: the same push over HTTP); goal: at least 0.9 of the rate.",
        discussion: """
            Runs a throwaway managed PostgreSQL in a temporary folder (or uses --database) and two nodes in this process; the
            HTTPS parent has a certificate from a CA made for the run, the only one the child trusts. HTTP and HTTPS runs
            alternate (HTTP, HTTPS, HTTPS, HTTP), each the median of three pushes; each side's two runs are averaged.
            """
    )

    @Flag(help: "20k rows instead of 200k, for a smoke run.")
    var quick = false

    @Option(help: "A PostgreSQL server to use instead of a throwaway one (postgres://user@host:port/db); databases are created on it.")
    var database: String?

    func run() async throws {
        try await Report.run {
            let logger = Logger(label: "bench", level: .warning)
            try await BenchDatabase.withServer(url: database, logger: logger) { server, folder in
                let rows = quick ? 20_000 : 200_000
                var bench = try SyncBenchRun(server: server, folder: folder, logger: logger)
                var seconds: [Bool: [Double]] = [:]
                for https in [false, true, true, false] {
                    bench.https = https
                    let ingest = try await bench.ingest(rows: rows)
                    seconds[https, default: []].append(ingest.sync)
                    print(String(format: "ingest over %@: %d records child → parent in %.3f s", https ? "HTTPS" : "HTTP", rows, ingest.sync))
                }
                func rate(_ https: Bool) -> Double {
                    let runs = seconds[https] ?? []
                    return Double(rows) / (runs.reduce(0, +) / Double(runs.count))
                }
                let ratio = rate(true) / rate(false)
                print(
                    BenchResult(name: "sync_ingest_https", value: rate(true), unit: "rows/s", baseline: rate(false), goal: ">=0.9", met: ratio >= 0.9)
                        .line
                )
            }
        }
    }
}
