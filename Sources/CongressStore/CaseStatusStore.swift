import CongressCore
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where each live case stands (SPEC §13 figures), kept in `case_status` so that coverage and the overdue-first list
/// are SQL. The status is `CaseWorkflow`'s, derived from the case's live events and recomputed inside the transaction
/// of every write that can change it: a case or event written here (`RecordStore`), applied from a child's batch or the
/// parent's directives (`refreshStaged`), re-coded or handed over by a division change. An event that arrives before
/// its case leaves no row; the case's arrival recomputes it with its events. Overdue is no column: it changes with the
/// date, so readers compare `due_on` with today in China.
public struct CaseStatusStore: Sendable {
    /// The node's deadlines (`opinionReplyDays`): each row notes the reply days it was computed with.
    public let deadlines: CaseDeadlines
    let logger: Logger

    public init(deadlines: CaseDeadlines, logger: Logger) {
        self.deadlines = deadlines
        self.logger = logger
    }

    /// Recomputes the cases `records` are or belong to (a case itself, an event's case); other kinds change no status.
    func refresh<Body: RecordBody>(written records: [Record<Body>], on connection: PostgresConnection) async throws {
        switch Body.kind {
        case .caseRecord: try await refresh(records.map(\.meta.id), on: connection)
        case .caseEvent: try await refresh(records.compactMap { ($0.body as? CaseEvent)?.caseId }, on: connection)
        default: return
        }
    }

    /// Recomputes the cases the staged changes of a peer (`StagedChanges`) name, once they are applied.
    func refreshStaged(on connection: PostgresConnection) async throws {
        let rows = try await connection.query(
            """
            SELECT DISTINCT CASE kind WHEN \(RecordKind.caseRecord.rawValue) THEN id ELSE (body->>'caseId')::uuid END
            FROM incoming_changes WHERE kind IN (\(RecordKind.caseRecord.rawValue), \(RecordKind.caseEvent.rawValue))
            """,
            logger: logger
        )
        var ids: [UUID] = []
        for try await id in rows.decode(UUID?.self) { if let id { ids.append(id) } }
        try await refresh(ids, on: connection)
    }

    /// Recomputes the rows of `caseIds` from what the transaction sees: a live case gets its status, a case gone (or not
    /// yet here) none. Each case is recounted by one transaction at a time, so that two writes of one case's events at
    /// once (a batch from below, directives from above) cannot each miss the other's event: the second waits for the
    /// first to commit and then reads both.
    func refresh(_ caseIds: [UUID], on connection: PostgresConnection) async throws {
        let ids = Array(Set(caseIds))
        guard !ids.isEmpty else { return }
        try await connection.query(
            """
            SELECT count(*) FROM (
                SELECT pg_advisory_xact_lock(4242019, key) FROM (SELECT DISTINCT hashtext(id::text) AS key FROM unnest(\(ids)::uuid[]) AS id ORDER BY key) AS keys
            ) AS locked
            """,
            logger: logger
        )
        let cases = try await RecordStore.records(
            Case.self,
            from: try await connection.query(
                "SELECT \(unescaped: RecordStore.columns) FROM cases WHERE id = ANY(\(ids)) AND NOT deleted",
                logger: logger
            )
        )
        let events = Dictionary(
            grouping: try await RecordStore.records(
                CaseEvent.self,
                from: try await connection.query(
                    "SELECT \(unescaped: RecordStore.columns) FROM case_events WHERE case_id = ANY(\(ids)) AND NOT deleted",
                    logger: logger
                )
            )
        ) { $0.body.caseId }
        let today = Activity.today()
        let rows = cases.map { record in
            let steps = (events[record.meta.id] ?? []).map { $0.body.step(id: $0.meta.id, node: $0.meta.origin) }
            let status = record.body.workflow(origin: record.meta.origin, deadlines: deadlines).status(after: steps, today: today)
            let registered = StatusRow.Registration(
                caseId: record.meta.id,
                origin: record.meta.origin,
                regionCode: record.meta.regionCode,
                kind: record.body.kind,
                registeredOn: record.body.registeredOn ?? today,
                opinionReplyDays: deadlines.opinionReplyDays
            )
            return StatusRow(registered: registered, status: status)
        }
        try await connection.query("DELETE FROM case_status WHERE case_id = ANY(\(ids))", logger: logger)
        guard !rows.isEmpty else { return }
        let json = try StatusRow.json(rows)
        try await connection.query(
            """
            INSERT INTO case_status (case_id, origin, region_code, kind, registered_on, state, closed_as, grade, supervised, consulted_on,
                satisfaction, handler, transferred_to, due_on, replied_on, closed_on, opinion_reply_days)
            SELECT * FROM jsonb_to_recordset(\(json)::jsonb) AS r(case_id uuid, origin text, region_code text, kind text,
                registered_on date, state text, closed_as text, grade text, supervised boolean, consulted_on date, satisfaction text,
                handler text, transferred_to text, due_on date, replied_on date, closed_on date, opinion_reply_days integer)
            """,
            logger: logger
        )
    }
}

/// One row of `case_status`, as `jsonb_to_recordset` reads it: the status's fields and the case's, in snake case (what
/// the table has no column for, it leaves out).
private struct StatusRow: Encodable {
    /// What the row says of the case itself.
    struct Registration: Encodable {
        var caseId: UUID
        var origin: RegionCode
        var regionCode: RegionCode
        var kind: CaseKind
        var registeredOn: CalendarDate
        var opinionReplyDays: Int
    }

    var registered: Registration
    var status: CaseStatus

    /// One object: the status's fields and the case's.
    func encode(to encoder: any Encoder) throws {
        try status.encode(to: encoder)
        try registered.encode(to: encoder)
    }

