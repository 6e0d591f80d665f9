import ArgumentParser
import AsyncHTTPClient
import CongressCore
import CongressServer
import CongressStore
import CongressSync
import CongressTooling
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// `congress-bench fanin`: many children pushing into one parent at once (SPEC §16).
///
/// The parent runs in this process; the children are a second process (`congress-bench fanin-children`) that posts
/// their batches as children do (two in flight each, sent again when the parent is busy), so that this process's peak
/// resident set is the parent's alone.
struct FanInBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanin",
        abstract: "N children push their batches into one parent at once (baseline: COPY of the same rows); the parent's peak RSS.",
        discussion: "Runs a throwaway managed PostgreSQL in a temporary folder (or uses --database), the parent in this process and the "
            + "children in a second one."
    )

    @Option(help: "Children pushing at once.")
    var children = 100

    @Option(help: "New deputies each child pushes.")
    var rowsPerChild = 2 * SyncProtocol.batchSize

    @Option(help: "Changes per batch (each child has two batches in flight).")
    var batchSize = SyncProtocol.batchSize

    @Option(help: "Batches the parent receives and applies at once.")
    var maxConcurrentBatches = NodeConfig.defaultMaxConcurrentBatches

    @Flag(help: "1,000 rows a child in batches of 500, for a smoke run.")
    var quick = false

    @Option(help: "A PostgreSQL server to use instead of a throwaway one (postgres://user@host:port/db); databases are created on it.")
    var database: String?

    static let parent = RegionCode("420802")!

    /// The parent county and `count` townships under it, each running a node.
    static func topologyYAML(port: Int, children count: Int) -> String {
        let townships = (1...count).map {
            "    - { code: \"420802\(String(1000 + $0).dropFirst())\", name: 乡镇\($0), level: township, url: \"http://127.0.0.1:\(1 + $0)\" }"
        }
        return """
            version: 1
            root:
              code: "420802"
              name: 东宝区
              level: county
              url: http://127.0.0.1:\(port)
              children:

            """ + townships.joined(separator: "\n") + "\n"
    }

    func run() async throws {
        guard (1...999).contains(children) else { throw ValidationError("--children is 1 to 999") }
        let (rows, batch) = quick ? (1_000, 500) : (rowsPerChild, batchSize)
        try await Report.run {
            let logger = Logger(label: "bench", level: .warning)
            try await BenchDatabase.withServer(url: database, logger: logger) { server, folder in
                // The parent's url in the file is only a name: it listens on a free port, which the children are given.
                let topology = try TopologyLoader.parse(Self.topologyYAML(port: 8411, children: children), file: "fanin.yaml").topology
                let secrets = NodeSecrets.generate(for: topology, keeping: [:])
                try await BenchNode.run(topology, secrets: secrets, on: server, named: "fanin", logger: logger) {
                    $0.maxConcurrentBatches = maxConcurrentBatches
                } _: { _, client, _, base in
                    let tokens = folder + "/tokens"
                    let lines = secrets.filter { $0.node != Self.parent }.map { "\($0.node) \($0.parentToken!)" }
                    try lines.joined(separator: "\n").write(toFile: tokens, atomically: true, encoding: .utf8)
                    let pushed = try Self.pushFromChildren(url: base, tokens: tokens, rows: rows, batchSize: batch)
                    let total = children * rows
                    let held = try await Self.count("SELECT count(*) FROM deputies", on: client, logger: logger)
                    guard held == total else { throw InputError(field: "fanin", message: "the parent holds \(held) of \(total) deputies") }
                    let copy = try await Self.copySeconds(on: client, folder: folder, logger: logger)
                    print(
                        String(
                            format: "fan-in: %d children × %d rows (batches of %d, %d at once at the parent) in %.3f s, %d busy answers; COPY %.3f s",
                            children,
                            rows,
                            batch,
                            maxConcurrentBatches,
                            pushed.seconds,
                            pushed.busy,
                            copy
                        )
                    )
                    let rate = Double(total) / pushed.seconds
                    let copyRate = Double(total) / copy
                    print(
                        BenchResult(
                            name: "fanin_\(children)_ingest",
                            value: rate,
                            unit: "rows/s",
                            baseline: copyRate,
                            goal: ">=0.5",
                            met: rate / copyRate >= 0.5
                        )
                        .line
                    )
                    if let peak = SyncBench.peakResidentMegabytes() {
                        print(
                            BenchResult(
                                name: "fanin_\(children)_parent_peak_rss",
                                value: peak,
                                unit: "MB",
                                baseline: nil,
                                goal: "<=300",
                                met: peak <= 300
                            ).line
                        )
                    }
                }
            }
        }
    }

    /// Runs the children's process and reads what it measured: seconds from the first post to the last answer, and how
    /// many times the parent answered busy.
    static func pushFromChildren(url: String, tokens: String, rows: Int, batchSize: Int) throws -> (seconds: Double, busy: Int) {
        let fields = try HelperProcess.run(
            ["fanin-children", "--url", url, "--tokens", tokens, "--rows", "\(rows)", "--batch-size", "\(batchSize)"],
            expecting: "PUSHED"
        )
        guard let seconds = fields["seconds"].flatMap(Double.init), let busy = fields["busy"].flatMap(Int.init) else {
            throw InputError(field: "fanin", message: "the children's process did not say what it measured: \(fields)")
        }
        return (seconds, busy)
    }

    /// Median seconds of three COPYs of the rows the parent received into an empty table like theirs, from a file the
    /// server writes and reads (as `congress-bench sync`'s baseline).
    static func copySeconds(on client: PostgresClient, folder: String, logger: Logger) async throws -> Double {
        let exchange = folder + "/copy"
        try FileManager.default.createDirectory(atPath: exchange, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: exchange)
        let file = exchange + "/deputies.copy"
        let columns = "id, origin, region_code, version, updated_at, deleted, body"
        try await client.query(PostgresQuery(unsafeSQL: "COPY (SELECT \(columns) FROM deputies) TO '\(file)'"), logger: logger)
        try await client.query(PostgresQuery(unsafeSQL: "CREATE TABLE copy_target (LIKE deputies INCLUDING ALL)"), logger: logger)
        var samples: [Double] = []
        for _ in 0..<3 {
            for statement in ["TRUNCATE copy_target", "CHECKPOINT"] { try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
            samples.append(
                try await BenchResult.seconds {
                    try await client.query(PostgresQuery(unsafeSQL: "COPY copy_target (\(columns)) FROM '\(file)'"), logger: logger)
                }
            )
        }
        try? FileManager.default.removeItem(atPath: file)
        return samples.sorted()[1]
    }

    static func count(_ sql: String, on client: PostgresClient, logger: Logger) async throws -> Int {
        for try await count in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int.self) { return count }
        return 0
    }
}

