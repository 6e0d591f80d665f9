import CongressCore
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A batch read from the change log, its changes already as JSON text.
public struct OutgoingBatch: Sendable {
    public var fromSeq: Int64
    public var toSeq: Int64
    public var count: Int
    public var changesJSON: String
}

/// How far this node's pushes to its parent have come.
public struct UpstreamState: Sendable, Equatable {
    public var parent: RegionCode
    public var ackedSeq: Int64
    public var lastAttemptAt: Timestamp?
    public var lastSuccessAt: Timestamp?
    /// When a run last failed (it may have succeeded since).
    public var lastFailureAt: Timestamp?
    /// Why the last run failed; nil once a run succeeds.
    public var lastError: String?
    /// The parent's change-log seq up to which its directives have been received here.
    public var directivesSeq: Int64 = 0
    /// The replication schema version last spoken to the parent (nil: none yet), and the one directives were pulled with.
    public var spokenSchemaVersion: Int?
    public var directivesSchemaVersion: Int?
    /// The parent's topology hash this node last adopted or found equal to its own (SPEC §17).
    public var parentTopologyHash: String?
    /// The lowest replication schema version spoken from this node up to the root, as the parent last said.
    public var pathSchemaVersion: Int?
}

/// The child's side of replication: batches read from this node's change log for its parent, and how far the parent
/// has acknowledged them.
public struct ChangeLogReader: Sendable {
    /// The node's pool, which replaces its client after an outage, or a client of the caller's.
    let source: any PostgresClientSource
    var client: PostgresClient { source.client }
    public let node: RegionCode
    let logger: Logger

    public init(client: some PostgresClientSource, node: RegionCode, logger: Logger) {
        source = client
        self.node = node
        self.logger = logger
    }

    /// The next `limit` change-log entries after `seq`, each record named there once in its current state, tombstones
    /// included. Only records whose origin lies in this node's subtree go up: directives received from above stay here,
    /// and the batch's range still covers them, so the parent sees no gap. Only `kinds` go up too: the others are held
    /// back while the parent does not know them (`speak`), and sent when it does.
    ///
    /// The window is taken by seq alone and filtered afterwards: with the origin filter inside it, a planner that
    /// underestimates how many entries match (as after a bulk write, before the table is analyzed) reads every entry
    /// after `seq` and sorts them — a push of N entries then costs N²/limit.
    ///
    /// Cases leave their subject and text behind, and case events their text, except a transfer to `parent` (SPEC §13:
    /// the text of an opinion goes up only to the node it is transferred to).
    public func nextBatch(after seq: Int64, limit: Int, kinds: Set<RecordKind>, parent: RegionCode? = nil) async throws -> OutgoingBatch? {
        let sql = """
            WITH window_entries AS (
                SELECT seq, kind, record_id, origin, handed_over_by FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2
            ),
            w AS (
                SELECT seq, kind, record_id, origin FROM window_entries
                WHERE (origin LIKE $3 || '%' OR handed_over_by LIKE $3 || '%') AND kind = ANY($4)
            ),
            \(Self.currentStateSQL),
            outgoing AS (
                SELECT CASE kind
                    WHEN '\(RecordKind.caseRecord.rawValue)' THEN (change::jsonb #- '{body,subject}' #- '{body,content}')::json
                    WHEN '\(RecordKind.caseEvent.rawValue)' THEN CASE
                        WHEN body ->> 'action' = '\(CaseAction.transfer.rawValue)' AND body ->> 'to' = $5 THEN change
                        ELSE (change::jsonb #- '{body,text}' #- '{body,subject}')::json END
                    ELSE change END
                FROM changes
                UNION ALL
                SELECT h.change::json FROM handed_over h WHERE h.id IN (SELECT record_id FROM w WHERE origin NOT LIKE $3 || '%')
            )
            -- Counted and gathered in one pass: read twice, the batch's JSON would be copied aside first.
            SELECT (SELECT max(seq) FROM window_entries), count(*)::bigint, coalesce(json_agg(change)::text, '[]') FROM outgoing
            """
        var bindings = PostgresBindings()
        bindings.append(seq)
        bindings.append(Int64(limit))
        bindings.append(node.rawValue)
        bindings.append(kinds.map(\.rawValue).sorted())
        bindings.append(parent?.rawValue ?? "")
        return try await DatabaseError.translating("reading the change log after seq \(seq)") {
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
            for try await (to, count, json) in rows.decode((Int64?, Int64, String).self) {
                guard let to else { return nil }
                // The range starts right after the acknowledged seq and ends at the window's last entry, whatever it skipped.
                return OutgoingBatch(fromSeq: seq + 1, toSeq: to, count: Int(count), changesJSON: json)
            }
            return nil
        }
    }

