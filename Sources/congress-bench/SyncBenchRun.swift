import CongressCore
import CongressServer
import CongressStore
import CongressSync
import CongressTLS
import CongressTooling
import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// A county and one of its townships on two fresh databases, the county serving HTTP in this process.
struct SyncBenchRun {
    let server: DatabaseAddress
    let folder: String
    let logger: Logger
    /// The parent serves HTTPS (a CA made for the run, trusted by the child); else plain HTTP.
    var https = false

    static let child = RegionCode("420802001")!
    static let parent = RegionCode("420802")!

    init(server: DatabaseAddress, folder: String, logger: Logger) throws {
        self.server = server
        self.folder = folder
        self.logger = logger
    }

    /// Median seconds (of three rounds each) to push `rows` new deputies from the child to an empty parent, and to COPY
    /// the same rows into an empty deputies table of the same PostgreSQL. Rounds alternate, so that whatever else the
    /// machine does weighs on both alike.
    ///
    /// Before the rounds (over plain HTTP), one full sync with the township in a process of its own: this process's peak
    /// RSS is then the county's (with the bench's own pools), and the township reports its own.
    func ingest(rows: Int) async throws -> (sync: Double, copy: Double, peaks: (parent: Double, child: Double)?) {
        try await withNodes { child, parent, sync, separate in
            try await Self.generate(rows, on: child, seqsFrom: 0)
            // The baseline's input: the same rows as a file, written and read by the server (which may run as postgres).
            let exchange = folder + "/copy"
            try FileManager.default.createDirectory(atPath: exchange, withIntermediateDirectories: true)
            try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: exchange)
            let file = exchange + "/deputies.copy"
            try await child.query(
                PostgresQuery(unsafeSQL: "COPY (SELECT id, origin, region_code, version, updated_at, deleted, body FROM deputies) TO '\(file)'"),
                logger: logger
            )
            try await parent.query(PostgresQuery(unsafeSQL: "CREATE TABLE copy_target (LIKE deputies INCLUDING ALL)"), logger: logger)
            let childSync = ChangeLogReader(client: child, node: Self.child, logger: logger)
            // Emptying the parent between rounds is the benchmark's own doing: no store method does that. The child
            // then pushes everything again, as when its parent asks it to rewind.
            func startOver() async throws {
                for statement in [
                    "TRUNCATE deputies, change_log, sync_checkpoints, copy_target", "UPDATE change_counter SET last_seq = 0", "CHECKPOINT",
                ] {
                    try await parent.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await childSync.recordAck(0, parent: Self.parent, rewind: true)
            }
            var peaks: (parent: Double, child: Double)?
            if !https {
                try await startOver()
                let pushed = try separate.push()
                guard pushed.applied == rows else { throw InputError(field: "sync", message: "applied \(pushed.applied) of \(rows) changes") }
                peaks = (SyncBench.peakResidentMegabytes() ?? 0, pushed.peak)
            }
            var syncs: [Double] = []
            var copies: [Double] = []
            for _ in 0..<3 {
                try await startOver()
                syncs.append(
                    try await BenchResult.seconds {
                        let report = await sync.run()
                        if let error = report.error { throw InputError(field: "sync", message: error) }
                        guard report.applied == rows else { throw InputError(field: "sync", message: "applied \(report.applied) of \(rows) changes") }
                    }
                )
                try await parent.query(PostgresQuery(unsafeSQL: "CHECKPOINT"), logger: logger)
                copies.append(
                    try await BenchResult.seconds {
                        try await parent.query(
                            PostgresQuery(unsafeSQL: "COPY copy_target (id, origin, region_code, version, updated_at, deleted, body) FROM '\(file)'"),
                            logger: logger
                        )
                    }
                )
            }
            return (syncs.sorted()[1], copies.sorted()[1], peaks)
        }
    }

