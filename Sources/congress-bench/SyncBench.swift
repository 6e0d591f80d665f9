import ArgumentParser
import CongressCore
import CongressStore
import CongressTooling
import Foundation
import Logging

/// `congress-bench sync`: replication ingest against raw COPY, and incremental cost on a small and a large node.
struct SyncBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Push a township's change log to its county over HTTP (baseline: COPY of the same rows); 1,000 changes on 10k vs 1M records.",
        discussion: "Runs a throwaway managed PostgreSQL in a temporary folder (or uses --database) and two nodes in this process."
    )

    @Flag(help: "Smaller sizes (20k rows to ingest, 10k vs 100k records), for a smoke run.")
    var quick = false

    @Flag(help: "Only the ingest rounds and the full sync (no incremental runs), while working on the apply path.")
    var ingestOnly = false

    @Option(help: "A PostgreSQL server to use instead of a throwaway one (postgres://user@host:port/db); databases are created on it.")
    var database: String?

    static let topologyYAML = """
        version: 1
        root:
          code: "420802"
          name: 东宝区
          level: county
          url: http://127.0.0.1:PORT
          children:
            - { code: "420802001", name: 龙泉街道, level: township, url: "http://127.0.0.1:1" }
        """

    func run() async throws {
        try await Report.run {
            let logger = Logger(label: "bench", level: .warning)
            try await BenchDatabase.withServer(url: database, logger: logger) { server, folder in
                let ingestRows = quick ? 20_000 : 200_000
                let sizes = Self.incrementalSizes(quick: quick)
                let bench = try SyncBenchRun(server: server, folder: folder, logger: logger)

                let ingest = try await bench.ingest(rows: ingestRows)
                print(
                    "ingest: \(ingestRows) records child → parent over HTTP in \(format(ingest.sync)) s; COPY of the same rows \(format(ingest.copy)) s"
                )
                let rate = Double(ingestRows) / ingest.sync
                let copyRate = Double(ingestRows) / ingest.copy
                let incremental = ingestOnly ? nil : try await Self.incremental(bench, sizes: sizes)
                print(
                    BenchResult(name: "sync_ingest", value: rate, unit: "rows/s", baseline: copyRate, goal: ">=0.8", met: rate / copyRate >= 0.8).line
                )
                if let incremental { print(incremental.line) }
                // A full sync with each node in a process of its own (the county with the bench's pools).
                if let peaks = ingest.peaks {
                    for (node, peak) in [("county", peaks.parent), ("township", peaks.child)] {
                        print(
                            BenchResult(name: "sync_full_peak_rss_\(node)", value: peak, unit: "MB", baseline: nil, goal: "<=150", met: peak <= 150)
                                .line
                        )
                    }
                }
                // Both nodes in this process through every round: what earlier runs measured, for comparison (SPEC's
                // goal is per node, above).
                if let peak = Self.peakResidentMegabytes() {
                    print(BenchResult(name: "sync_peak_rss_two_nodes", value: peak, unit: "MB", baseline: nil, goal: "-", met: true).line)
                }
            }
        }
    }

    private func format(_ seconds: Double) -> String { String(format: "%.3f", seconds) }

    static func incrementalSizes(quick: Bool) -> (small: Int, large: Int) { quick ? (10_000, 100_000) : (10_000, 1_000_000) }

    /// 1,000 changes synced on a node of `sizes.small` records (the baseline) and of `sizes.large`.
    static func incremental(_ bench: SyncBenchRun, sizes: (small: Int, large: Int)) async throws -> BenchResult {
        let small = try await bench.incremental(records: sizes.small)
        let large = try await bench.incremental(records: sizes.large)
        print(String(format: "incremental: 1,000 changes on %d records %.3f s, on %d records %.3f s", sizes.small, small, sizes.large, large))
        let name = "sync_1000_changes_\(sizes.large / 1000)k_vs_\(sizes.small / 1000)k"
        return BenchResult(name: name, value: large, unit: "s", baseline: small, goal: "<=2", met: large / small <= 2)
    }

    /// The process's peak resident set (Linux `VmHWM`), in MB.
    static func peakResidentMegabytes() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes / 1024
    }
}

/// `congress-bench incremental`: only the incremental half of `congress-bench sync`.
struct IncrementalBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incremental",
        abstract: "1,000 changes synced on a node of 1M records against the same on one of 10k (goal: at most twice the time).",
        discussion: "Runs a throwaway managed PostgreSQL in a temporary folder (or uses --database) and two nodes in this process."
    )

    @Flag(help: "10k vs 100k records, for a smoke run.")
    var quick = false

    @Option(help: "A PostgreSQL server to use instead of a throwaway one (postgres://user@host:port/db); databases are created on it.")
    var database: String?

    func run() async throws {
        try await Report.run {
            let logger = Logger(label: "bench", level: .warning)
            try await BenchDatabase.withServer(url: database, logger: logger) { server, folder in
                let bench = try SyncBenchRun(server: server, folder: folder, logger: logger)
                print(try await SyncBench.incremental(bench, sizes: SyncBench.incrementalSizes(quick: quick)).line)
            }
        }
    }
}