    /// Given `w` (change-log entries: seq, kind, record_id), `changes`: each record named there once, in its current
    /// state, as JSON (`change`), with its kind, id, origin, region and body beside it for filters (reading them back
    /// out of the JSON would parse it again: a third of the time of a batch of mandates). A re-attributed record also carries its ownership epoch
    /// and former codes (SPEC §15); other records leave them out, as wave 1 wrote them.
    static let currentStateSQL: String = {
        let perKind = RecordKind.allCases.map { kind in
            let object = """
                json_build_object('kind', '\(kind.rawValue)', 'id', r.id, 'origin', r.origin, 'regionCode', r.region_code,
                    'version', r.version, 'updatedAt', r.updated_at, 'deleted', r.deleted, 'body', r.body)
                """
            return """
                SELECT '\(kind.rawValue)'::text AS kind, r.id, r.origin, r.region_code, CASE WHEN r.epoch = 0 AND r.former_region_codes = '[]' THEN \(object)
                    ELSE (\(object)::jsonb || jsonb_build_object('epoch', r.epoch, 'formerRegionCodes', r.former_region_codes))::json END AS change,
                    r.body
                FROM \(kind.collection) r WHERE r.id IN (SELECT record_id FROM w WHERE kind = '\(kind.rawValue)')
                """
        }.joined(separator: "\nUNION ALL\n")
        return "changes AS (\(perKind))"
    }()

    /// Change-log entries not yet acknowledged by the parent.
    public func pendingCount(after seq: Int64) async throws -> Int64 {
        try await DatabaseError.translating("counting changes not yet acknowledged") {
            let rows = try await client.query(
                """
                SELECT count(*)::bigint FROM change_log
                WHERE seq > \(seq) AND (origin LIKE \(node.rawValue) || '%' OR handed_over_by LIKE \(node.rawValue) || '%')
                """,
                logger: logger
            )
            for try await count in rows.decode(Int64.self) { return count }
            return 0
        }
    }

    /// The last sequence number handed out by this node's change log.
    public func lastSeq() async throws -> Int64 {
        try await DatabaseError.translating("reading the change log's last seq") {
            let rows = try await client.query("SELECT last_seq FROM change_counter", logger: logger)
            for try await seq in rows.decode(Int64.self) { return seq }
            return 0
        }
    }

    /// Where pushes to `parent` resume; a new parent (the topology changed) starts from the beginning.
    public func upstream(parent: RegionCode) async throws -> UpstreamState {
        try await DatabaseError.translating("reading where pushes to \(parent) resume") {
            try await client.query(
                """
                INSERT INTO sync_upstream (parent) VALUES (\(parent.rawValue))
                ON CONFLICT (singleton) DO UPDATE SET parent = excluded.parent, acked_seq = 0, directives_seq = 0,
                    spoken_schema_version = NULL, directives_schema_version = NULL, parent_topology_hash = NULL,
                    path_schema_version = NULL
                WHERE sync_upstream.parent <> excluded.parent
                """,
                logger: logger
            )
        }
        return try await upstreamState() ?? UpstreamState(parent: parent, ackedSeq: 0)
    }

    public func upstreamState() async throws -> UpstreamState? {
        try await DatabaseError.translating("reading the parent edge's state") {
            let rows = try await client.query(
                """
                SELECT parent, acked_seq, last_attempt_at, last_success_at, last_failure_at, last_error, directives_seq,
                    spoken_schema_version, directives_schema_version, parent_topology_hash, path_schema_version
                FROM sync_upstream
                """,
                logger: logger
            )
            for try await (parent, acked, attempt, success, failure, error, directives, spoken, directivesSchema, parentTopology, path)
                in rows
                .decode((String, Int64, Date?, Date?, Date?, String?, Int64, Int?, Int?, String?, Int?).self)
            {
                guard let parent = RegionCode(parent) else { return nil }
                return UpstreamState(
                    parent: parent,
                    ackedSeq: acked,
                    lastAttemptAt: attempt.map(Timestamp.init),
                    lastSuccessAt: success.map(Timestamp.init),
                    lastFailureAt: failure.map(Timestamp.init),
                    lastError: error,
                    directivesSeq: directives,
                    spokenSchemaVersion: spoken,
                    directivesSchemaVersion: directivesSchema,
                    parentTopologyHash: parentTopology,
                    pathSchemaVersion: path
                )
            }
            return nil
        }
    }

    /// Stores the parent's acknowledgement: after a crash, pushing resumes from here. Never moves back (a
    /// `congress sync` alongside the serving node may finish second), except when the parent asks to `rewind`.
    public func recordAck(_ seq: Int64, parent: RegionCode, rewind: Bool = false) async throws {
        let acked = rewind ? "\(seq)" : "greatest(acked_seq, \(seq))"
        try await DatabaseError.translating("storing the parent's acknowledgement of seq \(seq)") {
            try await client.query(
                "UPDATE sync_upstream SET acked_seq = \(unescaped: acked), last_attempt_at = now() WHERE parent = \(parent.rawValue)",
                logger: logger
            )
        }
    }