    /// Median seconds of a sync carrying 1,000 updated records, child and parent both holding `records` already in sync.
    func incremental(records: Int) async throws -> Double {
        try await withNodes { child, parent, sync, _ in
            try await Self.generate(records, on: child, seqsFrom: 0)
            try await Self.generate(records, on: parent, seqsFrom: 0)
            let childSync = ChangeLogReader(client: child, node: Self.child, logger: logger)
            _ = try await childSync.upstream(parent: Self.parent)
            try await childSync.recordAck(Int64(records), parent: Self.parent)
            // Only an applied batch moves a child's checkpoint at the parent (BatchApplier has no method to set one): written here.
            try await parent.query(
                "INSERT INTO sync_checkpoints (sender, acked_seq) VALUES (\(Self.child.rawValue), \(Int64(records)))",
                logger: logger
            )
            for table in ["deputies", "change_log"] {
                try await child.query(PostgresQuery(unsafeSQL: "VACUUM ANALYZE \(table)"), logger: logger)
                try await parent.query(PostgresQuery(unsafeSQL: "VACUUM ANALYZE \(table)"), logger: logger)
            }
            var samples: [Double] = []
            for round in 0..<4 {
                try await Self.update(1_000, on: child, round: round)
                samples.append(
                    try await BenchResult.seconds {
                        let report = await sync.run()
                        if let error = report.error { throw InputError(field: "sync", message: error) }
                        guard report.applied == 1_000 else { throw InputError(field: "sync", message: "applied \(report.applied) of 1000 changes") }
                    }
                )
            }
            // The first round warms caches; the median of the others counts.
            return samples.dropFirst().sorted()[1]
        }
    }

