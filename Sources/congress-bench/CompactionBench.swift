import ArgumentParser
import CongressCore
import CongressServer
import CongressStore
import CongressTooling
import Foundation
import Logging
import PostgresNIO

/// `congress-bench compaction`: a change log of 1,000,000 updates of 100,000 records, compacted (issue 20).
struct CompactionBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compaction",
        abstract: "Compact a change log of 1,000,000 updates of 100,000 records: entries left and the time it takes.",
        discussion: """
            A root node's database (nothing above acknowledges: every superseded entry goes) holds 100,000 deputies, each \
            written ten times (ten rounds, every record once a round). Measured: the first compaction pass, then a second \
            pass after one more round, which reads only that round. Baseline: a sequential read of the whole log.
            """
    )

    @Option(help: "A PostgreSQL server to use instead of a throwaway one (postgres://user@host:port/db); databases are created on it.")
    var database: String?

    @Flag(help: "100,000 updates of 10,000 records, for a smoke run.")
    var quick = false

    func run() async throws {
        let records = quick ? 10_000 : 100_000
        let name = quick ? "compaction_quick" : "compaction"
        try await Report.run {
            let logger = {
                let logger = Logger(label: "bench", level: .warning)
                return logger
            }()
            try await BenchDatabase.withServer(url: database, logger: logger) { server, _ in
                let address = server.with(database: "bench_compaction_\(UUID().uuidString.prefix(8).lowercased())")
                try await ManagedPostgres.createDatabaseIfMissing(address.database, on: server, logger: logger)
                let client = PostgresClient(configuration: address.clientConfiguration, backgroundLogger: logger.errorsOnly)
                let results = try await whileRunning([client], logger: logger) {
                    try await Migrations.apply(on: client, logger: logger)
                    return try await measure(records: records, name: name, on: client, logger: logger)
                }
                for result in results { print(result.line) }
            }
        }
    }

    private func measure(records: Int, name: String, on client: PostgresClient, logger: Logger) async throws -> [BenchResult] {
        try await SyncBenchRun.generate(records, on: client, seqsFrom: 0)
        for round in 1..<10 { try await Self.updateAll(on: client, round: round) }
        try await client.query("VACUUM ANALYZE change_log", logger: logger)
        let entries = records * 10
        let scan = try await BenchResult.seconds {
            _ = try await client.query("SELECT count(*) FROM change_log WHERE version > 0", logger: logger).collect()
        }
        let compactor = ChangeLogCompactor(client: client, node: SyncBenchRun.child, logger: logger)
        var first = CompactionCounts()
        let firstSeconds = try await BenchResult.seconds { first = try await compactor.compact(parent: nil) }
        try await Self.updateAll(on: client, round: 10)
        var second = CompactionCounts()
        let secondSeconds = try await BenchResult.seconds { second = try await compactor.compact(parent: nil) }
        var left = 0
        for try await count in try await client.query("SELECT count(*)::bigint FROM change_log", logger: logger).decode(Int64.self) {
            left = Int(count)
        }
        guard first.superseded == Int64(entries - records), second.superseded == Int64(records) else {
            throw InputError(field: "compaction", message: "removed \(first.superseded) then \(second.superseded) entries")
        }
        return [
            BenchResult(name: "\(name)_entries_left", value: Double(left), unit: "entries", goal: "<=\(records)", met: left <= records),
            BenchResult(name: "\(name)_first_pass", value: firstSeconds, unit: "s", baseline: scan, goal: "-", met: true),
            BenchResult(
                name: "\(name)_next_pass",
                value: secondSeconds,
                unit: "s",
                baseline: firstSeconds,
                goal: "<0.2",
                met: secondSeconds < 0.2 * firstSeconds
            ),
        ]
    }

    /// Every deputy written once more, as the township's API would (in SQL, as `SyncBenchRun.update`).
    static func updateAll(on client: PostgresClient, round: Int) async throws {
        try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    WITH counter AS (UPDATE change_counter SET last_seq = last_seq + (SELECT count(*) FROM deputies) RETURNING last_seq),
                    changed AS (
                        UPDATE deputies d SET version = (SELECT last_seq FROM counter) - (SELECT count(*) FROM deputies) + p.n, updated_at = now(),
                            body = jsonb_set(d.body, '{occupation}', to_jsonb('教师' || \(round)))
                        FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM deputies) p WHERE d.id = p.id
                        RETURNING d.id, d.origin, d.region_code, d.version
                    )
                    INSERT INTO change_log (seq, kind, record_id, origin, region_code, version, deleted)
                    SELECT version, 'deputy', id, origin, region_code, version, false FROM changed
                    """
            ),
            logger: Logger(label: "bench")
        )
    }
}
