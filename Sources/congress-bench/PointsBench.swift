import ArgumentParser
import CongressCore
import CongressStore
import CongressTooling
import Foundation
import Logging
import PostgresNIO

/// `congress-bench points`: a congress's ranking with a year of activities (SPEC §12), at a city's and a province's size.
struct PointsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "points",
        abstract: "Ranking of 5,200 mandates with a year of activities, and of 90,000.",
        discussion: """
            Times GET /v1/points on a node in this process: the mandates, their confirmed activities and sign-ins of the \
            year read and counted in PostgreSQL, each scored by the rules file, ranked and encoded. Baseline: reading the \
            same rows alone (the mandates, the year's confirmed activities with their participants, the sign-ins). Median \
            of three after a warm-up.
            """
    )

    @Flag(help: "Only the 5,200-mandate ranking, for a smoke run.")
    var quick = false

    @Option(help: "A PostgreSQL server to use instead of a throwaway one (postgres://user@host:port/db); databases are created on it.")
    var database: String?

    struct Shape {
        var name: String
        var topology: SyntheticTopology
        var mandates: Int
        var goal: Double
    }

    /// 荆门东宝's scheme (base 60 and bonuses) with 江北's per-occurrence rules and a cap: every kind of line is exercised.
    static func rules(congress: RegionCode, year: Int) -> String {
        """
        version: 1
        congress: "\(congress)"
        year: \(year)
        base: 60
        rules:
          - { kind: session, points: 2 }
          - { kind: inspection, points: 3 }
          - { kind: group_activity, points: 2 }
          - { kind: reception, points: 2, cap: 24 }
          - { kind: visit, points: 1, per: constituent, cap: 20 }
          - { kind: study, points: 1 }
          - { kind: absence, points: -1, per: half_day }
          - { kind: training_attended, points: 1 }
          - { kind: suggestion_submitted, points: 3 }
        """
    }

    func run() async throws {
        try await Report.run {
            let logger = Logger(label: "bench", level: .warning)
            var shapes = [
                // 荆门: about 5,200 deputies; the city's whole register as one ranking, the largest a city posts.
                Shape(
                    name: "points_rank_5200_mandates",
                    topology: SyntheticTopology(cities: 1, countiesPerCity: 7, townshipsPerCounty: 10),
                    mandates: 5_200,
                    goal: 0.2
                )
            ]
            if !quick {
                shapes.append(Shape(name: "points_rank_90000_mandates", topology: .province, mandates: 90_000, goal: 2))
            }
            try await BenchDatabase.withServer(url: database, logger: logger) { server, _ in
                for shape in shapes { try await measure(shape, server: server, logger: logger) }
            }
        }
    }

    private func measure(_ shape: Shape, server: DatabaseAddress, logger: Logger) async throws {
        let year = Activity.today().year
        let root = try TopologyLoader.parse(shape.topology.yaml, file: "generated.yaml").topology.root.code
        let rulesText = Self.rules(congress: root, year: year)
        let folder = try PointsFolder.check(["\(root)/\(year).yaml": rulesText], directory: "points")
        try await BenchNode.run(shape.topology, on: server, named: "points", logger: logger, points: folder) { topology, client, secrets, base in
            let townships = topology.allNodes.filter { $0.level == .township }.map(\.code.rawValue)
            let counts = try await Self.generate(congress: root, townships: townships, mandates: shape.mandates, year: year, on: client)
            let load = LoadGenerator(token: secrets.readToken, clients: 1)
            defer { load.shutdown() }
            let store = RecordStore(client: client, node: root, logger: logger.errorsOnly)
            let read = try await BenchResult.medianSeconds(runs: 3) { try await Self.readRows(congress: root, year: year, on: client) }
            var ranked = 0
            let ranking = try await BenchResult.medianSeconds(runs: 3) {
                let answer = try await load.get(base + "/v1/points?congress=\(root)&year=\(year)")
                ranked = answer.readableBytes
            }
            let inOffice = try await store.mandatesInOffice(congress: root).count
            print(
                "\(shape.name): \(counts); \(inOffice) in office ranked (\(ranked) bytes); ranking \(String(format: "%.3f", ranking)) s, rows read alone \(String(format: "%.3f", read)) s"
            )
            print(
                BenchResult(name: shape.name, value: ranking, unit: "s", baseline: read, goal: "<=\(shape.goal)", met: ranking <= shape.goal).line
            )
        }
    }

    /// The baseline: the rows the ranking reads, fetched and decoded, nothing counted.
    private static func readRows(congress: RegionCode, year: Int, on client: PostgresClient) async throws {
        let logger = Logger(label: "bench").errorsOnly
        let queries: [PostgresQuery] = [
            "SELECT id, body ->> 'name' FROM deputies WHERE congress_code = \(congress.rawValue) AND status = 'in_office' AND NOT deleted",
            """
            SELECT a.id, a.kind, a.body ->> 'participants', a.body ->> 'halfDays', a.body ->> 'constituentsMet' FROM activities a
            WHERE NOT a.deleted AND a.confirmed AND a.on_date BETWEEN \("\(year)-01-01") AND \("\(year)-12-31")
            """,
            "SELECT deputy_id, body ->> 'signedInAt' FROM attendance WHERE NOT deleted",
        ]
        for query in queries {
            for try await _ in try await client.query(query, logger: logger) {}
        }
    }

    /// `mandates` in-office mandates of `congress` over the townships, about 1.6 participations each in a year (荆门:
    /// 8,200 for 5,200 deputies) spread over the kinds, one in ten activities unconfirmed, and a sign-in for every
    /// other mandate; written in SQL as replication would have left them (see `ProvinceData`).
    static func generate(congress: RegionCode, townships: [String], mandates: Int, year: Int, on client: PostgresClient) async throws -> String {
        let logger = Logger(label: "bench").errorsOnly
        let activities = mandates * 8 / 10
        let statements = [
            """
            INSERT INTO deputies (id, origin, region_code, version, updated_at, body)
            SELECT md5('deputy' || n)::uuid, left(t, 6), t, 1, now(), jsonb_build_object(
                'name', '代表' || n, 'gender', 'female', 'term', 15, 'level', '\(congress.level?.rawValue ?? "city")',
                'congressCode', '\(congress)', 'status', CASE WHEN n % 41 = 0 THEN 'resigned' ELSE 'in_office' END)
            FROM generate_series(0, \(mandates - 1)) AS n, LATERAL (SELECT ($1::text[])[1 + n % cardinality($1::text[])] AS t) AS township
            """,
            """
            INSERT INTO activities (id, origin, region_code, version, updated_at, body)
            SELECT md5('activity' || a)::uuid, left(t, 6), t, 1, now(), jsonb_build_object(
                'kind', (ARRAY['reception', 'visit', 'reception', 'inspection', 'study', 'group_activity', 'session', 'visit', 'legislation', 'absence'])[1 + a % 10],
                'title', '活动' || a, 'on', to_char(make_date(\(year), 1, 1) + (a % 330), 'YYYY-MM-DD'), 'halfDays', 1 + a % 2,
                'participants', jsonb_build_array(upper(md5('deputy' || (a * 7919 % \(mandates)))::uuid::text),
                                                   upper(md5('deputy' || ((a * 7919 + 1) % \(mandates)))::uuid::text)),
                'constituentsMet', a % 13, 'confirmed', a % 10 <> 0)
            FROM generate_series(0, \(activities - 1)) AS a, LATERAL (SELECT ($1::text[])[1 + a % cardinality($1::text[])] AS t) AS township
            """,
            """
            INSERT INTO attendance (id, origin, region_code, version, updated_at, body)
            SELECT md5('attendance' || n)::uuid, left(t, 6), t, 1, now(), jsonb_build_object(
                'trainingId', md5('training')::uuid, 'venueId', md5('venue')::uuid, 'deputyId', md5('deputy' || n)::uuid, 'mode', 'online',
                'signedInAt', to_char(make_date(\(year), 3, 1), 'YYYY-MM-DD') || 'T09:00:00Z')
            FROM generate_series(0, \(mandates - 1), 2) AS n, LATERAL (SELECT ($1::text[])[1 + n % cardinality($1::text[])] AS t) AS township
            """,
            "ANALYZE",
        ]
        for statement in statements {
            var binds = PostgresBindings()
            if statement.contains("$1") { binds.append(townships) }
            try await client.query(PostgresQuery(unsafeSQL: statement, binds: binds), logger: logger)
        }
        return "\(mandates) mandates, \(activities) activities (\(activities * 2) participations), \(mandates / 2) sign-ins"
    }
}