    /// Deputies written at the township, as its own writes would have left them: records, change log, counter.
    /// Ids derive from the number, so the parent can be given the very same records.
    ///
    /// Written in SQL, not with `RecordStore.importRecords`: that takes records prepared in this process and writes them
    /// in one transaction, and a million of them would make the setup, not the sync, the long part of the run.
    static func generate(_ count: Int, on client: PostgresClient, seqsFrom first: Int64) async throws {
        try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO deputies (id, origin, region_code, version, updated_at, deleted, body)
                    SELECT md5('deputy' || g)::uuid, '\(child)', '\(child)', \(first) + g, now(), false, jsonb_build_object(
                        'name', '代表' || g, 'gender', CASE WHEN g % 2 = 0 THEN 'male' ELSE 'female' END, 'ethnicity', '汉族',
                        'birthMonth', (1950 + g % 50) || '-0' || (1 + g % 9), 'party', '中共党员', 'occupation', '农民',
                        'level', 'township', 'congressCode', '\(child)', 'term', 15, 'constituency', '第' || (g % 40) || '选区',
                        'delegation', '龙泉代表团', 'status', 'in_office', 'phone', '138****' || lpad((g % 10000)::text, 4, '0'),
                        'personKey', md5('person' || g) || md5('key' || g))
                    FROM generate_series(1, \(count)) g
                    """
            ),
            logger: Logger(label: "bench")
        )
        try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO change_log (seq, kind, record_id, origin, region_code, version, deleted)
                    SELECT version, 'deputy', id, origin, region_code, version, false FROM deputies WHERE version > \(first)
                    """
            ),
            logger: Logger(label: "bench")
        )
        try await client.query("UPDATE change_counter SET last_seq = \(first + Int64(count))", logger: Logger(label: "bench"))
    }

    /// `count` deputies spread over the table changed at the township, as its API would write them (in SQL, as
    /// `generate`: `RecordStore.replace` would read and write them one by one).
    static func update(_ count: Int, on client: PostgresClient, round: Int) async throws {
        try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    WITH counter AS (UPDATE change_counter SET last_seq = last_seq + \(count) RETURNING last_seq),
                    picked AS (
                        SELECT md5('deputy' || g)::uuid AS id, row_number() OVER () AS n
                        FROM generate_series(1, (SELECT count(*) FROM deputies)) g WHERE g % ((SELECT count(*) FROM deputies) / \(count)) = \(round)
                        LIMIT \(count)
                    ),
                    changed AS (
                        UPDATE deputies d SET version = (SELECT last_seq FROM counter) - \(count) + p.n, updated_at = now(),
                            body = jsonb_set(d.body, '{occupation}', to_jsonb('教师' || \(round)))
                        FROM picked p WHERE d.id = p.id
                        RETURNING d.id, d.origin, d.region_code, d.version
                    )
                    INSERT INTO change_log (seq, kind, record_id, origin, region_code, version, deleted)
                    SELECT version, 'deputy', id, origin, region_code, version, false FROM changed
                    """
            ),
            logger: Logger(label: "bench")
        )
    }

    /// Fresh databases for both nodes, migrated; the parent serving on a free loopback port; the child's sync client.
    private func withNodes<T: Sendable>(
        _ body: @Sendable (PostgresClient, PostgresClient, SyncClient, SeparateChild) async throws -> T
    ) async throws -> T {
        let port = try LoopbackPort.free()
        var yaml = Self.topologyYAMLText(port: port)
        if https { yaml = yaml.replacingOccurrences(of: "http://", with: "https://") }
        let topology = try TopologyLoader.parse(yaml, file: "bench.yaml").topology
        let (parentTLS, childTLS) = try https ? Self.tls(topology: topology) : (nil, nil)
        let secrets = NodeSecrets.generate(for: topology, keeping: [:])
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let childDatabase = server.with(database: "bench_child_\(suffix)")
        let parentDatabase = server.with(database: "bench_parent_\(suffix)")
        for database in [childDatabase, parentDatabase] {
            try await ManagedPostgres.createDatabaseIfMissing(database.database, on: server, logger: logger)
        }
        let quiet = logger.errorsOnly
        var configuration = AppConfiguration(
            node: Self.parent,
            topology: topology,
            secrets: secrets.first { $0.node == Self.parent }!,
            database: parentDatabase,
            listen: HostAndPort(host: "127.0.0.1", port: port),
            logger: quiet
        )
        configuration.schedulesPushes = false
        configuration.tls = parentTLS
        let app = try buildApplication(configuration)
        let child = PostgresClient(configuration: childDatabase.clientConfiguration, backgroundLogger: quiet)
        let parent = PostgresClient(configuration: parentDatabase.clientConfiguration, backgroundLogger: quiet)
        return try await whileRunning([app, child, parent], logger: logger) {
            try await Migrations.apply(on: child, logger: logger)
            try await NodeHTTP.waitUntilListening(url: "\(https ? "https" : "http")://127.0.0.1:\(port)", tls: childTLS?.clientConfiguration)
            let token = secrets.first { $0.node == Self.child }!.parentToken!
            let sync = Self.childSync(on: child, topology: topology, token: token, tls: childTLS?.clientConfiguration, logger: logger)
            let separate = SeparateChild(
                arguments: [
                    "sync-child", "--host", server.host, "--database-port", "\(server.port)", "--user", server.username, "--database",
                    childDatabase.database, "--parent-port", "\(port)",
                ],
                environment: ["CONGRESS_BENCH_TOKEN": token].merging(server.password.map { ["CONGRESS_BENCH_PASSWORD": $0] } ?? [:]) { $1 }
            )
            return try await body(child, parent, sync, separate)
        }
    }

    /// The township's sync client, on its database.
    static func childSync(on client: PostgresClient, topology: Topology, token: String, tls: TLSConfiguration?, logger: Logger) -> SyncClient {
        SyncClient(
            changeLog: ChangeLogReader(client: client, node: child, logger: logger),
            applier: BatchApplier(client: client, node: child, logger: logger),
            directiveFeed: DirectiveFeed(client: client, node: child, logger: logger),
            topology: TopologyInForce(topology),
            token: token,
            tls: tls,
            logger: logger
        )
    }

    /// The township run as a process of its own (`congress-bench sync-child`, plain HTTP), for its memory alone.
    struct SeparateChild {
        let arguments: [String]
        /// The township's token and the database's password.
        let environment: [String: String]

        /// Pushes the township's change log once; returns how many changes applied and the process's peak RSS in MB.
        func push() throws -> (applied: Int, peak: Double) {
            let fields = try HelperProcess.run(arguments, environment: environment, expecting: "PUSHED")
            guard let applied = fields["applied"].flatMap(Int.init), let peak = fields["peak"].flatMap(Double.init) else {
                throw InputError(field: "sync", message: "the township's process did not say what it measured: \(fields)")
            }
            return (applied, peak)
        }
    }

    /// A CA made for the run, the parent's certificate from it, and the child trusting only that CA.
    static func tls(topology: Topology) throws -> (parent: NodeTLS, child: NodeTLS) {
        let authority = try CertificateAuthority.make()
        let issued = try authority.issue(node: parent, url: topology.node(parent)?.url)
        let trusted = [try NIOSSLCertificate(bytes: Array(try authority.certificatePEM.utf8), format: .pem)]
        let parentTLS = NodeTLS(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(try issued.certificatePEM.utf8)),
            privateKey: try NIOSSLPrivateKey(bytes: Array(try issued.keyPEM.utf8), format: .pem),
            authority: trusted
        )
        return (parentTLS, NodeTLS(authority: trusted))
    }

    static func topologyYAMLText(port: Int) -> String { SyncBench.topologyYAML.replacingOccurrences(of: "PORT", with: "\(port)") }

}