    /// Records that this node holds `parent`'s topology file `hash` (adopted, or found equal to its own).
    public func recordParentTopology(_ hash: String, parent: RegionCode) async throws {
        try await DatabaseError.translating("recording the parent's topology hash") {
            try await client.query(
                "UPDATE sync_upstream SET parent_topology_hash = \(hash) WHERE parent = \(parent.rawValue)",
                logger: logger
            )
        }
    }

    /// The end of a push run: a success clears the last error, a failure keeps the last success.
    public func recordRun(parent: RegionCode, error: String?) async throws {
        try await DatabaseError.translating("recording the end of a sync run") {
            if let error {
                try await client.query(
                    """
                    UPDATE sync_upstream SET last_attempt_at = now(), last_failure_at = now(), last_error = \(error)
                    WHERE parent = \(parent.rawValue)
                    """,
                    logger: logger
                )
            } else {
                try await client.query(
                    "UPDATE sync_upstream SET last_attempt_at = now(), last_success_at = now(), last_error = NULL WHERE parent = \(parent.rawValue)",
                    logger: logger
                )
            }
        }
    }

    /// Records that `schema` is spoken to `parent` from now on, before anything is pushed in it. Kinds of this node's
    /// schema that `schema` lacks are held back: `nextBatch` skips them, and they are not lost, as every record of a kind
    /// the previously spoken version lacked and `schema` has is logged again here (in this transaction), after the
    /// acknowledged seq, so that this push sends it. `path` is the lowest version spoken from here up to the root.
    /// Returns how many records were logged again.
    public func speak(_ schema: ReplicationSchema, in history: SchemaHistory, to parent: RegionCode, path: Int) async throws -> Int {
        try await DatabaseError.translating("recording that schema v\(schema.version) is spoken to \(parent)") {
            try await client.transaction(logger: logger) { connection in
                var spoken: Int?
                let rows = try await connection.query(
                    "SELECT spoken_schema_version FROM sync_upstream WHERE parent = \(parent.rawValue) FOR UPDATE",
                    logger: logger
                )
                for try await version in rows.decode(Int?.self) { spoken = version }
                let released = spoken.flatMap(history.schema).map { schema.kinds.subtracting($0.kinds) } ?? []
                var relogged = 0
                for kind in RecordKind.allCases where released.contains(kind) {
                    relogged += try await relog(kind, on: connection)
                }
                try await connection.query(
                    """
                    UPDATE sync_upstream SET spoken_schema_version = \(schema.version), path_schema_version = \(path)
                    WHERE parent = \(parent.rawValue)
                    """,
                    logger: logger
                )
                if relogged > 0 {
                    logger.notice(
                        "records held back until the parent knew their kind are sent now",
                        metadata: ["parent": "\(parent)", "schema": "\(schema.version)", "records": "\(relogged)"]
                    )
                }
                return relogged
            }
        }
    }

    /// Appends a change-log entry for every record of `kind` from this node's subtree (tombstones too), in its current
    /// version: the parent applies what it lacks and ignores the rest.
    private func relog(_ kind: RecordKind, on connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query(
            """
            WITH r AS (
                SELECT id, origin, region_code, version, deleted FROM \(unescaped: kind.collection) WHERE origin LIKE \(node.rawValue) || '%'
            ),
            counter AS (UPDATE change_counter SET last_seq = last_seq + (SELECT count(*) FROM r) RETURNING last_seq),
            logged AS (
                INSERT INTO change_log (seq, kind, record_id, origin, region_code, version, deleted)
                SELECT (SELECT last_seq FROM counter) - (SELECT count(*) FROM r) + row_number() OVER (ORDER BY id),
                    \(kind.rawValue), id, origin, region_code, version, deleted
                FROM r
                RETURNING 1
            )
            SELECT count(*)::bigint FROM logged
            """,
            logger: logger
        )
        var count: Int64 = 0
        for try await logged in rows.decode(Int64.self) { count = logged }
        return Int(count)
    }

    /// Records of this node's subtree whose kind the schema spoken to the parent lacks: held back until it knows them.
    public func heldBack(speaking spoken: ReplicationSchema, of own: ReplicationSchema) async throws -> [RecordKind: Int64] {
        var held: [RecordKind: Int64] = [:]
        for kind in RecordKind.allCases where own.kinds.contains(kind) && !spoken.kinds.contains(kind) {
            held[kind] = try await DatabaseError.translating("counting the \(kind.collection) held back") {
                let rows = try await client.query(
                    "SELECT count(*)::bigint FROM \(unescaped: kind.collection) WHERE origin LIKE \(node.rawValue) || '%'",
                    logger: logger
                )
                for try await count in rows.decode(Int64.self) { return count }
                return 0
            }
        }
        return held
    }
}
