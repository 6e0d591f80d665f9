import CongressCore
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What compacting the change log removed, and how far the log is compacted.
public struct CompactionCounts: Sendable, Codable, Equatable {
    /// Entries removed because a newer entry names the same record, or because their record is no longer held here.
    public var superseded: Int64 = 0
    /// Tombstones dropped past their retention, each with its entry.
    public var tombstones: Int64 = 0
    /// Up to this seq the log holds only each record's newest entry.
    public var compactedThrough: Int64 = 0

    public init(superseded: Int64 = 0, tombstones: Int64 = 0, compactedThrough: Int64 = 0) {
        self.superseded = superseded
        self.tombstones = tombstones
        self.compactedThrough = compactedThrough
    }
}

/// Storage that follows the live records, not their history (issue 20). The push and the directive feed send each record
/// named in a window of the change log in its current state, so a record's newest entry is all they need: the entries a
/// newer one of the same record supersedes are removed, and so are tombstones past `tombstoneRetentionDays` with their
/// entries. Only entries at or below the parent's acknowledged seq are touched (every entry at a root): what the parent
/// has not acknowledged stays as written, and a new parent (the acknowledgement back at 0) is sent each record once.
///
/// A pass reads the log a window at a time from where the last one stopped, each window in a transaction of its own that
/// blocks no writer (they append above it). The newest entry of each record up to there is kept in `change_log_newest`,
/// so that a later entry finds the one it supersedes by key: no index on the log's record ids for every write to pay for.
/// A handover's entry is superseded only by a later handover of the record: the directive feed sends a handed-over record
/// down as one only while such an entry is in the log.
public struct ChangeLogCompactor: Sendable {
    /// The node's pool, which replaces its client after an outage, or a client of the caller's.
    let source: any PostgresClientSource
    var client: PostgresClient { source.client }
    public let node: RegionCode
    let logger: Logger
    /// Days a tombstone stays after it was logged here, acknowledged or not: a child pulling directives less often than
    /// that misses a deletion from above, and a parent restored from an older backup keeps what was deleted since.
    public let tombstoneRetentionDays: Int
    /// Entries read per transaction.
    let windowSize: Int
    /// The status rows of cases whose tombstones are dropped go with them.
    private let caseStatus: CaseStatusStore

    public init(
        client: some PostgresClientSource,
        node: RegionCode,
        logger: Logger,
        tombstoneRetentionDays: Int = NodeConfig.defaultTombstoneRetentionDays,
        windowSize: Int = 10_000
    ) {
        source = client
        self.node = node
        self.logger = logger
        self.tombstoneRetentionDays = tombstoneRetentionDays
        self.windowSize = windowSize
        caseStatus = CaseStatusStore(deadlines: .standard, logger: logger)
    }

    /// Compacts what `parent` has acknowledged (nil: this node is the root, everything); returns what this pass removed.
    public func compact(parent: RegionCode?) async throws -> CompactionCounts {
        try await DatabaseError.translating("compacting the change log") {
            let bound = try await acknowledged(by: parent)
            var pass = CompactionCounts()
            while true {
                try Task.checkCancellation()
                let (read, through, removed) = try await compactWindow(through: bound)
                pass.superseded += removed
                pass.compactedThrough = through
                if read < windowSize { break }
            }
            while true {
                try Task.checkCancellation()
                let (due, dropped) = try await dropTombstones(through: bound)
                pass.tombstones += dropped
                // Tombstones written again since (an import brings a record back) are due but not dropped: stop there.
                if due < windowSize || dropped == 0 { break }
            }
            if pass.superseded + pass.tombstones > 0 {
                logger.info(
                    "change log compacted",
                    metadata: [
                        "through": "\(pass.compactedThrough)", "superseded": "\(pass.superseded)", "tombstones": "\(pass.tombstones)",
                        "parent": "\(parent?.rawValue ?? "none")",
                    ]
                )
            }
            return pass
        }
    }

