import CongressCore
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The counts coverage is made of, grouped by region prefix in PostgreSQL (SPEC §8, duty performance §12).
public struct CoverageStore: Sendable {
    /// The node's pool, which replaces its client after an outage, or a client of the caller's.
    let source: any PostgresClientSource
    var client: PostgresClient { source.client }
    let logger: Logger

    public init(client: some PostgresClientSource, logger: Logger) {
        source = client
        self.logger = logger
    }

    /// The figures maintained as changes arrive, on the same database.
    public var figures: CoverageFigureStore { CoverageFigureStore(client: source, logger: logger) }

    /// What the counts depend on: the change log's last seq and the last delivery or edge report from below.
    /// Cheap to read; a different value means a snapshot built before it is out of date.
    public struct Version: Sendable, Equatable {
        public var lastSeq: Int64
        public var lastDelivery: Date?
        public var lastReport: Date?
        /// A write marked figures to recount (`CoverageFigureStore`) that no maintenance has taken yet.
        public var marked = false
    }

    public func version() async throws -> Version {
        let rows = try await client.query(
            """
            SELECT (SELECT last_seq FROM change_counter), (SELECT max(last_batch_at) FROM sync_checkpoints),
                   (SELECT max(reported_at) FROM sync_edges), EXISTS (SELECT FROM coverage_dirty)
            """,
            logger: logger
        )
        for try await (seq, delivery, report, marked) in rows.decode((Int64, Date?, Date?, Bool).self) {
            return Version(lastSeq: seq, lastDelivery: delivery, lastReport: report, marked: marked)
        }
        return Version(lastSeq: 0)
    }