    /// The rows as the JSON text `refresh` inserts.
    static func json(_ rows: [StatusRow]) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(rows), as: UTF8.self)
    }
}

extension RecordStore {
    /// Brings `case_status` in line with the stored cases, a page at a time: the rows missing (cases stored before the
    /// table existed), those computed with other reply days (the node's `opinionReplyDays` changed), and those of cases
    /// gone. Run at start, before the node serves; returns how many cases were recomputed.
    public func reconcileCaseStatus() async throws -> Int {
        let days = caseStatus.deadlines.opinionReplyDays
        var total = 0
        while true {
            let count = try await client.transaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    (SELECT c.id FROM cases c LEFT JOIN case_status s ON s.case_id = c.id
                     WHERE NOT c.deleted AND (s.case_id IS NULL OR s.opinion_reply_days <> \(days)) LIMIT 1000)
                    UNION ALL
                    (SELECT s.case_id FROM case_status s WHERE NOT EXISTS (SELECT FROM cases c WHERE c.id = s.case_id AND NOT c.deleted) LIMIT 1000)
                    """,
                    logger: logger
                )
                var ids: [UUID] = []
                for try await id in rows.decode(UUID.self) { ids.append(id) }
                try await caseStatus.refresh(ids, on: connection)
                return ids.count
            }
            guard count > 0 else { return total }
            total += count
        }
    }

    /// Cases overdue first (`order=overdue`): those awaiting a reply past their deadline, the longest overdue first; then
    /// the other open cases by deadline (those without one last); then the closed ones, by deadline too; each rank by id
    /// after the deadline. Keyset-paginated on (rank, deadline, id); the rank is judged on today in China, so a page
    /// continued on another day follows the ranks of that day.
    public func casesOverdueFirst(_ query: ListQuery) async throws -> Page<Case> {
        var binds = PostgresBindings()
        binds.append(Activity.today().description)
        binds.append(CaseState.awaitingReply.map(\.rawValue).sorted())
        var conditions: [String] = []
        if let region = query.region, !region.isNation {
            binds.append(region.rawValue + "%")
            conditions.append("s.region_code LIKE $\(binds.count)")
        }
        for (filter, value) in query.filters {
            binds.append(value)
            conditions.append("c.\(filter.column) = $\(binds.count)::\(filter.columnType)")
        }
        binds.append(query.limit + 1)
        let limit = "$\(binds.count)"
        var after: (rank: Int, keyset: String)?
        if case .due(let rank, let dueOn)? = query.cursor?.position, let id = query.cursor?.id {
            binds.append(dueOn?.description ?? "infinity")
            binds.append(id)
            after = (rank, "(s.due_sort, s.case_id) > ($\(binds.count - 1)::date, $\(binds.count))")
        }
        let overdue = "s.state = ANY($2) AND s.due_sort < $1::date"
        let ranks = [overdue, "s.state <> 'closed' AND NOT (\(overdue))", "s.state = 'closed'"]
        let parts = ranks.enumerated().compactMap { rank, condition -> String? in
            var clauses = conditions + [condition]
            if let after {
                if rank < after.rank { return nil }
                if rank == after.rank { clauses.append(after.keyset) }
            }
            return """
                (SELECT \(rank) AS rank, s.due_sort, s.case_id FROM case_status s JOIN cases c ON c.id = s.case_id
                 WHERE \(clauses.joined(separator: " AND ")) ORDER BY s.due_sort, s.case_id LIMIT \(limit))
                """
        }
        let rows = try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT rank, due_sort::text, case_id FROM (\(parts.joined(separator: " UNION ALL "))) AS page
                    ORDER BY rank, due_sort, case_id LIMIT \(limit)
                    """,
                binds: binds
            ),
            logger: logger
        )
        var positions: [(rank: Int, dueOn: CalendarDate?, id: UUID)] = []
        for try await (rank, due, id) in rows.decode((Int, String, UUID).self) { positions.append((rank, CalendarDate(due), id)) }
        var nextCursor: String?
        if positions.count > query.limit {
            positions.removeLast(positions.count - query.limit)
            nextCursor = positions.last.map { ListCursor(rank: $0.rank, dueOn: $0.dueOn, id: $0.id).text }
        }
        let found = try await existing(Case.self, ids: positions.map(\.id))
        return Page(items: positions.compactMap { found[$0.id] }, nextCursor: nextCursor)
    }

    /// The cases that need someone's attention (the dashboard's list): overdue, or supervised (督办) and not closed,
    /// under `region`, overdue first as `casesOverdueFirst` orders them; at most `limit`, with how many there are.
    public func casesNeedingAttention(under region: RegionCode, limit: Int) async throws -> (items: [Record<Case>], total: Int) {
        let prefix = region.isNation ? "" : region.rawValue
        let (today, awaiting) = (Activity.today().description, CaseState.awaitingReply.map(\.rawValue).sorted())
        let rows = try await client.query(
            """
            SELECT case_id, count(*) OVER ()::bigint FROM case_status
            WHERE region_code LIKE \(prefix + "%") AND state <> 'closed' AND (supervised OR (state = ANY(\(awaiting)) AND due_sort < \(today)::date))
            ORDER BY CASE WHEN state = ANY(\(awaiting)) AND due_sort < \(today)::date THEN 0 ELSE 1 END, due_sort, case_id
            LIMIT \(limit)
            """,
            logger: logger
        )
        var (ids, total): ([UUID], Int) = ([], 0)
        for try await (id, count) in rows.decode((UUID, Int).self) {
            ids.append(id)
            total = count
        }
        let found = try await existing(Case.self, ids: ids)
        return (ids.compactMap { found[$0] }, total)
    }
}