    /// What compaction has removed since the database was created, and how far it has gone.
    public func totals() async throws -> CompactionCounts {
        try await DatabaseError.translating("reading how far the change log is compacted") {
            let rows = try await client.query("SELECT superseded, tombstones, compacted_through FROM change_log_compaction", logger: logger)
            for try await (superseded, tombstones, through) in rows.decode((Int64, Int64, Int64).self) {
                return CompactionCounts(superseded: superseded, tombstones: tombstones, compactedThrough: through)
            }
            return CompactionCounts()
        }
    }

    /// The seq up to which entries may go: the parent's acknowledgement (0 while the edge is another parent's), or at a
    /// root the last seq handed out (every entry up to it is committed: seqs are taken under the counter's lock).
    private func acknowledged(by parent: RegionCode?) async throws -> Int64 {
        let query: PostgresQuery =
            if let parent { "SELECT acked_seq FROM sync_upstream WHERE parent = \(parent.rawValue)" } else { "SELECT last_seq FROM change_counter" }
        for try await seq in try await client.query(query, logger: logger).decode(Int64.self) { return seq }
        return 0
    }

    /// One window of entries after the cursor, up to `bound`: returns how many were read, the cursor after them and how
    /// many entries were removed.
    private func compactWindow(through bound: Int64) async throws -> (read: Int, through: Int64, removed: Int64) {
        try await client.transaction(logger: logger) { connection in
            // One compaction at a time (the scheduled one, one after a push, the operator's command).
            var cursor: Int64 = 0
            let locked = try await connection.query("SELECT compacted_through FROM change_log_compaction FOR UPDATE", logger: logger)
            for try await through in locked.decode(Int64.self) { cursor = through }
            guard cursor < bound else { return (0, cursor, 0) }
            var bindings = PostgresBindings()
            bindings.append(cursor)
            bindings.append(bound)
            bindings.append(Int64(windowSize))
            let rows = try await connection.query(PostgresQuery(unsafeSQL: Self.windowSQL, binds: bindings), logger: logger)
            for try await (read, through, removed) in rows.decode((Int64, Int64, Int64).self) {
                return (Int(read), through, removed)
            }
            return (0, cursor, 0)
        }
    }

    /// `$1` the cursor, `$2` the bound, `$3` the window's size. In the window, the newest entry of each record (and of
    /// its handovers) is kept if the record is still held here; every other entry goes, and so does the entry kept for
    /// the record by an earlier window.
    private static let windowSQL = """
        WITH w AS MATERIALIZED (
            SELECT seq, kind, record_id, handed_over_by IS NOT NULL AS handover, version, deleted, logged_at
            FROM change_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3
        ),
        newest AS MATERIALIZED (SELECT DISTINCT ON (kind, record_id, handover) * FROM w ORDER BY kind, record_id, handover, seq DESC),
        kept AS MATERIALIZED (SELECT * FROM newest n WHERE \(heldSQL)),
        earlier AS (SELECT o.seq FROM change_log_newest o JOIN newest n USING (kind, record_id, handover)),
        noted AS (
            INSERT INTO change_log_newest (kind, record_id, handover, seq, version, deleted, logged_at)
            SELECT kind, record_id, handover, seq, version, deleted, logged_at FROM kept
            ON CONFLICT (kind, record_id, handover) DO UPDATE SET seq = excluded.seq, version = excluded.version,
                deleted = excluded.deleted, logged_at = excluded.logged_at
        ),
        forgotten AS (
            DELETE FROM change_log_newest o USING newest n
            WHERE o.kind = n.kind AND o.record_id = n.record_id AND o.handover = n.handover AND n.seq NOT IN (SELECT seq FROM kept)
        ),
        removed AS (
            DELETE FROM change_log WHERE seq IN (SELECT seq FROM w WHERE seq NOT IN (SELECT seq FROM kept) UNION ALL SELECT seq FROM earlier)
            RETURNING 1
        ),
        moved AS (
            UPDATE change_log_compaction SET compacted_through = (SELECT max(seq) FROM w),
                superseded = superseded + (SELECT count(*) FROM removed), compacted_at = now()
            WHERE EXISTS (SELECT FROM w)
        )
        SELECT (SELECT count(*) FROM w)::bigint, coalesce((SELECT max(seq) FROM w), $1), (SELECT count(*) FROM removed)::bigint
        """