    /// The full recount, the oracle of the maintained figures (`CoverageFigureStore.verify`): counts of live records per
    /// region prefix of the given widths ("" for width 0: everything), as of `today` (assignments are current between
    /// their `since` and `until`), with the activities and cases of the year of `chinaToday` (cases overdue as of that
    /// day), read on a connection of the caller's, in its transaction's snapshot.
    func recount(
        widths: [Int],
        today: CalendarDate,
        chinaToday: CalendarDate,
        on connection: PostgresConnection
    ) async throws -> [String: CoverageCounts] {
        // `on` is an ISO date kept as text: the year's days order between these two.
        let (yearStart, yearEnd) = ("\(chinaToday.year)-01-01", "\(chinaToday.year)-12-31")
        var counts: [String: CoverageCounts] = [:]
        let stations = try await connection.query(
            """
            SELECT left(region_code, w), type, count(*), count(*) FILTER (WHERE status = 'active'),
                   count(*) FILTER (WHERE status = 'active' AND body->'standards' @> \(Self.allStandards)::jsonb)
            FROM stations CROSS JOIN unnest(\(widths)::int[]) AS w
            WHERE NOT deleted AND length(region_code) >= w
            GROUP BY 1, 2
            """,
            logger: logger
        )
        try await Self.readStations(stations, into: &counts)

        let units = try await connection.query(
            """
            WITH covered AS (
                SELECT DISTINCT code FROM stations CROSS JOIN jsonb_array_elements_text(body->'coveredUnits') AS code
                WHERE NOT deleted AND status = 'active'
            )
            SELECT left(u.region_code, w), count(*), count(covered.code)
            FROM units u LEFT JOIN covered ON covered.code = u.region_code CROSS JOIN unnest(\(widths)::int[]) AS w
            WHERE NOT u.deleted AND length(u.region_code) >= w
            GROUP BY 1
            """,
            logger: logger
        )
        try await Self.readUnits(units, into: &counts)

        let seatColumns = Self.seatColumns("d")
        let today = today.description
        let deputies = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    WITH current AS (
                        SELECT id, region_code, level, coalesce(person_key, id::text) AS person FROM deputies
                        WHERE NOT deleted AND status = 'in_office'
                    ),
                    assigned AS (
                        SELECT DISTINCT a.deputy_id FROM assignments a
                        JOIN stations s ON s.id = a.station_id AND NOT s.deleted AND s.status <> 'closed'
                        WHERE NOT a.deleted AND coalesce(a.body->>'since', '') <= $2 AND coalesce(a.body->>'until', '9999') >= $2
                    ),
                    trained AS (
                        SELECT DISTINCT current.person FROM attendance t
                        JOIN current ON current.id = t.deputy_id
                        JOIN trainings tr ON tr.id = t.training_id AND NOT tr.deleted
                        WHERE NOT t.deleted
                    ),
                    active AS (
                        SELECT DISTINCT participant::uuid AS deputy_id
                        FROM activities CROSS JOIN jsonb_array_elements_text(body->'participants') AS participant
                        WHERE NOT deleted AND confirmed AND on_date BETWEEN $3 AND $4
                    )
                    SELECT left(d.region_code, w), \(seatColumns), count(assigned.deputy_id),
                           count(DISTINCT d.person), count(DISTINCT d.person) FILTER (WHERE trained.person IS NOT NULL),
                           count(active.deputy_id)
                    FROM current d
                    LEFT JOIN assigned ON assigned.deputy_id = d.id
                    LEFT JOIN trained ON trained.person = d.person
                    LEFT JOIN active ON active.deputy_id = d.id
                    CROSS JOIN unnest($1::int[]) AS w
                    WHERE length(d.region_code) >= w
                    GROUP BY 1
                    """,
                binds: {
                    var binds = PostgresBindings()
                    binds.append(widths)
                    binds.append(today)
                    binds.append(yearStart)
                    binds.append(yearEnd)
                    return binds
                }()
            ),
            logger: logger
        )
        try await Self.readDeputies(deputies, into: &counts)

        let activities = try await connection.query(
            """
            SELECT left(region_code, w), kind, count(*), coalesce(sum((body->>'constituentsMet')::bigint), 0)::bigint
            FROM activities CROSS JOIN unnest(\(widths)::int[]) AS w
            WHERE NOT deleted AND confirmed AND on_date BETWEEN \(yearStart) AND \(yearEnd) AND length(region_code) >= w
            GROUP BY 1, 2
            """,
            logger: logger
        )
        try await Self.readActivities(activities, into: &counts)

        // A group's activities count at the group's region (where its rule is judged), whatever their own region.
        let groups = try await connection.query(
            """
            WITH met AS (
                SELECT group_id, count(*) AS times FROM activities
                WHERE NOT deleted AND confirmed AND on_date BETWEEN \(yearStart) AND \(yearEnd) AND group_id IS NOT NULL
                GROUP BY group_id
            )
            SELECT left(g.region_code, w), count(*), coalesce(sum(met.times), 0)::bigint,
                   count(*) FILTER (WHERE met.times >= \(DeputyGroup.activitiesExpectedPerYear))
            FROM groups g LEFT JOIN met ON met.group_id = g.id CROSS JOIN unnest(\(widths)::int[]) AS w
            WHERE NOT g.deleted AND length(g.region_code) >= w
            GROUP BY 1
            """,
            logger: logger
        )
        try await Self.readGroups(groups, into: &counts)
        try await countCases(into: &counts, widths: widths, year: (yearStart, yearEnd), today: chinaToday, on: connection)
        return counts
    }

    /// The cases registered in `year` (SPEC §13 figures) from their status rows (`CaseStatusStore`), overdue as of `today`.
    private func countCases(
        into counts: inout [String: CoverageCounts],
        widths: [Int],
        year: (start: String, end: String),
        today: CalendarDate,
        on connection: PostgresConnection
    ) async throws {
        let rows = try await connection.query(
            """
            SELECT left(region_code, w), kind, state, \(unescaped: Self.caseColumns(today: today))
            FROM case_status CROSS JOIN unnest(\(widths)::int[]) AS w
            WHERE registered_on BETWEEN \(year.start)::date AND \(year.end)::date AND length(region_code) >= w
            GROUP BY 1, 2, 3
            """,
            logger: logger
        )
        try await Self.readCases(rows, into: &counts)
    }

    // The rows of each count, by group (a prefix for the recount, a cell for `CoverageFigureStore`), read into counts.

    /// (group, type, total, active, active meeting all standards)
    static func readStations(_ rows: PostgresRowSequence, into counts: inout [String: CoverageCounts]) async throws {
        for try await (group, type, total, active, met) in rows.decode((String, String, Int, Int, Int).self) {
            guard let type = Station.StationType(rawValue: type) else { continue }
            counts[group, default: CoverageCounts()].stationsByType[type] = total
            counts[group, default: CoverageCounts()].activeStations += active
            counts[group, default: CoverageCounts()].activeStationsMeetingStandards += met
        }
    }

    /// (group, units, covered units)
    static func readUnits(_ rows: PostgresRowSequence, into counts: inout [String: CoverageCounts]) async throws {
        for try await (group, total, covered) in rows.decode((String, Int, Int).self) {
            counts[group, default: CoverageCounts()].units = total
            counts[group, default: CoverageCounts()].coveredUnits = covered
        }
    }

    /// (group, seats per level from national to township, assigned, persons, trained persons, active mandates)
    static func readDeputies(_ rows: PostgresRowSequence, into counts: inout [String: CoverageCounts]) async throws {
        for try await (group, national, province, city, county, township, assigned, persons, trained, active)
            in rows.decode((String, Int, Int, Int, Int, Int, Int, Int, Int, Int).self)
        {
            var entry = counts[group] ?? CoverageCounts()
            for (level, seats) in zip(Level.allCases, [national, province, city, county, township]) where seats > 0 { entry.seats[level] = seats }
            entry.assignedSeats = assigned
            entry.persons = persons
            entry.trainedPersons = trained
            entry.activeSeats = active
            counts[group] = entry
        }
    }

    /// The seat columns of `readDeputies`, counting the in-office mandates of `alias` per level.
    static func seatColumns(_ alias: String) -> String {
        Level.allCases.map { "count(*) FILTER (WHERE \(alias).level = '\($0.rawValue)')" }.joined(separator: ", ")
    }

    /// (group, kind, activities, people received)
    static func readActivities(_ rows: PostgresRowSequence, into counts: inout [String: CoverageCounts]) async throws {
        for try await (group, kind, count, constituents) in rows.decode((String, String, Int, Int).self) {
            // A kind of a later release still counts its people received.
            if let kind = Activity.Kind(rawValue: kind) { counts[group, default: CoverageCounts()].activitiesByKind[kind] = count }
            counts[group, default: CoverageCounts()].constituentsMet += constituents
        }
    }

    /// (group, groups, their activities, those meeting the rule)
    static func readGroups(_ rows: PostgresRowSequence, into counts: inout [String: CoverageCounts]) async throws {
        for try await (group, total, activities, meetingRule) in rows.decode((String, Int, Int, Int).self) {
            counts[group, default: CoverageCounts()].groups = total
            counts[group, default: CoverageCounts()].groupActivities = activities
            counts[group, default: CoverageCounts()].groupsMeetingRule = meetingRule
        }
    }

    /// (group, kind, state, cases, due, overdue, with feedback, satisfied, consulted, transferred up): `caseColumns`.
    static func readCases(_ rows: PostgresRowSequence, into counts: inout [String: CoverageCounts]) async throws {
        for try await (group, kind, state, total, due, overdue, withFeedback, satisfied, consulted, transferred) in rows.decode(
            (String, String, String, Int, Int, Int, Int, Int, Int, Int).self
        ) {
            // A kind or state of a later release is not counted under a name this one does not know.
            guard let kind = CaseKind(rawValue: kind), let state = CaseState(rawValue: state) else { continue }
            var entry = counts[group] ?? CoverageCounts()
            entry.casesByKind[kind, default: 0] += total
            entry.casesByState[state, default: 0] += total
            entry.casesDue += due
            entry.casesOverdue += overdue
            entry.casesWithFeedback += withFeedback
            entry.casesSatisfied += satisfied
            if kind == .suggestion { entry.suggestionsConsulted += consulted }
            if kind == .opinion { entry.casesTransferredUp += transferred }
            counts[group] = entry
        }
    }

    /// The count columns of `readCases` after kind and state, overdue as of `today`.
    static func caseColumns(today: CalendarDate) -> String {
        let awaiting = CaseState.awaitingReply.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")
        let satisfied = [Satisfaction.satisfied, .basicallySatisfied].map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return """
            count(*), count(*) FILTER (WHERE state IN (\(awaiting)) AND due_on IS NOT NULL),
            count(*) FILTER (WHERE state IN (\(awaiting)) AND due_on < '\(today.description)'::date),
            count(*) FILTER (WHERE satisfaction IS NOT NULL), count(*) FILTER (WHERE satisfaction IN (\(satisfied))),
            count(*) FILTER (WHERE consulted_on IS NOT NULL), count(*) FILTER (WHERE transferred_to IS NOT NULL)
            """
    }

    /// A training not yet over, with how many sign-ins this node holds for it.
    public struct TrainingUnderWay: Sendable {
        public var record: Record<Training>
        public var signedIn: Int
    }

    /// Trainings ending today or later, soonest first.
    public func trainingsUnderWay(today: CalendarDate, limit: Int) async throws -> [TrainingUnderWay] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: RecordStore.columns) FROM trainings
            WHERE NOT deleted AND body->>'endsOn' >= \(today.description)
            ORDER BY body->>'startsOn', id LIMIT \(limit)
            """,
            logger: logger
        )
        let trainings = try await RecordStore.records(Training.self, from: rows)
        let counts = try await client.query(
            """
            SELECT training_id, count(*) FROM attendance WHERE NOT deleted AND training_id = ANY(\(trainings.map(\.meta.id)))
            GROUP BY training_id
            """,
            logger: logger
        )
        var signedIn: [UUID: Int] = [:]
        for try await (id, count) in counts.decode((UUID, Int).self) { signedIn[id] = count }
        return trainings.map { TrainingUnderWay(record: $0, signedIn: signedIn[$0.meta.id] ?? 0) }
    }

    static let allStandards = #"{"site":true,"staff":true,"rules":true,"activities":true,"funds":true,"equipment":true}"#
}
