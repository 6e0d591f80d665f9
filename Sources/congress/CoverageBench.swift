import ArgumentParser
import AsyncHTTPClient
import CongressCore
import CongressServer
import CongressStore
import CongressTooling
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// `congress bench coverage`: coverage requests for a generated province at 50 concurrent clients (SPEC §11).
struct CoverageBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coverage",
        abstract: "Coverage for a generated province (1,300 townships, 27k villages, 90k deputies, 7k stations) at 50 concurrent clients.",
        discussion: """
            Baseline: the same load on GET /health (one database round trip), in the same run. Also times how long a write \
            takes to show in the figures (the node recounts in the background). Runs a throwaway managed PostgreSQL (or uses --database) and the node in this process.
            """
    )

    @Flag(help: "A smaller province (100 townships) and shorter load, for a smoke run.")
    var quick = false

    @Option(help: "A PostgreSQL server to use instead of a throwaway one (postgres://user@host:port/db); a database is created on it.")
    var database: String?

    @Option(help: "Concurrent clients.")
    var clients = 50

    func run() async throws {
        try await Report.run {
            var logger = Logger(label: "bench")
            logger.logLevel = .warning
            let shape = quick ? SyntheticTopology(cities: 2, countiesPerCity: 5, townshipsPerCounty: 10) : .province
            let duration: Duration = quick ? .seconds(3) : .seconds(10)
            try await BenchDatabase.withServer(url: database, logger: logger) { server, _ in
                try await BenchNode.run(shape, on: server, named: "coverage", logger: logger) { topology, client, secrets, base in
                    let counts = try await ProvinceData.generate(
                        townships: topology.allNodes.filter { $0.level == .township }.map(\.code),
                        on: client
                    )
                    print("province: \(shape.townships) townships, \(counts)")
                    let load = LoadGenerator(token: secrets.readToken, clients: clients)
                    defer { load.shutdown() }

                    let firstBuild = try await BenchResult.seconds { try await load.get(base + "/v1/coverage?depth=1") }
                    let regions = [topology.root] + topology.root.children + topology.root.children.flatMap(\.children)
                    let paths = regions.map { "/v1/coverage?region=\($0.code)&depth=1" }
                    let coverage = try await load.run(base: base, paths: paths, for: duration)
                    let health = try await load.run(base: base, paths: ["/health"], for: duration)
                    print("coverage: \(coverage.summary); health: \(health.summary); first snapshot \(String(format: "%.3f", firstBuild)) s")

                    // A write makes the node recount; until that is done requests are answered from the snapshot in hand.
                    let station = #"{"name": "新建站点", "type": "station", "regionCode": "\#(regions.last!.code)", "status": "active"}"#
                    let rebuild = try await BenchResult.seconds {
                        try await load.post(base + "/v1/stations", json: station, token: secrets.adminToken)
                        let written = Date()
                        while try await load.generatedAt(base + "/v1/coverage?depth=1") < written { try await Task.sleep(for: .milliseconds(10)) }
                    }

                    print(
                        BenchResult(
                            name: "coverage_p50",
                            value: coverage.p50 * 1000,
                            unit: "ms",
                            baseline: health.p50 * 1000,
                            goal: "<=20",
                            met: coverage.p50 <= 0.020
                        ).line
                    )
                    print(
                        BenchResult(
                            name: "coverage_p99",
                            value: coverage.p99 * 1000,
                            unit: "ms",
                            baseline: health.p99 * 1000,
                            goal: "<=100",
                            met: coverage.p99 <= 0.100
                        ).line
                    )
                    print(
                        BenchResult(
                            name: "coverage_requests_per_s",
                            value: coverage.rate,
                            unit: "req/s",
                            baseline: health.rate,
                            goal: ">=2000",
                            met: coverage.rate >= 2000
                        ).line
                    )
                    print(
                        BenchResult(name: "coverage_write_visible_after", value: rebuild, unit: "s", baseline: nil, goal: "<2", met: rebuild < 2).line
                    )
                }
            }
        }
    }
}