    /// SQL true when the record of entry `n` is held here: in its table, or kept as handed over from here.
    private static let heldSQL: String = {
        let tables = RecordKind.allCases.map { "WHEN '\($0.rawValue)' THEN EXISTS (SELECT FROM \($0.collection) t WHERE t.id = n.record_id)" }
        return "(CASE n.kind \(tables.joined(separator: " ")) ELSE false END OR EXISTS (SELECT FROM handed_over h WHERE h.id = n.record_id))"
    }()

    /// Drops a window of tombstones logged before the retention and compacted (so acknowledged, up to `bound`), with
    /// their entries, and for cases their status, contact and receipt (no one can reach the case any more); an audit
    /// entry counts them. Returns how many were due and how many dropped: one written again since (a newer version) is
    /// left to its newer entry.
    private func dropTombstones(through bound: Int64) async throws -> (due: Int, dropped: Int64) {
        try await client.transaction(logger: logger) { connection in
            _ = try await connection.query("SELECT 1 FROM change_log_compaction FOR UPDATE", logger: logger)
            var bindings = PostgresBindings()
            bindings.append(bound)
            bindings.append(tombstoneRetentionDays)
            bindings.append(Int64(windowSize))
            let rows = try await connection.query(PostgresQuery(unsafeSQL: Self.tombstonesSQL, binds: bindings), logger: logger)
            var (due, dropped, cases): (Int64, Int64, [UUID]) = (0, 0, [])
            for try await row in rows.decode((Int64, Int64, [UUID]).self) { (due, dropped, cases) = row }
            if dropped > 0 {
                // Records removed by the node itself (SPEC §14): one entry per window, a count without the records.
                _ = try await AuditStore.append(
                    actor: "node",
                    address: nil,
                    action: "drop tombstones past retention",
                    record: nil,
                    outcome: "tombstones \(dropped), cases among them \(cases.count)",
                    on: connection,
                    logger: logger
                )
            }
            if !cases.isEmpty {
                try await caseStatus.refresh(cases, on: connection)
                try await connection.query(
                    """
                    WITH sealed AS (DELETE FROM case_contacts WHERE case_id = ANY(\(cases))),
                    keys AS (DELETE FROM case_contact_keys WHERE case_id = ANY(\(cases)))
                    DELETE FROM case_receipts WHERE case_id = ANY(\(cases))
                    """,
                    logger: logger
                )
            }
            return (Int(due), dropped)
        }
    }

    /// `$1` the bound, `$2` the retention in days, `$3` the window's size.
    private static let tombstonesSQL: String = {
        let drops = RecordKind.allCases.map { kind in
            """
            drop_\(kind.rawValue) AS (
                DELETE FROM \(kind.collection) t USING due d
                WHERE d.kind = '\(kind.rawValue)' AND t.id = d.record_id AND t.deleted AND t.version = d.version
                RETURNING '\(kind.rawValue)'::text AS kind, t.id
            )
            """
        }
        let union = RecordKind.allCases.map { "SELECT * FROM drop_\($0.rawValue)" }.joined(separator: " UNION ALL ")
        return """
            WITH due AS MATERIALIZED (
                SELECT kind, record_id, seq, version FROM change_log_newest
                WHERE deleted AND NOT handover AND seq <= $1 AND logged_at < now() - make_interval(days => $2::integer)
                ORDER BY seq LIMIT $3
            ),
            \(drops.joined(separator: ",\n")),
            dropped AS (\(union)),
            unlogged AS (DELETE FROM change_log c USING due d JOIN dropped x ON x.kind = d.kind AND x.id = d.record_id WHERE c.seq = d.seq),
            forgotten AS (DELETE FROM change_log_newest o USING dropped x WHERE o.kind = x.kind AND o.record_id = x.id AND NOT o.handover),
            counted AS (UPDATE change_log_compaction SET tombstones = tombstones + (SELECT count(*) FROM dropped))
            SELECT (SELECT count(*) FROM due)::bigint, (SELECT count(*) FROM dropped)::bigint,
                coalesce((SELECT array_agg(id) FROM dropped WHERE kind = '\(RecordKind.caseRecord.rawValue)'), '{}')
            """
    }()
}