/// `congress-bench fanin-children`: the children of `congress-bench fanin`, one process posting for all of them at once.
struct FanInChildren: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanin-children",
        abstract: "Children posting new deputies to their parent at once (run by `congress-bench fanin`).",
        shouldDisplay: false
    )

    @Option(help: "The parent's address.")
    var url: String

    @Option(help: "A file of `CODE TOKEN` lines, one a child.")
    var tokens: String

    @Option(help: "New deputies each child pushes.")
    var rows: Int

    @Option(help: "Changes per batch.")
    var batchSize: Int

    func run() async throws {
        let children = try String(contentsOfFile: tokens, encoding: .utf8).split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let code = RegionCode(String(parts[0])) else { throw ValidationError("not CODE TOKEN: \(line)") }
            return (code: code, token: String(parts[1]))
        }
        let busy = BusyCount()
        let (url, rows, batchSize) = (self.url, self.rows, self.batchSize)
        let seconds = try await BenchResult.seconds {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for child in children {
                    group.addTask { try await Self.push(from: child.code, token: child.token, to: url, rows: rows, batchSize: batchSize, busy: busy) }
                }
                try await group.waitForAll()
            }
        }
        print("PUSHED seconds=\(seconds) busy=\(busy.count)")
    }

    /// The child's batches in order, two in flight as `SyncClient` posts them; one that finds a gap (the one before it
    /// was turned away busy meanwhile) is sent again once the one before it is acknowledged.
    private static func push(from child: RegionCode, token: String, to url: String, rows: Int, batchSize: Int, busy: BusyCount) async throws {
        var posted: [Task<Void, any Error>] = []
        for from in stride(from: 1, through: rows, by: batchSize) {
            let to = min(from + batchSize - 1, rows)
            if posted.count >= SyncClient.batchesInFlight { try await posted[posted.count - SyncClient.batchesInFlight].value }
            let before = posted.last
            posted.append(
                Task {
                    let body = try Self.batch(from: child, seqs: Int64(from)...Int64(to))
                    while true {
                        var request = HTTPClientRequest(url: url + "/v1/sync/batches")
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        request.body = .bytes(ByteBuffer(string: body))
                        let response = try await HTTPClient.shared.execute(request, timeout: .minutes(10))
                        let answer = String(buffer: try await response.body.collect(upTo: 1 << 20))
                        switch response.status {
                        case .ok: return
                        case .serviceUnavailable where answer.contains("\"busy\""):
                            busy.add()
                            try await Task.sleep(for: .seconds(Int(response.headers.first(name: "Retry-After") ?? "") ?? 1))
                        case .conflict where answer.contains("\"gap\"") && before != nil:
                            try await before?.value
                        default:
                            throw InputError(field: "fanin", message: "\(child)'s batch \(from)–\(to): \(response.status) \(answer)")
                        }
                    }
                }
            )
        }
        for task in posted { try await task.value }
    }

    /// A batch of new deputies of `child`, seqs `seqs`, as `SyncClient` writes one in this release's schema.
    static func batch(from child: RegionCode, seqs: ClosedRange<Int64>) throws -> String {
        let schema = SchemaHistory.thisRelease.current
        let header = BatchHeader(
            protocol: SyncProtocol.version,
            schemaHash: schema.hash,
            schemaVersion: schema.version,
            release: CongressRelease.current,
            topologyHash: "",
            sender: child,
            fromSeq: seqs.lowerBound,
            toSeq: seqs.upperBound,
            edges: [],
            topologyRefused: nil,
            pointsHash: nil,
            pointsRefused: nil,
            auditHead: nil
        )
        let now = ISO8601DateFormatter().string(from: Date())
        let code = child.rawValue
        let changes = seqs.map { seq in
            """
            {"kind":"deputy","id":"\(UUID().uuidString.lowercased())","origin":"\(code)","regionCode":"\(code)","version":\(seq),\
            "updatedAt":"\(now)","deleted":false,"body":{"name":"代表\(seq)","gender":"\(seq % 2 == 0 ? "male" : "female")",\
            "ethnicity":"汉族","birthMonth":"\(1950 + seq % 50)-0\(1 + seq % 9)","party":"中共党员","occupation":"农民",\
            "level":"township","congressCode":"\(code)","term":15,"constituency":"第\(seq % 40)选区","delegation":"代表团",\
            "status":"in_office","phone":"138****\(String(10000 + seq % 10000).dropFirst())","personKey":"\(code)-\(seq)"}}
            """
        }
        return try SyncClient.document(header, changes: "[" + changes.joined(separator: ",") + "]")
    }
}

/// How many times the parent answered busy, counted across the children's tasks.
final class BusyCount: Sendable {
    private let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}
