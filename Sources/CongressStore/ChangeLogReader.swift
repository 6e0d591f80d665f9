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
}

/// The child's side of replication: batches read from this node's change log for its parent, and how far the parent
/// has acknowledged them.
public struct ChangeLogReader: Sendable {
    let client: PostgresClient
    public let node: RegionCode
    let logger: Logger

    public init(client: PostgresClient, node: RegionCode, logger: Logger) {
        self.client = client
        self.node = node
        self.logger = logger
    }

    /// The next `limit` change-log entries after `seq`, each record named there once in its current state, tombstones
    /// included. Only records whose origin lies in this node's subtree go up: directives received from above stay here,
    /// and the batch's range still covers them, so the parent sees no gap.
    ///
    /// The window is taken by seq alone and filtered afterwards: with the origin filter inside it, a planner that
    /// underestimates how many entries match (as after a bulk write, before the table is analyzed) reads every entry
    /// after `seq` and sorts them — a push of N entries then costs N²/limit.
    public func nextBatch(after seq: Int64, limit: Int) async throws -> OutgoingBatch? {
        let sql = """
            WITH window_entries AS (
                SELECT seq, kind, record_id, origin FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2
            ),
            w AS (SELECT seq, kind, record_id FROM window_entries WHERE origin LIKE $3 || '%'),
            \(Self.currentStateSQL)
            SELECT (SELECT max(seq) FROM window_entries), (SELECT count(*) FROM changes)::bigint,
                coalesce((SELECT json_agg(change) FROM changes)::text, '[]')
            """
        var bindings = PostgresBindings()
        bindings.append(seq)
        bindings.append(Int64(limit))
        bindings.append(node.rawValue)
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
    /// state, as JSON (with its origin and body, for filters).
    static let currentStateSQL: String = {
        let perKind = RecordKind.allCases.map { kind in
            """
            SELECT r.origin, json_build_object('kind', '\(kind.rawValue)', 'id', r.id, 'origin', r.origin, 'regionCode', r.region_code,
                'version', r.version, 'updatedAt', r.updated_at, 'deleted', r.deleted, 'body', r.body) AS change, r.body
            FROM \(kind.collection) r WHERE r.id IN (SELECT record_id FROM w WHERE kind = '\(kind.rawValue)')
            """
        }.joined(separator: "\nUNION ALL\n")
        return "changes AS (\(perKind))"
    }()

    /// Change-log entries not yet acknowledged by the parent.
    public func pendingCount(after seq: Int64) async throws -> Int64 {
        try await DatabaseError.translating("counting changes not yet acknowledged") {
            let rows = try await client.query(
                "SELECT count(*)::bigint FROM change_log WHERE seq > \(seq) AND origin LIKE \(node.rawValue) || '%'",
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
                ON CONFLICT (singleton) DO UPDATE SET parent = excluded.parent, acked_seq = 0, directives_seq = 0 WHERE sync_upstream.parent <> excluded.parent
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
                SELECT parent, acked_seq, last_attempt_at, last_success_at, last_failure_at, last_error, directives_seq
                FROM sync_upstream
                """,
                logger: logger
            )
            for try await (parent, acked, attempt, success, failure, error, directives) in rows.decode(
                (String, Int64, Date?, Date?, Date?, String?, Int64).self
            ) {
                guard let parent = RegionCode(parent) else { return nil }
                return UpstreamState(
                    parent: parent,
                    ackedSeq: acked,
                    lastAttemptAt: attempt.map(Timestamp.init),
                    lastSuccessAt: success.map(Timestamp.init),
                    lastFailureAt: failure.map(Timestamp.init),
                    lastError: error,
                    directivesSeq: directives
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
}
