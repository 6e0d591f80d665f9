import ArgumentParser
import CongressCore
import CongressStore
import CongressTooling
import Foundation
import Logging
import PostgresNIO

/// `congress-bench cases`: a city's year of cases listed at its node by 50 concurrent clients (SPEC §13).
struct CasesBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cases",
        abstract: "A city's year of cases (about 3,300 with their events, 5,300 deputies) listed at 50 concurrent clients.",
        discussion: """
            The cases come from the synthetic generator (`congress seed --synthetic`) for every node of a city of 8 \
            counties and 80 townships, as replication leaves them at the node above (without the texts of the cases \
            registered below). Times GET \(listPath) per request while a case is written every second; baseline: the same load on GET /health (one \
            database round trip), in the same run. Runs a throwaway managed PostgreSQL (or uses --database) and the \
            node in this process.
            """
    )

    @Flag(help: "Shorter load, for a smoke run.")
    var quick = false

    @OptionGroup var options: LoadOptions

    /// The dashboard's list: the first page of cases, overdue first.
    static let listPath = "/v1/cases?order=overdue&limit=50"

    /// Far busier than a city's node (3,300 cases a year, their events, nightly batches): each write makes the list's
    /// pages out of date, so the load measures their rendering too.
    static let writeInterval: Duration = .seconds(1)

    /// Runs `load` while a case is written every `interval`: its row and the change counter touched as a write does.
    static func whileWriting<Value: Sendable>(
        on client: PostgresClient,
        every interval: Duration,
        _ load: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await load() }
            group.addTask {
                let logger = Logger(label: "bench").errorsOnly
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    try await client.withTransaction(logger: logger) { connection in
                        try await connection.query(
                            "UPDATE cases SET version = version + 1, updated_at = now() WHERE id = (SELECT id FROM cases ORDER BY id LIMIT 1)",
                            logger: logger
                        )
                        try await connection.query("UPDATE change_counter SET last_seq = last_seq + 1", logger: logger)
                    }
                }
                return nil
            }
            defer { group.cancelAll() }
            while let value = try await group.next() {
                if let value { return value }
            }
            throw CancellationError()
        }
    }

    /// 荆门's size: about 5,300 deputies of four levels and 3,300 cases a year.
    static let shape = SyntheticTopology(cities: 1, countiesPerCity: 8, townshipsPerCounty: 10)

    func run() async throws {
        try await Report.run {
            let logger = Logger(label: "bench", level: .warning)
            let duration: Duration = quick ? .seconds(3) : .seconds(10)
            try await BenchDatabase.withServer(url: options.database, logger: logger) { server, _ in
                try await BenchNode.run(Self.shape, on: server, named: "cases", logger: logger) { topology, client, secrets, base in
                    let counts = try await Self.generate(topology, on: client)
                    // Written in SQL, the cases have no status rows yet: the node's start-up pass makes them.
                    let store = RecordStore(client: client, node: topology.root.code, logger: logger.errorsOnly)
                    _ = try await store.reconcileCaseStatus()
                    print("city: \(counts)")
                    let load = LoadGenerator(token: secrets.readToken, clients: options.clients)
                    defer { load.shutdown() }
                    // Warm-up: connections opened, the first answers encoded.
                    _ = try await load.run(base: base, paths: [Self.listPath, "/health"], for: .seconds(1))
                    let cases = try await Self.whileWriting(on: client, every: Self.writeInterval) {
                        try await load.run(base: base, paths: [Self.listPath], for: duration)
                    }
                    let health = try await load.run(base: base, paths: ["/health"], for: duration)
                    print("cases: \(cases.summary); health: \(health.summary)")
                    for figure in BenchResult.underLoad("cases_list", cases, baseline: health, p50AtMostMS: 50) { print(figure.line) }
                }
            }
        }
    }

    /// The city's deputies and its cases registered in the year up to today with their events, generated for every node
    /// of the city (seed 1) and written in SQL as replication would have left them at the node above: each record owned
    /// by the node that wrote it, a case below it without its subject and text, an event without its text, and each
    /// event recorded on its day, in its case's order. (In SQL: the store writes others' records only by applying sync
    /// batches, as `ProvinceData` says.)
    static func generate(_ topology: Topology, on client: PostgresClient) async throws -> String {
        let root = topology.root.code
        let today = Activity.today()
        let yearAgo = today.adding(days: -365)
        let keys = PersonKeyDeriver(provinceKey: "bench", rounds: 1)
        var deputies: [Row] = []
        var cases: [Row] = []
        var generated: [SyntheticCaseEvent] = []
        for node in topology.runningNodes where node.code != root {
            let records = SyntheticRecords(
                topology: topology,
                node: node.code,
                scale: .small,
                seed: 1,
                sharedPersons: 0.2,
                personKeys: keys,
                today: today,
                activityYears: 0
            )
            deputies += try records.deputies.map { try Row(id: $0.id, origin: node.code, region: $0.regionCode!, body: $0.body) }
            for record in records.cases where record.body.registeredOn! > yearAgo {
                var body = record.body
                (body.subject, body.content) = (nil, nil)
                cases.append(try Row(id: record.id, origin: node.code, region: record.regionCode!, body: body))
            }
            generated += records.caseEvents
        }
        // An event lies in its case's region, whoever wrote it (a county handles its townships' transferred opinions).
        let regions = Dictionary(uniqueKeysWithValues: cases.map { ($0.id, $0.region) })
        let events = try generated.compactMap { event -> Row? in
            guard let region = regions[event.record.body.caseId] else { return nil }
            var body = event.record.body
            body.text = nil
            body.at = Timestamp("\(body.on!)T00:\(event.position < 10 ? "0" : "")\(event.position):00+08:00")
            return try Row(id: event.record.id, origin: event.writer, region: region, body: body)
        }
        let logger = Logger(label: "bench").errorsOnly
        for (table, rows) in [("deputies", deputies), ("cases", cases), ("case_events", events)] {
            for start in stride(from: 0, to: rows.count, by: 2_000) {
                let part = rows[start..<min(start + 2_000, rows.count)]
                var binds = PostgresBindings()
                binds.append(part.map(\.id))
                binds.append(part.map(\.origin.rawValue))
                binds.append(part.map(\.region.rawValue))
                binds.append(part.map(\.body))
                try await client.query(
                    PostgresQuery(
                        unsafeSQL: """
                            INSERT INTO \(table) (id, origin, region_code, version, updated_at, body)
                            SELECT id, origin, region, 1, now(), body::jsonb FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])
                                AS r(id, origin, region, body)
                            """,
                        binds: binds
                    ),
                    logger: logger
                )
            }
        }
        try await client.query("ANALYZE", logger: logger)
        return "\(deputies.count) deputies, \(cases.count) cases registered in the year up to \(today), \(events.count) case events"
    }

    /// A record as its table holds it.
    struct Row {
        var id: UUID
        var origin: RegionCode
        var region: RegionCode
        var body: String

        init<Body: RecordBody>(id: UUID, origin: RegionCode, region: RegionCode, body: Body) throws {
            self.id = id
            self.origin = origin
            self.region = region
            self.body = String(decoding: try JSONEncoder().encode(body), as: UTF8.self)
        }
    }
}
