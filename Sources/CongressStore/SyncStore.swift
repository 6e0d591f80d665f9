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

/// What applying a batch did at the parent.
public enum ApplyOutcome: Sendable, Equatable {
    case acked(BatchAck)
    /// The batch starts after the checkpoint: the sender must resend from `expected`.
    case gap(expected: Int64)
}

/// How far this node's pushes to its parent have come.
public struct UpstreamState: Sendable, Equatable {
    public var parent: RegionCode
    public var ackedSeq: Int64
    public var lastAttemptAt: Timestamp?
    public var lastSuccessAt: Timestamp?
    public var lastError: String?
}

/// A child's progress as this node has recorded it.
public struct ChildCheckpoint: Sendable, Equatable {
    public var sender: RegionCode
    public var ackedSeq: Int64
    public var lastBatchAt: Timestamp?
    public var batches: Int64
    public var changes: Int64
}

/// Replication state in PostgreSQL: reading batches from the change log, applying received ones, checkpoints.
public struct SyncStore: Sendable {
    public let client: PostgresClient
    public let node: RegionCode
    let logger: Logger

    public init(client: PostgresClient, node: RegionCode, logger: Logger) {
        self.client = client
        self.node = node
        self.logger = logger
    }

    // MARK: Child side

    /// The change-log entries after `seq` (at most `limit`), each record once in its current state, tombstones included.
    public func nextBatch(after seq: Int64, limit: Int) async throws -> OutgoingBatch? {
        let perKind = RecordKind.allCases.map { kind in
            """
            SELECT l.seq, json_build_object('kind', l.kind, 'id', r.id, 'origin', r.origin, 'regionCode', r.region_code,
                'version', r.version, 'updatedAt', r.updated_at, 'deleted', r.deleted, 'body', r.body) AS change
            FROM latest l JOIN \(kind.collection) r ON l.kind = '\(kind.rawValue)' AND r.id = l.record_id
            """
        }.joined(separator: "\nUNION ALL\n")
        let sql = """
            WITH w AS (SELECT seq, kind, record_id FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2),
            latest AS (SELECT DISTINCT ON (kind, record_id) seq, kind, record_id FROM w ORDER BY kind, record_id, seq DESC),
            changes AS (\(perKind))
            SELECT (SELECT min(seq) FROM w), (SELECT max(seq) FROM w), (SELECT count(*) FROM changes)::bigint,
                coalesce((SELECT json_agg(change ORDER BY seq) FROM changes)::text, '[]')
            """
        var bindings = PostgresBindings()
        bindings.append(seq)
        bindings.append(Int64(limit))
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await (from, to, count, json) in rows.decode((Int64?, Int64?, Int64, String).self) {
            guard let from, let to else { return nil }
            return OutgoingBatch(fromSeq: from, toSeq: to, count: Int(count), changesJSON: json)
        }
        return nil
    }

    /// Change-log entries not yet acknowledged by the parent.
    public func pendingCount(after seq: Int64) async throws -> Int64 {
        let rows = try await client.query("SELECT count(*)::bigint FROM change_log WHERE seq > \(seq)", logger: logger)
        for try await count in rows.decode(Int64.self) { return count }
        return 0
    }

    /// Where pushes to `parent` resume; a new parent (the topology changed) starts from the beginning.
    public func upstream(parent: RegionCode) async throws -> UpstreamState {
        try await client.query(
            """
            INSERT INTO sync_upstream (parent) VALUES (\(parent.rawValue))
            ON CONFLICT (singleton) DO UPDATE SET parent = excluded.parent, acked_seq = 0 WHERE sync_upstream.parent <> excluded.parent
            """,
            logger: logger
        )
        return try await upstreamState() ?? UpstreamState(parent: parent, ackedSeq: 0)
    }

    public func upstreamState() async throws -> UpstreamState? {
        let rows = try await client.query(
            "SELECT parent, acked_seq, last_attempt_at, last_success_at, last_error FROM sync_upstream", logger: logger
        )
        for try await (parent, acked, attempt, success, error) in rows.decode((String, Int64, Date?, Date?, String?).self) {
            guard let parent = RegionCode(parent) else { return nil }
            return UpstreamState(parent: parent, ackedSeq: acked, lastAttemptAt: attempt.map(Timestamp.init), lastSuccessAt: success.map(Timestamp.init), lastError: error)
        }
        return nil
    }

    /// Stores the parent's acknowledgement: after a crash, pushing resumes from here.
    public func recordAck(_ seq: Int64, parent: RegionCode) async throws {
        try await client.query(
            "UPDATE sync_upstream SET acked_seq = \(seq), last_attempt_at = now() WHERE parent = \(parent.rawValue)", logger: logger
        )
    }

    /// The end of a push run: a success clears the last error, a failure keeps the last success.
    public func recordRun(parent: RegionCode, error: String?) async throws {
        if let error {
            try await client.query(
                "UPDATE sync_upstream SET last_attempt_at = now(), last_error = \(error) WHERE parent = \(parent.rawValue)", logger: logger
            )
        } else {
            try await client.query(
                "UPDATE sync_upstream SET last_attempt_at = now(), last_success_at = now(), last_error = NULL WHERE parent = \(parent.rawValue)",
                logger: logger
            )
        }
    }

    // MARK: Parent side

