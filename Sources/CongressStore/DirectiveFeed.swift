import CongressCore
import Logging
import PostgresNIO

/// Directives, replication's downward half: the trainings a parent offers each child, and those a child receives from
/// its parent and keeps read-only (passing them on to its own children through its change log).
public struct DirectiveFeed: Sendable {
    /// The node's pool, which replaces its client after an outage, or a client of the caller's.
    let source: any PostgresClientSource
    var client: PostgresClient { source.client }
    public let node: RegionCode
    let logger: Logger
    /// The status of the cases directives touch (a handler's reply coming down) is recomputed in their transaction.
    let caseStatus: CaseStatusStore

    public init(client: some PostgresClientSource, node: RegionCode, logger: Logger, caseDeadlines: CaseDeadlines = .standard) {
        source = client
        self.node = node
        self.logger = logger
        caseStatus = CaseStatusStore(deadlines: caseDeadlines, logger: logger)
    }

    /// The page of directives for `child` after this node's seq `since`: trainings from this node or above whose venues or
    /// audience touch the child's subtree, each in its current state, as `{"since", "toSeq", "count", "changes"}`; and,
    /// to a child whose release has activities, the assignments made above it to stations of its subtree with the
    /// mandates they name, without their phones (SPEC §12: the station's node records those deputies' activities).
    /// Only its ancestors' mandates come down: one of a sibling subtree (a mandate handed over by a division change while
    /// its assignment stayed) is not the child's to see.
    /// `toSeq` moves past entries that do not concern the child, so its next page starts after them, and past those
    /// of kinds the child's release does not read (`kinds`): a child that upgrades pulls its directives again.
    ///
    /// Records handed over to a node of the child's subtree (SPEC §15) come down too, marked `handedOverBy`, when the
    /// child's release reads them (`handovers`); an older child's page leaves them out, and they wait here, counted
    /// once, until it is upgraded and pulls again.
    public func directives(
        for child: RegionCode,
        after since: Int64,
        limit: Int,
        kinds: Set<RecordKind>,
        handovers: Bool
    ) async throws -> String {
        let sql = """
            WITH scanned AS (
                SELECT seq, kind, record_id, handed_over_by FROM change_log
                WHERE (kind IN (\(Self.directiveKinds)) OR handed_over_by IS NOT NULL) AND seq > $1 ORDER BY seq LIMIT $2
            ),
            -- A mandate comes down only with an assignment (read from deputies below) or handed over: the current state
            -- of the window's other mandates, mostly the child's own pushed up, is not built.
            w AS (SELECT * FROM scanned WHERE kind <> '\(RecordKind.deputy.rawValue)' OR handed_over_by IS NOT NULL),
            handed AS (SELECT record_id, max(handed_over_by) AS by FROM w WHERE handed_over_by IS NOT NULL GROUP BY record_id),
            \(ChangeLogReader.currentStateSQL),
            stationed AS (
                SELECT change, body FROM changes
                WHERE $6 AND left($3, length(origin)) = origin AND origin <> $3 AND kind = '\(RecordKind.assignment.rawValue)'
                    AND region_code LIKE $3 || '%'
            ),
            concerning AS (
                -- Joined by hash: a lookup in the window per change made a page of 5,000 cost 25M comparisons.
                SELECT (change::jsonb || jsonb_build_object('handedOverBy', handed.by))::json AS change
                FROM changes JOIN handed ON handed.record_id = id
                WHERE $5 AND origin LIKE $3 || '%' AND kind = ANY($4)
                UNION ALL
                SELECT change FROM changes
                WHERE origin NOT LIKE $3 || '%' AND kind = '\(RecordKind.training.rawValue)' AND kind = ANY($4) AND (
                    coalesce(body #>> '{audience,regionPrefix}', '') LIKE $3 || '%'
                    OR left($3, length(coalesce(body #>> '{audience,regionPrefix}', ''))) = coalesce(body #>> '{audience,regionPrefix}', '')
                    OR EXISTS (SELECT FROM jsonb_array_elements(body -> 'venues') v WHERE v ->> 'regionCode' LIKE $3 || '%')
                )
                UNION ALL
                SELECT change FROM stationed
                UNION ALL
                SELECT change FROM changes
                WHERE $6 AND left($3, length(origin)) = origin AND origin <> $3 AND kind = '\(RecordKind.caseEvent.rawValue)'
                    AND region_code LIKE $3 || '%'
                UNION ALL
                -- The candidates first, by primary key: the origin test alone made every page scan all mandates held here.
                SELECT \(Self.mandateWithoutPhone) FROM deputies r
                WHERE r.id IN (
                    SELECT (body ->> 'deputyId')::uuid FROM stationed
                    UNION ALL SELECT record_id FROM scanned WHERE kind = '\(RecordKind.deputy.rawValue)'
                )
                AND $6 AND left($3, length(r.origin)) = r.origin AND r.origin <> $3 AND (
                    r.id IN (SELECT (body ->> 'deputyId')::uuid FROM stationed)
                    OR EXISTS (SELECT FROM assignments a WHERE a.deputy_id = r.id AND NOT a.deleted AND a.region_code LIKE $3 || '%')
                )
            )
            -- Counted and gathered in one pass: read twice, the page's JSON would be copied aside first.
            SELECT json_build_object('since', $1, 'toSeq', coalesce((SELECT max(seq) FROM scanned), $1), 'count', count(*),
                'changes', coalesce(json_agg(change), '[]'))::text
            FROM concerning
            """
        var bindings = PostgresBindings()
        bindings.append(since)
        bindings.append(Int64(limit))
        bindings.append(child.rawValue)
        bindings.append(kinds.map(\.rawValue).sorted())
        bindings.append(handovers)
        bindings.append(kinds.contains(.activity))
        return try await DatabaseError.translating("reading the directives for \(child) after seq \(since)") {
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
            for try await page in rows.decode(String.self) { return page }
            return #"{"since":\#(since),"toSeq":\#(since),"count":0,"changes":[]}"#
        }
    }