/// Concurrent clients on one connection pool, each sending its next request as soon as the last one is answered.
final class LoadGenerator: Sendable {
    struct Outcome {
        var latencies: [Double]
        var seconds: Double

        var rate: Double { Double(latencies.count) / seconds }
        var p50: Double { percentile(0.50) }
        var p99: Double { percentile(0.99) }
        var summary: String {
            String(format: "%d requests, %.0f/s, p50 %.2f ms, p99 %.2f ms", latencies.count, rate, p50 * 1000, p99 * 1000)
        }

        private func percentile(_ share: Double) -> Double {
            let sorted = latencies.sorted()
            return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * share))]
        }
    }

    private let http: HTTPClient
    private let token: String
    private let clients: Int

    init(token: String, clients: Int) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = clients
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.token = token
        self.clients = clients
    }

    func shutdown() { try? http.syncShutdown() }

    @discardableResult
    func get(_ url: String) async throws -> ByteBuffer {
        try await NodeHTTP.send(NodeHTTP.request(url, token: token), on: http, timeout: .seconds(30))
    }

    /// When the coverage answer at `url` was counted.
    func generatedAt(_ url: String) async throws -> Date {
        struct Answer: Decodable { var generatedAt: Timestamp }
        return try JSONDecoder().decode(Answer.self, from: Data(buffer: try await get(url))).generatedAt.date
    }

    @discardableResult
    func post(_ url: String, json: String, token: String) async throws -> ByteBuffer {
        try await NodeHTTP.send(
            NodeHTTP.request(url, method: .POST, token: token, json: ByteBuffer(string: json)),
            on: http,
            expecting: .created,
            timeout: .seconds(30)
        )
    }

    /// Every client cycles through `paths` (each from its own offset) until `duration` has passed.
    func run(base: String, paths: [String], for duration: Duration) async throws -> Outcome {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + duration
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for client in 0..<clients {
                group.addTask {
                    var samples: [Double] = []
                    var index = client
                    while clock.now < deadline {
                        let elapsed = try await clock.measure { try await self.get(base + paths[index % paths.count]) }
                        samples.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                        index += 1
                    }
                    return samples
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let seconds = clock.now - start
        return Outcome(latencies: latencies, seconds: Double(seconds.components.seconds) + Double(seconds.components.attoseconds) / 1e18)
    }
}

/// Records for a generated province, written straight into the node's tables as replication would have left them
/// (origin: the county): per township 21 villages, about 5 stations, 69 mandates (at five levels) of 55 persons,
/// assignments and sign-ins to one province training.
enum ProvinceData {
    static func generate(
        townships: [RegionCode],
        mandatesPerTownship: Int = 69,
        personsPerTownship: Int = 55,
        on client: PostgresClient
    ) async throws -> String {
        let logger = Logger(label: "bench")
        let codes = townships.map(\.rawValue)
        let statements = [
            """
            INSERT INTO units (id, origin, region_code, version, updated_at, body)
            SELECT md5('unit' || t || v)::uuid, left(t, 6), t || lpad(v::text, 3, '0'), 1, now(),
                   jsonb_build_object('code', t || lpad(v::text, 3, '0'), 'name', '村' || v, 'urbanRuralClass', '220')
            FROM unnest($1::text[]) AS t, generate_series(1, 21) AS v
            """,
            """
            INSERT INTO stations (id, origin, region_code, version, updated_at, body)
            SELECT md5('station' || t || s)::uuid, left(t, 6), CASE WHEN s = 1 THEN t ELSE t || lpad(s::text, 3, '0') END, 1, now(),
                   jsonb_build_object(
                       'name', '代表联络站' || s,
                       'type', (ARRAY['home', 'station', 'contact_point', 'online', 'industry', 'centre'])[1 + (s + length(t)) % 6],
                       'status', CASE WHEN h % 17 = 0 THEN 'closed' WHEN h % 10 = 0 THEN 'suspended' ELSE 'active' END,
                       'coveredUnits', (SELECT jsonb_agg(t || lpad(v::text, 3, '0')) FROM generate_series(1, 21) v WHERE v % 5 = s % 5),
                       'standards', jsonb_build_object('site', h % 7 <> 0, 'staff', h % 11 <> 0, 'rules', true, 'activities', h % 5 <> 0,
                                                       'funds', h % 3 <> 0, 'equipment', h % 13 <> 0),
                       'staff', '[]'::jsonb)
            FROM unnest($1::text[]) AS t, generate_series(1, 5 + abs(hashtext(t)) % 2) AS s, LATERAL (SELECT abs(hashtext(t || s)) AS h) AS hash
            """,
            """
            INSERT INTO deputies (id, origin, region_code, version, updated_at, body)
            SELECT md5('deputy' || t || n)::uuid, left(t, 6), t || lpad((1 + n % 21)::text, 3, '0'), 1, now(),
                   jsonb_build_object(
                       'name', '代表' || n, 'gender', CASE WHEN n % 3 = 0 THEN 'female' ELSE 'male' END, 'term', 15,
                       'level', level, 'congressCode', CASE level WHEN 'national' THEN 'CN' WHEN 'province' THEN '42'
                           WHEN 'city' THEN left(t, 4) WHEN 'county' THEN left(t, 6) ELSE t END,
                       'status', CASE WHEN n % 23 = 0 THEN 'resigned' ELSE 'in_office' END,
                       'personKey', md5('person' || t || (n % \(personsPerTownship))))
            FROM unnest($1::text[]) AS t, generate_series(0, \(mandatesPerTownship - 1)) AS n,
                 LATERAL (SELECT CASE WHEN n % 69 < 40 THEN 'township' WHEN n % 69 < 58 THEN 'county' WHEN n % 69 < 65 THEN 'city'
                                      WHEN n % 69 < 68 THEN 'province' ELSE 'national' END AS level) AS l
            """,
            """
            INSERT INTO assignments (id, origin, region_code, version, updated_at, body)
            SELECT md5('assignment' || t || n)::uuid, left(t, 6), t, 1, now(),
                   jsonb_build_object('deputyId', md5('deputy' || t || n)::uuid, 'stationId', md5('station' || t || (1 + n % 5))::uuid,
                                      'role', 'resident', 'since', '2022-01-01')
            FROM unnest($1::text[]) AS t, generate_series(0, \(mandatesPerTownship - 1)) AS n WHERE n % 3 <> 0
            """,
            """
            INSERT INTO trainings (id, origin, region_code, version, updated_at, body)
            VALUES (md5('training')::uuid, '42', '42', 1, now(), jsonb_build_object(
                'title', '全省代表履职培训', 'organizer', '42', 'startsOn', '2026-11-01', 'endsOn', '2026-11-30', 'mode', 'hybrid',
                'audience', jsonb_build_object('levels', '["township", "county"]'::jsonb, 'regionPrefix', '42'),
                'venues', jsonb_build_array(jsonb_build_object('id', md5('venue')::uuid, 'kind', 'main', 'regionCode', '42',
                                                               'name', '主会场', 'capacity', 100000))))
            """,
            """
            INSERT INTO attendance (id, origin, region_code, version, updated_at, body)
            SELECT md5('attendance' || t || n)::uuid, left(t, 6), '42', 1, now(),
                   jsonb_build_object('trainingId', md5('training')::uuid, 'venueId', md5('venue')::uuid,
                                      'deputyId', md5('deputy' || t || n)::uuid, 'mode', 'online', 'signedInAt', '2026-11-02T09:00:00Z')
            FROM unnest($1::text[]) AS t, generate_series(0, \(mandatesPerTownship - 1)) AS n WHERE n % 4 = 0
            """,
            "ANALYZE",
        ]
        for statement in statements {
            var binds = PostgresBindings()
            if statement.contains("$1") { binds.append(codes) }
            try await client.query(PostgresQuery(unsafeSQL: statement, binds: binds), logger: logger)
        }
        var parts: [String] = []
        for table in ["units", "stations", "deputies", "assignments", "attendance"] {
            let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: logger)
            for try await count in rows.decode(Int.self) { parts.append("\(count) \(table)") }
        }
        return parts.joined(separator: ", ")
    }
}