    /// Applies a pushed batch all or nothing: scope checked, older versions ignored, applied changes appended to
    /// this node's change log (origin and version kept) so they travel on, and the sender's checkpoint moved.
    ///
    /// `body` is the request's JSON; PostgreSQL reads its `changes` directly, so rows are never decoded here.
    public func apply(_ header: BatchHeader, body: String) async throws -> ApplyOutcome {
        try await client.transaction(logger: logger) { connection in
            let sender = header.sender.rawValue
            try await connection.query("INSERT INTO sync_checkpoints (sender) VALUES (\(sender)) ON CONFLICT DO NOTHING", logger: logger)
            var checkpoint: Int64 = 0
            let locked = try await connection.query("SELECT acked_seq FROM sync_checkpoints WHERE sender = \(sender) FOR UPDATE", logger: logger)
            for try await seq in locked.decode(Int64.self) { checkpoint = seq }
            if header.toSeq <= checkpoint { return .acked(BatchAck(acked: header.toSeq, applied: 0)) }
            if header.fromSeq > checkpoint + 1 { return .gap(expected: checkpoint + 1) }

            var bindings = PostgresBindings()
            bindings.append(body)
            bindings.append(sender)
            let outside = try await connection.query(PostgresQuery(unsafeSQL: Self.outOfScopeSQL, binds: bindings), logger: logger)
            for try await (kind, id, origin, region) in outside.decode((String?, String?, String?, String?).self) {
                throw StoreError(
                    .forbidden,
                    "change \(kind ?? "?") \(id ?? "?") (origin \(origin ?? "?"), region \(region ?? "?")) lies outside sender \(sender)'s subtree; nothing was applied"
                )
            }
            var applyBindings = PostgresBindings()
            applyBindings.append(body)
            let applied = try await connection.query(PostgresQuery(unsafeSQL: Self.applySQL, binds: applyBindings), logger: logger)
            var count = 0
            for try await value in applied.decode(Int64.self) { count = Int(value) }
            try await connection.query(
                """
                UPDATE sync_checkpoints SET acked_seq = \(header.toSeq), last_batch_at = now(), batches = batches + 1, changes = changes + \(count)
                WHERE sender = \(sender)
                """,
                logger: logger
            )
            return .acked(BatchAck(acked: header.toSeq, applied: count))
        }
    }

    public func checkpoints() async throws -> [ChildCheckpoint] {
        let rows = try await client.query(
            "SELECT sender, acked_seq, last_batch_at, batches, changes FROM sync_checkpoints ORDER BY sender", logger: logger
        )
        var result: [ChildCheckpoint] = []
        for try await (sender, acked, last, batches, changes) in rows.decode((String, Int64, Date?, Int64, Int64).self) {
            guard let code = RegionCode(sender) else { continue }
            result.append(ChildCheckpoint(sender: code, ackedSeq: acked, lastBatchAt: last.map(Timestamp.init), batches: batches, changes: changes))
        }
        return result
    }

    /// The batch's changes as rows; unknown kinds and malformed fields fail the cast, and so the batch.
    private static let incoming = """
        SELECT c.kind, c.id, c.origin, c."regionCode" AS region_code, c.version, c."updatedAt" AS updated_at, c.deleted, c.body
        FROM jsonb_to_recordset(($1::jsonb) -> 'changes')
            AS c(kind text, id uuid, origin text, "regionCode" text, version bigint, "updatedAt" timestamptz, deleted boolean, body jsonb)
        """

    /// The first change whose origin or region is not in the sender's subtree, or whose kind is unknown.
    private static let outOfScopeSQL = """
        WITH c AS (\(incoming))
        SELECT c.kind, c.id::text, c.origin, c.region_code FROM c
        WHERE NOT (c.origin LIKE $2 || '%' AND c.region_code LIKE $2 || '%')
            OR c.kind NOT IN (\(RecordKind.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")))
            OR c.id IS NULL OR c.version IS NULL OR c.updated_at IS NULL OR c.deleted IS NULL OR c.body IS NULL
        LIMIT 1
        """

    /// One statement: upsert each kind where the incoming version is newer (same origin), then log what changed.
    private static let applySQL: String = {
        let upserts = RecordKind.allCases.map { kind in
            """
            up_\(kind.rawValue) AS (
                INSERT INTO \(kind.collection) AS t (id, origin, region_code, version, updated_at, deleted, body)
                SELECT DISTINCT ON (id) id, origin, region_code, version, updated_at, deleted, body FROM c
                WHERE kind = '\(kind.rawValue)' ORDER BY id, version DESC
                ON CONFLICT (id) DO UPDATE SET region_code = excluded.region_code, version = excluded.version,
                    updated_at = excluded.updated_at, deleted = excluded.deleted, body = excluded.body
                WHERE t.version < excluded.version AND t.origin = excluded.origin
                RETURNING '\(kind.rawValue)'::text AS kind, id, origin, region_code, version, deleted
            )
            """
        }.joined(separator: ",\n")
        let union = RecordKind.allCases.map { "SELECT * FROM up_\($0.rawValue)" }.joined(separator: " UNION ALL ")
        return """
            WITH c AS MATERIALIZED (\(incoming)),
            \(upserts),
            applied AS (\(union)),
            counter AS (
                UPDATE change_counter SET last_seq = last_seq + (SELECT count(*) FROM applied) RETURNING last_seq
            ),
            logged AS (
                INSERT INTO change_log (seq, kind, record_id, origin, region_code, version, deleted)
                SELECT (SELECT last_seq FROM counter) - (SELECT count(*) FROM applied) + row_number() OVER (ORDER BY a.origin, a.version),
                    a.kind, a.id, a.origin, a.region_code, a.version, a.deleted
                FROM applied a
                RETURNING 1
            )
            SELECT count(*)::bigint FROM logged
            """
    }()
}