    /// The kinds whose change-log entries the feed reads (besides handovers): trainings, the assignments and mandates
    /// that come down to a station's node, and the events nodes above write on cases of the child's subtree (a handler's
    /// reply comes back down to the case's origin, SPEC §13).
    static let directiveKinds = [RecordKind.training, .assignment, .deputy, .caseEvent].map { "'\($0.rawValue)'" }.joined(separator: ", ")

    /// A mandate `r` as it comes down to the node holding its station: its current state without the phone.
    static let mandateWithoutPhone = """
        CASE WHEN r.epoch = 0 AND r.former_region_codes = '[]' THEN
            json_build_object('kind', '\(RecordKind.deputy.rawValue)', 'id', r.id, 'origin', r.origin, 'regionCode', r.region_code,
                'version', r.version, 'updatedAt', r.updated_at, 'deleted', r.deleted, 'body', r.body - 'phone')
        ELSE json_build_object('kind', '\(RecordKind.deputy.rawValue)', 'id', r.id, 'origin', r.origin, 'regionCode', r.region_code,
                'version', r.version, 'updatedAt', r.updated_at, 'deleted', r.deleted, 'body', r.body - 'phone',
                'epoch', r.epoch, 'formerRegionCodes', r.former_region_codes) END
        """

    /// Stores a page of directives from the parent, read-only here (and passed on to this node's children through its
    /// own change log), and moves the directives cursor to `toSeq`, in one transaction, noting the replication schema
    /// version they were read with. Returns how many applied.
    public func applyDirectives(_ changes: ChangeRows, toSeq: Int64, parent: RegionCode, schemaVersion: Int) async throws -> Int {
        do {
            return try await client.transaction(logger: logger) { connection in
                let staged = try await StagedChanges.stage(changes, on: connection, logger: logger)
                let count = try await StagedChanges.apply(staged, scope: .directivesFor(node), on: connection, logger: logger)
                try await caseStatus.refreshStaged(on: connection)
                try await connection.query(
                    """
                    UPDATE sync_upstream SET directives_seq = \(toSeq), directives_schema_version = \(schemaVersion)
                    WHERE parent = \(parent.rawValue)
                    """,
                    logger: logger
                )
                return count
            }
        } catch {
            throw StoreError(databaseError: error) ?? DatabaseError.translated(error, while: "storing directives from \(parent) up to seq \(toSeq)")
        }
    }
}
