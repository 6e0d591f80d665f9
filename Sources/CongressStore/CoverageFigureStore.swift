import CongressCore
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Coverage figures maintained as changes arrive (issue 20): the counts of each cell (`CoverageFigureTables`) are
/// recounted when a write marks them, so that the cost of a change follows the change, not the size of the subtree.
/// `CoverageStore.recount`, the full recount, stays the oracle `verify` compares them with.
public struct CoverageFigureStore: Sendable {
    let source: any PostgresClientSource
    var client: PostgresClient { source.client }
    let logger: Logger

    public init(client: some PostgresClientSource, logger: Logger) {
        source = client
        self.logger = logger
    }

    /// How far a reader of the figures has read: cells and persons written after `revision` of `generation` are new
    /// to it; another generation means everything was recounted.
    public struct Position: Sendable, Equatable {
        public var generation: Int64
        public var revision: Int64
    }

    /// What `changes(since:)` found: everything when `complete`, else what was written after the position asked.
    public struct Changes: Sendable {
        public var position: Position
        public var complete: Bool
        public var cells: [String: CoverageCounts]
        /// A person with no cells is no longer in two cells.
        public var persons: [String: CoveragePerson]
    }

    /// What one `maintain` did.
    public struct Maintenance: Sendable, Equatable {
        /// Everything was recounted (first run, another cell width, another year, the clock gone back, a TRUNCATE, or
        /// more marked than a recount of everything costs).
        public var recountedAll: Bool
        public var cellsRecounted: Int
        public var cellsChanged: Int
        public var personsRecounted: Int
    }

    /// The day and year the figures are counted for: assignments are current on `today` (the topology's time zone),
    /// activities and cases of the year of `chinaToday` count, and cases are overdue as of that day.
    public struct Day: Sendable, Equatable {
        public var today: CalendarDate
        public var chinaToday: CalendarDate

        public init(today: CalendarDate, chinaToday: CalendarDate) {
            self.today = today
            self.chinaToday = chinaToday
        }

        /// Now: today in the topology's time zone, and in China.
        public static func now(in topology: Topology) -> Day {
            Day(today: CalendarDate(Date(), timeZone: topology.defaultSync.timezone), chinaToday: Activity.today())
        }
    }

    /// More persons marked than this and one recount of everything is cheaper than person by person (a child's first
    /// sync marks every person it brings).
    static let mostPersons = 200_000
    /// Recounting a cell by lookups costs about as much as 30 cells of a full count (33 ms against 0.7–1.3 ms a cell
    /// in the province and national benches): past that share of the cells held, and past a handful of cells, one
    /// full count is cheaper — after a bulk load or a child's first sync, when most cells are marked at once.
    static let lookupCostInCellsCounted = 30
    static let cellsAlwaysLookedUp = 64

    /// Brings the figures of `node`'s subtree in `topology` up to date as of now.
    @discardableResult
    public func maintain(for topology: Topology, node: RegionCode) async throws -> Maintenance {
        let widths = CoverageSnapshot.prefixWidths(topology: topology, node: node)
        return try await maintain(cellWidth: MaintainedCoverage(widths: widths).cellWidth, day: .now(in: topology))
    }

    /// Recounts what writes marked since the last time, and what the passing of days changed, for cells `cellWidth`
    /// wide; writes the cells whose counts changed under a new revision. One transaction: readers see all or nothing.
    @discardableResult
    public func maintain(cellWidth: Int, day: Day) async throws -> Maintenance {
        try await retryingConflicts {
            try await client.transaction(logger: logger) { connection in
                try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: logger)
                // Compiling a plan takes longer than counting a few cells (0.3–1 s a statement at national).
                try await connection.query("SET LOCAL jit = off", logger: logger)
                return try await maintain(cellWidth: cellWidth, day: day, on: connection)
            }
        }
    }

    private func maintain(cellWidth: Int, day: Day, on connection: PostgresConnection) async throws -> Maintenance {
        let stateRows = try await connection.query(
            "SELECT generation, revision, cell_width, today::text, china_today::text FROM coverage_state FOR UPDATE",
            logger: logger
        )
        var state: (generation: Int64, revision: Int64, width: Int?, today: String?, chinaToday: String?) = (0, 0, nil, nil, nil)
        for try await row in stateRows.decode((Int64, Int64, Int?, String?, String?).self) { state = row }
        let counted = state.today.flatMap(CalendarDate.init).flatMap { today in state.chinaToday.flatMap(CalendarDate.init).map { (today, $0) } }
        guard let counted, state.width == cellWidth, counted.1.year == day.chinaToday.year, counted.0 <= day.today,
            counted.1 <= day.chinaToday, let marked = try await consumeMarks(cellWidth: cellWidth, on: connection)
        else {
            return try await recountEverything(cellWidth: cellWidth, day: day, generation: state.generation + 1, on: connection)
        }

        let persons = marked.persons
        var cells = marked.cells
        cells.formUnion(try await regionsCrossed(from: counted, to: day, on: connection).map { String($0.utf8.prefix(cellWidth))! })
        if !persons.isEmpty {
            let mandates = try await connection.query(
                "SELECT DISTINCT left(region_code, \(cellWidth)::int) FROM deputies WHERE person_key = ANY(\(Array(persons)))",
                logger: logger
            )
            for try await (cell, ) in mandates.decode(String.self) { cells.insert(cell) }
        }
        if cells.count > Self.cellsAlwaysLookedUp {
            var held = 0
            for try await (count, ) in try await connection.query("SELECT count(*) FROM coverage_cells", logger: logger).decode(Int.self) {
                held = count
            }
            if cells.count * Self.lookupCostInCellsCounted > held {
                return try await recountEverything(cellWidth: cellWidth, day: day, generation: state.generation + 1, on: connection)
            }
        }
        guard !cells.isEmpty || !persons.isEmpty || counted != (day.today, day.chinaToday) else {
            return Maintenance(recountedAll: false, cellsRecounted: 0, cellsChanged: 0, personsRecounted: 0)
        }

        let revision = state.revision + 1
        var recounted = try await countCells(width: cellWidth, only: Array(cells), day: day, on: connection)
        for cell in cells where recounted[cell] == nil { recounted[cell] = CoverageCounts() }
        let stored = try await storedCells(Array(cells), on: connection)
        let changed = recounted.filter { stored[$0.key] != $0.value }
        try await writeCells(changed, revision: revision, on: connection)

        let recountedPersons = try await countPersons(width: cellWidth, only: Array(persons), on: connection)
        try await connection.query(
            """
            UPDATE coverage_persons SET cells = '{}', trained = false, revision = \(revision)
            WHERE person = ANY(\(Array(persons))) AND cardinality(cells) > 0 AND NOT person = ANY(\(Array(recountedPersons.keys)))
            """,
            logger: logger
        )
        try await writePersons(recountedPersons, revision: revision, on: connection)
        try await connection.query(
            """
            UPDATE coverage_state SET revision = \(revision), today = \(day.today.description)::date,
                china_today = \(day.chinaToday.description)::date
            """,
            logger: logger
        )
        return Maintenance(recountedAll: false, cellsRecounted: cells.count, cellsChanged: changed.count, personsRecounted: persons.count)
    }

    /// Takes what writes marked since the last pass: the cells (regions cut to `cellWidth`) and persons they name, each
    /// once, or nil when a recount of everything is asked for ('*') or cheaper (more than `mostPersons`). Cut in the
    /// database: a child's first sync leaves hundreds of thousands of marks, most naming the same few cells.
    private func consumeMarks(cellWidth: Int, on connection: PostgresConnection) async throws -> (cells: Set<String>, persons: Set<String>)? {
        let rows = try await connection.query(
            """
            WITH gone AS (DELETE FROM coverage_dirty RETURNING region_code, person),
            cells AS (SELECT DISTINCT left(region_code, \(cellWidth)::int) AS cell FROM gone WHERE region_code IS NOT NULL),
            persons AS (SELECT DISTINCT person FROM gone WHERE person IS NOT NULL),
            within AS (SELECT count(*) <= \(Self.mostPersons) AS bound FROM persons)
            SELECT cell, NULL FROM cells
            UNION ALL SELECT NULL, person FROM persons WHERE (SELECT bound FROM within)
            UNION ALL SELECT '*', NULL WHERE NOT (SELECT bound FROM within)
            """,
            logger: logger
        )
        var (cells, persons) = (Set<String>(), Set<String>())
        for try await (cell, person) in rows.decode((String?, String?).self) {
            if let cell { cells.insert(cell) }
            if let person { persons.insert(person) }
        }
        return cells.contains("*") ? nil : (cells, persons)
    }

    /// The regions whose figures the days from `counted` to `day` change with no write: mandates whose assignment
    /// begins or ends in between, and cases whose deadline passes.
    private func regionsCrossed(
        from counted: (today: CalendarDate, chinaToday: CalendarDate),
        to day: Day,
        on connection: PostgresConnection
    ) async throws -> Set<String> {
        var regions = Set<String>()
        if counted.today < day.today {
            // Current on D: since <= D <= until, as ISO text. Between D0 and D1 that changes for since in (D0, D1]
            // and for until in [D0, D1).
            let (from, to) = (counted.today.description, day.today.description)
            let rows = try await connection.query(
                """
                SELECT DISTINCT d.region_code FROM assignments a JOIN deputies d ON d.id = a.deputy_id
                WHERE NOT a.deleted AND ((a.body->>'since' > \(from) AND a.body->>'since' <= \(to))
                    OR (a.body->>'until' >= \(from) AND a.body->>'until' < \(to)))
                """,
                logger: logger
            )
            for try await (region, ) in rows.decode(String.self) { regions.insert(region) }
        }
        if counted.chinaToday < day.chinaToday {
            // Overdue on D: due_on < D.
            let rows = try await connection.query(
                """
                SELECT DISTINCT region_code FROM case_status
                WHERE due_on >= \(counted.chinaToday.description)::date AND due_on < \(day.chinaToday.description)::date
                """,
                logger: logger
            )
            for try await (region, ) in rows.decode(String.self) { regions.insert(region) }
        }
        return regions
    }

    private func recountEverything(cellWidth: Int, day: Day, generation: Int64, on connection: PostgresConnection) async throws -> Maintenance {
        try await connection.query("DELETE FROM coverage_dirty", logger: logger)
        let cells = try await countCells(width: cellWidth, only: nil, day: day, on: connection)
        let persons = try await countPersons(width: cellWidth, only: nil, on: connection)
        try await connection.query("DELETE FROM coverage_cells", logger: logger)
        try await connection.query("DELETE FROM coverage_persons", logger: logger)
        try await writeCells(cells, revision: 1, on: connection)
        try await writePersons(persons, revision: 1, on: connection)
        try await connection.query(
            """
            UPDATE coverage_state SET generation = \(generation), revision = 1, cell_width = \(cellWidth),
                today = \(day.today.description)::date, china_today = \(day.chinaToday.description)::date
            """,
            logger: logger
        )
        return Maintenance(recountedAll: true, cellsRecounted: cells.count, cellsChanged: cells.count, personsRecounted: persons.count)
    }

    /// The cells and persons written after `position` (all of them for nil or another generation), in one snapshot.
    public func changes(since position: Position?) async throws -> Changes {
        try await client.transaction(logger: logger) { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            return try await changes(since: position, on: connection)
        }
    }

    private func changes(since position: Position?, on connection: PostgresConnection) async throws -> Changes {
        var current = Position(generation: 0, revision: 0)
        for try await (generation, revision) in try await connection.query("SELECT generation, revision FROM coverage_state", logger: logger)
            .decode((Int64, Int64).self)
        {
            current = Position(generation: generation, revision: revision)
        }
        let complete = position?.generation != current.generation
        let after = complete ? 0 : position?.revision ?? 0
        var changes = Changes(position: current, complete: complete, cells: [:], persons: [:])
        guard complete || after < current.revision else { return changes }
        let cells = try await connection.query("SELECT cell, counts::text FROM coverage_cells WHERE revision > \(after)", logger: logger)
        let decoder = JSONDecoder()
        for try await (cell, counts) in cells.decode((String, String).self) {
            changes.cells[cell] = try decoder.decode(CoverageCounts.self, from: Data(counts.utf8))
        }
        let persons = try await connection.query(
            "SELECT person, cells, trained FROM coverage_persons WHERE revision > \(after)",
            logger: logger
        )
        for try await (person, cells, trained) in persons.decode((String, [String], Bool).self) {
            changes.persons[person] = CoveragePerson(cells: cells, trained: trained)
        }
        return changes
    }

    /// Counts per cell `width` wide, of the cells listed or of all. Each count is the recount's (`CoverageStore`) per
    /// cell instead of per prefix; a mandate's person, training and activities are looked up one mandate at a time,
    /// by index, so that a few cells cost a few lookups.
    func countCells(width: Int, only cells: [String]?, day: Day, on connection: PostgresConnection) async throws -> [String: CoverageCounts] {
        // The records of `table` in the cells listed (all of them when nil), as `alias`: a cell as wide
        // as `width` holds every code it begins (up to the code after its last digit, ':'), a shorter one (a county's
        // own records at a province node) only its own code (up to a space, below every digit). Each cell is read by
        // its own index range: OFFSET 0 keeps the planner from joining the cells to a scan of the whole table, as it
        // does when it cannot estimate a range whose bounds come from another row.
        func records(_ table: String, _ alias: String) -> String {
            guard cells != nil else { return "\(table) \(alias)" }
            return """
                unnest($2::text[]) AS c (cell) CROSS JOIN LATERAL (
                    SELECT * FROM \(table) WHERE region_code >= c.cell
                        AND region_code < c.cell || CASE WHEN length(c.cell) = $1 THEN ':' ELSE ' ' END
                    OFFSET 0
                ) AS \(alias)
                """
        }
        // Everything is counted by joins, a few cells by index lookups per record.
        let everything = cells == nil
        let (yearStart, yearEnd) = ("\(day.chinaToday.year)-01-01", "\(day.chinaToday.year)-12-31")
        let assignedOn = day.today.description
        func run(_ sql: String) async throws -> PostgresRowSequence {
            var binds = PostgresBindings()
            binds.append(Int32(width))
            binds.append(cells ?? [])
            binds.append(assignedOn)
            binds.append(yearStart)
            binds.append(yearEnd)
            return try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        }
        // Every statement names all five parameters, so that their types are known whichever scope it has.
        let parameters = "($1::int, $2::text[], $3::text, $4::text, $5::text) IS NOT NULL"
        var counts: [String: CoverageCounts] = [:]
        try await CoverageStore.readStations(
            try await run(
                """
                SELECT left(s.region_code, $1), s.type, count(*), count(*) FILTER (WHERE s.status = 'active'),
                       count(*) FILTER (WHERE s.status = 'active' AND s.body->'standards' @> '\(CoverageStore.allStandards)'::jsonb)
                FROM \(records("stations", "s"))
                WHERE NOT s.deleted AND \(parameters)
                GROUP BY 1, 2
                """
            ),
            into: &counts
        )
        try await CoverageStore.readUnits(
            try await run(
                """
                \(everything ? "WITH covered AS (\(Self.coveredUnits))" : "")
                SELECT left(u.region_code, $1), count(*), count(*) FILTER (WHERE \(everything
                    ? "u.region_code IN (SELECT code FROM covered)"
                    : "EXISTS (SELECT FROM stations s WHERE s.body->'coveredUnits' ? u.region_code AND NOT s.deleted AND s.status = 'active')"))
                FROM \(records("units", "u"))
                WHERE NOT u.deleted AND \(parameters)
                GROUP BY 1
                """
            ),
            into: &counts
        )
        try await CoverageStore.readDeputies(
            try await run(
                """
                WITH current AS (
                    SELECT d.id, left(d.region_code, $1) AS cell, d.level, d.person_key, coalesce(d.person_key, d.id::text) AS person
                    FROM \(records("deputies", "d"))
                    WHERE NOT d.deleted AND d.status = 'in_office' AND \(parameters)
                ),
                \(everything ? Self.flaggedByJoins : Self.flaggedByLookups)
                SELECT cell, \(CoverageStore.seatColumns("flagged")), count(*) FILTER (WHERE assigned), count(DISTINCT person),
                       count(DISTINCT person) FILTER (WHERE trained), count(*) FILTER (WHERE active)
                FROM flagged
                GROUP BY 1
                """
            ),
            into: &counts
        )
        try await CoverageStore.readActivities(
            try await run(
                """
                SELECT left(a.region_code, $1), a.kind, count(*), coalesce(sum((a.body->>'constituentsMet')::bigint), 0)::bigint
                FROM \(records("activities", "a"))
                WHERE NOT a.deleted AND a.confirmed AND a.on_date BETWEEN $4 AND $5 AND \(parameters)
                GROUP BY 1, 2
                """
            ),
            into: &counts
        )
        try await CoverageStore.readGroups(
            try await run(
                """
                SELECT left(g.region_code, $1), count(*), coalesce(sum(met.times), 0)::bigint,
                       count(*) FILTER (WHERE met.times >= \(DeputyGroup.activitiesExpectedPerYear))
                FROM \(records("groups", "g"))
                CROSS JOIN LATERAL (
                    SELECT count(*) AS times FROM activities a
                    WHERE a.group_id = g.id AND NOT a.deleted AND a.confirmed AND a.on_date BETWEEN $4 AND $5
                ) AS met
                WHERE NOT g.deleted AND \(parameters)
                GROUP BY 1
                """
            ),
            into: &counts
        )
        try await CoverageStore.readCases(
            try await run(
                """
                SELECT left(cs.region_code, $1), cs.kind, cs.state, \(CoverageStore.caseColumns(today: day.chinaToday))
                FROM \(records("case_status", "cs"))
                WHERE cs.registered_on BETWEEN $4::date AND $5::date AND \(parameters)
                GROUP BY 1, 2, 3
                """
            ),
            into: &counts
        )
        return counts
    }

    /// Whether the person of the in-office mandate `alias` attended a live training through one of their in-office
    /// mandates (a mandate without a person key is a person of its own), by index: their mandates, then sign-ins.
    private static func trainedPerson(_ alias: String) -> String {
        """
        CASE WHEN \(alias).person_key IS NULL THEN EXISTS (
            SELECT FROM attendance t JOIN trainings tr ON tr.id = t.training_id AND NOT tr.deleted
            WHERE t.deputy_id = \(alias).id AND NOT t.deleted
        ) ELSE EXISTS (
            SELECT FROM deputies m JOIN attendance t ON t.deputy_id = m.id AND NOT t.deleted
            JOIN trainings tr ON tr.id = t.training_id AND NOT tr.deleted
            WHERE m.person_key = \(alias).person_key AND NOT m.deleted AND m.status = 'in_office'
        ) END
        """
    }

    /// The persons who attended a live training through an in-office mandate (a join, for a full count); `mandates`
    /// narrows the mandates (`m`) looked at.
    private static func trainedPersons(_ mandates: String = "true") -> String {
        """
        SELECT DISTINCT coalesce(m.person_key, m.id::text) AS person FROM attendance t
        JOIN deputies m ON m.id = t.deputy_id AND NOT m.deleted AND m.status = 'in_office' AND \(mandates)
        JOIN trainings tr ON tr.id = t.training_id AND NOT tr.deleted
        WHERE NOT t.deleted
        """
    }

    /// Villages named by an active station (as the recount finds them).
    private static let coveredUnits = """
        SELECT DISTINCT code FROM stations CROSS JOIN jsonb_array_elements_text(body->'coveredUnits') AS code
        WHERE NOT deleted AND status = 'active'
        """

    /// Each in-office mandate of `current` with whether it is assigned, its person trained and it took part in an
    /// activity of the year: for a full count by joins, as the recount does.
    private static let flaggedByJoins = """
        assigned AS (
            SELECT DISTINCT a.deputy_id FROM assignments a
            JOIN stations s ON s.id = a.station_id AND NOT s.deleted AND s.status <> 'closed'
            WHERE NOT a.deleted AND coalesce(a.body->>'since', '') <= $3 AND coalesce(a.body->>'until', '9999') >= $3
        ),
        trained AS (\(trainedPersons())),
        active AS (
            SELECT DISTINCT participant::uuid AS deputy_id
            FROM activities CROSS JOIN jsonb_array_elements_text(body->'participants') AS participant
            WHERE NOT deleted AND confirmed AND on_date BETWEEN $4 AND $5
        ),
        flagged AS (
            SELECT current.*, assigned.deputy_id IS NOT NULL AS assigned, trained.person IS NOT NULL AS trained,
                   active.deputy_id IS NOT NULL AS active
            FROM current LEFT JOIN assigned ON assigned.deputy_id = current.id LEFT JOIN trained ON trained.person = current.person
                LEFT JOIN active ON active.deputy_id = current.id
        )
        """

    /// The same for a few cells, by index lookups per mandate.
    private static let flaggedByLookups = """
        flagged AS (
            SELECT current.*,
                EXISTS (
                    SELECT FROM assignments a JOIN stations s ON s.id = a.station_id AND NOT s.deleted AND s.status <> 'closed'
                    WHERE a.deputy_id = current.id AND NOT a.deleted
                        AND coalesce(a.body->>'since', '') <= $3 AND coalesce(a.body->>'until', '9999') >= $3
                ) AS assigned,
                \(trainedPerson("current")) AS trained,
                EXISTS (
                    SELECT FROM activities a
                    WHERE a.body->'participants' ?| array[current.id::text, upper(current.id::text)]
                        AND NOT a.deleted AND a.confirmed AND a.on_date BETWEEN $4 AND $5
                ) AS active
            FROM current
        )
        """

    /// The persons (of those listed, or all) with in-office mandates in two cells or more: one grouping pass over the
    /// mandates, their trainings joined to the persons found (a lookup per mandate is quadratic in the sign-ins).
    func countPersons(width: Int, only persons: [String]?, on connection: PostgresConnection) async throws -> [String: CoveragePerson] {
        func scope(_ alias: String) -> String {
            persons == nil ? "\(alias).person_key IS NOT NULL" : "\(alias).person_key = ANY($2::text[])"
        }
        var binds = PostgresBindings()
        binds.append(Int32(width))
        binds.append(persons ?? [])
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    WITH several AS (
                        SELECT d.person_key AS person, array_agg(DISTINCT left(d.region_code, $1)) AS cells
                        FROM deputies d
                        WHERE \(scope("d")) AND NOT d.deleted AND d.status = 'in_office' AND $2::text[] IS NOT NULL
                        GROUP BY 1
                        HAVING count(DISTINCT left(d.region_code, $1)) > 1
                    ),
                    trained AS (\(Self.trainedPersons(scope("m"))))
                    SELECT several.person, several.cells, trained.person IS NOT NULL
                    FROM several LEFT JOIN trained ON trained.person = several.person
                    """,
                binds: binds
            ),
            logger: logger
        )
        var result: [String: CoveragePerson] = [:]
        for try await (person, cells, trained) in rows.decode((String, [String], Bool).self) {
            result[person] = CoveragePerson(cells: cells.sorted(), trained: trained)
        }
        return result
    }

    private func storedCells(_ cells: [String], on connection: PostgresConnection) async throws -> [String: CoverageCounts] {
        let rows = try await connection.query("SELECT cell, counts::text FROM coverage_cells WHERE cell = ANY(\(cells))", logger: logger)
        var stored: [String: CoverageCounts] = [:]
        let decoder = JSONDecoder()
        for try await (cell, counts) in rows.decode((String, String).self) {
            stored[cell] = try decoder.decode(CoverageCounts.self, from: Data(counts.utf8))
        }
        return stored
    }

    /// Written a page at a time: a national node has some 45,000 cells.
    private func writeCells(_ cells: [String: CoverageCounts], revision: Int64, on connection: PostgresConnection) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let entries = try cells.map { ($0.key, String(decoding: try encoder.encode($0.value), as: UTF8.self)) }
        for page in stride(from: 0, to: entries.count, by: 5_000) {
            let slice = entries[page..<min(page + 5_000, entries.count)]
            try await connection.query(
                """
                INSERT INTO coverage_cells (cell, counts, revision)
                SELECT cell, counts::jsonb, \(revision) FROM unnest(\(slice.map(\.0))::text[], \(slice.map(\.1))::text[]) AS c (cell, counts)
                ON CONFLICT (cell) DO UPDATE SET counts = excluded.counts, revision = excluded.revision
                """,
                logger: logger
            )
        }
    }

    private func writePersons(_ persons: [String: CoveragePerson], revision: Int64, on connection: PostgresConnection) async throws {
        let entries = Array(persons)
        for page in stride(from: 0, to: entries.count, by: 5_000) {
            let slice = entries[page..<min(page + 5_000, entries.count)]
            // An array of arrays must be rectangular in PostgreSQL: cells go as one joined text each.
            try await connection.query(
                """
                INSERT INTO coverage_persons (person, cells, trained, revision)
                SELECT person, string_to_array(cells, ' '), trained, \(revision)
                FROM unnest(\(slice.map(\.key))::text[], \(slice.map { $0.value.cells.joined(separator: " ") })::text[],
                            \(slice.map(\.value.trained))::bool[]) AS p (person, cells, trained)
                ON CONFLICT (person) DO UPDATE SET cells = excluded.cells, trained = excluded.trained, revision = excluded.revision
                """,
                logger: logger
            )
        }
    }
}

extension CoverageFigureStore {
    /// The maintained figures and a full recount (`CoverageStore.recount`) per prefix of `widths`, from one snapshot of
    /// the database, the marks pending taken first: `congress coverage verify` and the tests compare them.
    public func verify(widths: [Int], day: Day) async throws -> (maintained: [String: CoverageCounts], recounted: [String: CoverageCounts]) {
        var maintained = MaintainedCoverage(widths: widths)
        let cellWidth = maintained.cellWidth
        let recounted = try await retryingConflicts {
            try await client.transaction(logger: logger) { connection in
                try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: logger)
                _ = try await maintain(cellWidth: cellWidth, day: day, on: connection)
                let changes = try await changes(since: nil, on: connection)
                let recounted = try await CoverageStore(client: source, logger: logger)
                    .recount(widths: widths, today: day.today, chinaToday: day.chinaToday, on: connection)
                return (changes, recounted)
            }
        }
        for (cell, counts) in recounted.0.cells { maintained.setCell(cell, counts) }
        for (person, entry) in recounted.0.persons { maintained.setPerson(person, entry) }
        return (maintained.countsByPrefix, recounted.1)
    }
}
