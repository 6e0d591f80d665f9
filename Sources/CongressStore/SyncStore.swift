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
    /// The parent's change-log seq up to which its directives have been received here.
    public var directivesSeq: Int64 = 0
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
    private let underWay = BatchesUnderWay()

    public init(client: PostgresClient, node: RegionCode, logger: Logger) {
        self.client = client
        self.node = node
        self.logger = logger
    }

    // MARK: Child side

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
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await (to, count, json) in rows.decode((Int64?, Int64, String).self) {
            guard let to else { return nil }
            // The range starts right after the acknowledged seq and ends at the window's last entry, whatever it skipped.
            return OutgoingBatch(fromSeq: seq + 1, toSeq: to, count: Int(count), changesJSON: json)
        }
        return nil
    }

    /// Given `w` (change-log entries: seq, kind, record_id), `changes`: each record named there once, in its current
    /// state, as JSON (with its origin and body, for filters).
    private static let currentStateSQL: String = {
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
        let rows = try await client.query(
            "SELECT count(*)::bigint FROM change_log WHERE seq > \(seq) AND origin LIKE \(node.rawValue) || '%'",
            logger: logger
        )
        for try await count in rows.decode(Int64.self) { return count }
        return 0
    }

    /// Where pushes to `parent` resume; a new parent (the topology changed) starts from the beginning.
    public func upstream(parent: RegionCode) async throws -> UpstreamState {
        try await client.query(
            """
            INSERT INTO sync_upstream (parent) VALUES (\(parent.rawValue))
            ON CONFLICT (singleton) DO UPDATE SET parent = excluded.parent, acked_seq = 0, directives_seq = 0 WHERE sync_upstream.parent <> excluded.parent
            """,
            logger: logger
        )
        return try await upstreamState() ?? UpstreamState(parent: parent, ackedSeq: 0)
    }

    public func upstreamState() async throws -> UpstreamState? {
        let rows = try await client.query(
            "SELECT parent, acked_seq, last_attempt_at, last_success_at, last_error, directives_seq FROM sync_upstream",
            logger: logger
        )
        for try await (parent, acked, attempt, success, error, directives) in rows.decode((String, Int64, Date?, Date?, String?, Int64).self) {
            guard let parent = RegionCode(parent) else { return nil }
            return UpstreamState(
                parent: parent,
                ackedSeq: acked,
                lastAttemptAt: attempt.map(Timestamp.init),
                lastSuccessAt: success.map(Timestamp.init),
                lastError: error,
                directivesSeq: directives
            )
        }
        return nil
    }

    /// Stores the parent's acknowledgement: after a crash, pushing resumes from here. Never moves back (a
    /// `congress sync` alongside the serving node may finish second), except when the parent asks to `rewind`.
    public func recordAck(_ seq: Int64, parent: RegionCode, rewind: Bool = false) async throws {
        let acked = rewind ? "\(seq)" : "greatest(acked_seq, \(seq))"
        try await client.query(
            "UPDATE sync_upstream SET acked_seq = \(unescaped: acked), last_attempt_at = now() WHERE parent = \(parent.rawValue)",
            logger: logger
        )
    }

    /// The end of a push run: a success clears the last error, a failure keeps the last success.
    public func recordRun(parent: RegionCode, error: String?) async throws {
        if let error {
            try await client.query(
                "UPDATE sync_upstream SET last_attempt_at = now(), last_error = \(error) WHERE parent = \(parent.rawValue)",
                logger: logger
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
    /// A child sends its next batch before the previous one is acknowledged, so that the next one is received and
    /// copied in while the previous one applies. Should it reach the checkpoint first, it waits for the batch under way
    /// that fills the gap before it, rather than answering with a gap.
    public func apply(_ header: BatchHeader, changes: ChangeRows) async throws -> ApplyOutcome {
        let ticket = await underWay.begin(header.sender, from: header.fromSeq)
        do {
            var outcome = try await applyOnce(header, changes: changes)
            while case .gap(let expected) = outcome, await underWay.awaitEnd(of: header.sender, startingBy: expected, other: ticket) {
                outcome = try await applyOnce(header, changes: changes)
            }
            await underWay.end(ticket)
            return outcome
        } catch {
            await underWay.end(ticket)
            throw error
        }
    }

    private func applyOnce(_ header: BatchHeader, changes: ChangeRows) async throws -> ApplyOutcome {
        try await client.transaction(logger: logger) { connection in
            // Copied in before the checkpoint is locked: while the sender's previous batch still holds it.
            try await Self.stage(changes, on: connection, logger: logger)
            let sender = header.sender.rawValue
            // Created on the sender's first batch; either way the row stays locked until commit, so a sender's
            // batches apply one at a time.
            var checkpoint: Int64 = 0
            let locked = try await connection.query(
                """
                INSERT INTO sync_checkpoints (sender) VALUES (\(sender))
                ON CONFLICT (sender) DO UPDATE SET sender = excluded.sender RETURNING acked_seq
                """,
                logger: logger
            )
            for try await seq in locked.decode(Int64.self) { checkpoint = seq }
            try await Self.recordEdges(header.edges ?? [], reportedBy: header.sender, on: connection, logger: logger)
            if header.toSeq <= checkpoint {
                // A replay, or the empty batch a child sends when it has nothing new: it still shows the child is alive.
                try await connection.query("UPDATE sync_checkpoints SET last_batch_at = now() WHERE sender = \(sender)", logger: logger)
                return .acked(BatchAck(acked: header.toSeq, applied: 0))
            }
            if header.fromSeq > checkpoint + 1 { return .gap(expected: checkpoint + 1) }
            let count = try await Self.applyStaged(scope: .subtree(of: header.sender), on: connection, logger: logger)
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

    /// Which changes a node accepts from a peer.
    enum Scope {
        /// From a child: every change's origin and region inside the child's subtree.
        case subtree(of: RegionCode)
        /// From the parent: trainings organised by an ancestor of this node.
        case directivesFor(RegionCode)

        /// SQL true for a change `c` outside the scope; `$1` is the code bound by `bound`.
        var outsideSQL: String {
            switch self {
            case .subtree:
                return """
                    NOT (c.origin LIKE $1 || '%' AND c.region_code LIKE $1 || '%')
                        OR c.kind NOT IN (\(RecordKind.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")))
                    """
            case .directivesFor:
                return "NOT (left($1, length(c.origin)) = c.origin AND c.origin <> $1) OR c.kind <> '\(RecordKind.training.rawValue)'"
            }
        }

        var bound: String {
            switch self {
            case .subtree(let code), .directivesFor(let code): code.rawValue
            }
        }

        var refusal: String {
            switch self {
            case .subtree(let code): "lies outside sender \(code)'s subtree"
            case .directivesFor(let code): "is not a training organised above node \(code)"
            }
        }
    }

    /// Copies `changes` into the temporary table `incoming_changes` of the caller's transaction: PostgreSQL parses each
    /// body once, as `COPY` does.
    static func stage(_ changes: ChangeRows, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            CREATE TEMPORARY TABLE incoming_changes (
                kind text, id uuid, origin text COLLATE "C", region_code text COLLATE "C", version bigint, updated_at timestamptz,
                deleted boolean, body jsonb
            ) ON COMMIT DROP
            """,
            logger: logger
        )
        try await connection.copyFrom(table: "incoming_changes", logger: logger) { writer in
            var sent = 0
            while sent < changes.copyText.count {
                let chunk = changes.copyText[sent..<min(sent + Self.copyChunk, changes.copyText.count)]
                try await writer.write(ByteBuffer(bytes: chunk))
                sent += chunk.count
            }
        }
    }

    /// Applies the staged changes in one statement: refused whole (`.forbidden`) if any is out of scope or malformed;
    /// otherwise each record upserted where the incoming version is newer (same origin) and what changed appended to
    /// this node's change log with origin and version kept. Returns how many changes applied.
    static func applyStaged(scope: Scope, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        var bindings = PostgresBindings()
        bindings.append(scope.bound)
        let rows = try await connection.query(PostgresQuery(unsafeSQL: applySQL(outside: scope.outsideSQL), binds: bindings), logger: logger)
        var count = 0
        for try await (applied, kind, id, origin, region) in rows.decode((Int64, String?, String?, String?, String?).self) {
            if kind != nil || id != nil || origin != nil || region != nil {
                throw StoreError(
                    .forbidden,
                    "change \(kind ?? "?") \(id ?? "?") (origin \(origin ?? "?"), region \(region ?? "?")) \(scope.refusal); nothing was applied"
                )
            }
            count = Int(applied)
        }
        return count
    }

    /// Keeps the newest delivery time the sender reports for each node in its subtree (never for itself: its own
    /// deliveries are the checkpoint's).
    private static func recordEdges(
        _ edges: [SyncEdge],
        reportedBy sender: RegionCode,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        let reported = edges.filter { sender.contains($0.node) && $0.node != sender }
        guard !reported.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO sync_edges (node, last_batch_at, reported_by)
            SELECT node, at, \(sender.rawValue) FROM unnest(\(reported.map(\.node.rawValue))::text[], \(reported.map(\.lastBatchAt.date))::timestamptz[]) AS e(node, at)
            ON CONFLICT (node) DO UPDATE SET last_batch_at = excluded.last_batch_at, reported_by = excluded.reported_by, reported_at = now()
            WHERE sync_edges.last_batch_at < excluded.last_batch_at
            """,
            logger: logger
        )
    }

    /// Every edge below this node it knows of: its children's last batches here, and what they reported of theirs.
    public func edges() async throws -> [SyncEdge] {
        let rows = try await client.query(
            """
            SELECT sender, last_batch_at FROM sync_checkpoints WHERE last_batch_at IS NOT NULL
            UNION ALL
            SELECT node, last_batch_at FROM sync_edges e
            WHERE NOT EXISTS (SELECT FROM sync_checkpoints c WHERE c.sender = e.node AND c.last_batch_at IS NOT NULL)
            """,
            logger: logger
        )
        var result: [SyncEdge] = []
        for try await (node, at) in rows.decode((String, Date).self) {
            guard let code = RegionCode(node) else { continue }
            result.append(SyncEdge(node: code, lastBatchAt: Timestamp(at)))
        }
        return result
    }

    public func checkpoints() async throws -> [ChildCheckpoint] {
        let rows = try await client.query(
            "SELECT sender, acked_seq, last_batch_at, batches, changes FROM sync_checkpoints ORDER BY sender",
            logger: logger
        )
        var result: [ChildCheckpoint] = []
        for try await (sender, acked, last, batches, changes) in rows.decode((String, Int64, Date?, Int64, Int64).self) {
            guard let code = RegionCode(sender) else { continue }
            result.append(ChildCheckpoint(sender: code, ackedSeq: acked, lastBatchAt: last.map(Timestamp.init), batches: batches, changes: changes))
        }
        return result
    }

    /// Kinds with a unique index over live records: their tombstones are applied first, so that a village deleted and
    /// registered again in one batch does not trip the one-live-unit-per-code index.
    private static let hasLiveUniqueIndex: Set<RecordKind> = [.unit, .attendance]

    /// One statement: find the first change out of scope (then write nothing), else upsert each kind where the incoming
    /// version is newer (same origin) and log what changed. A batch names each record once (its current state); one
    /// naming a record twice fails whole. Change-log order within a batch does not matter: the next parent compares
    /// versions per record.
    private static func applySQL(outside: String) -> String {
        let upserts = RecordKind.allCases.map { kind in
            """
            up_\(kind.rawValue) AS (
                INSERT INTO \(kind.collection) AS t (id, origin, region_code, version, updated_at, deleted, body)
                SELECT id, origin, region_code, version, updated_at, deleted, body FROM c
                WHERE kind = '\(kind.rawValue)' AND NOT EXISTS (SELECT FROM bad)\(Self.hasLiveUniqueIndex.contains(kind) ? " ORDER BY deleted DESC" : "")
                ON CONFLICT (id) DO UPDATE SET region_code = excluded.region_code, version = excluded.version,
                    updated_at = excluded.updated_at, deleted = excluded.deleted, body = excluded.body
                WHERE t.version < excluded.version AND t.origin = excluded.origin
                RETURNING '\(kind.rawValue)'::text AS kind, id, origin, region_code, version, deleted
            )
            """
        }.joined(separator: ",\n")
        let union = RecordKind.allCases.map { "SELECT * FROM up_\($0.rawValue)" }.joined(separator: " UNION ALL ")
        return """
            WITH c AS (SELECT * FROM incoming_changes),
            bad AS MATERIALIZED (
                SELECT c.kind, c.id::text, c.origin, c.region_code FROM c
                WHERE \(outside)
                    OR c.id IS NULL OR c.version IS NULL OR c.updated_at IS NULL OR c.deleted IS NULL OR c.origin IS NULL
                    OR c.region_code IS NULL OR jsonb_typeof(c.body) IS DISTINCT FROM 'object'
                LIMIT 1
            ),
            \(upserts),
            applied AS (\(union)),
            counter AS (
                UPDATE change_counter SET last_seq = last_seq + (SELECT count(*) FROM applied) RETURNING last_seq
            ),
            logged AS (
                INSERT INTO change_log (seq, kind, record_id, origin, region_code, version, deleted)
                SELECT (SELECT last_seq FROM counter) - (SELECT count(*) FROM applied) + row_number() OVER (),
                    a.kind, a.id, a.origin, a.region_code, a.version, a.deleted
                FROM applied a
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM logged)::bigint, bad.kind, bad.id, bad.origin, bad.region_code
            FROM (SELECT 1) one LEFT JOIN bad ON true
            """
    }

    /// Rows per `COPY` message: big enough that messages cost nothing, small enough not to copy the batch again whole.
    private static let copyChunk = 1 << 20

    // MARK: Directives (downward)

    /// The page of directives for `child` after this node's seq `since`: trainings from this node or above whose venues or
    /// audience touch the child's subtree, each in its current state, as `{"since", "toSeq", "count", "changes"}`.
    /// `toSeq` moves past entries that do not concern the child, so its next page starts after them.
    public func directives(for child: RegionCode, after since: Int64, limit: Int) async throws -> String {
        let sql = """
            WITH w AS (
                SELECT seq, kind, record_id FROM change_log WHERE kind = '\(RecordKind.training.rawValue)' AND seq > $1 ORDER BY seq LIMIT $2
            ),
            \(Self.currentStateSQL),
            concerning AS (
                SELECT change FROM changes
                WHERE origin NOT LIKE $3 || '%' AND (
                    coalesce(body #>> '{audience,regionPrefix}', '') LIKE $3 || '%'
                    OR left($3, length(coalesce(body #>> '{audience,regionPrefix}', ''))) = coalesce(body #>> '{audience,regionPrefix}', '')
                    OR EXISTS (SELECT FROM jsonb_array_elements(body -> 'venues') v WHERE v ->> 'regionCode' LIKE $3 || '%')
                )
            )
            SELECT json_build_object('since', $1, 'toSeq', coalesce((SELECT max(seq) FROM w), $1), 'count', (SELECT count(*) FROM concerning),
                'changes', coalesce((SELECT json_agg(change) FROM concerning), '[]'))::text
            """
        var bindings = PostgresBindings()
        bindings.append(since)
        bindings.append(Int64(limit))
        bindings.append(child.rawValue)
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await page in rows.decode(String.self) { return page }
        return #"{"since":\#(since),"toSeq":\#(since),"count":0,"changes":[]}"#
    }

    /// Stores a page of directives from the parent, read-only here (and passed on to this node's children through its
    /// own change log), and moves the directives cursor to `toSeq`, in one transaction. Returns how many applied.
    public func applyDirectives(_ changes: ChangeRows, toSeq: Int64, parent: RegionCode) async throws -> Int {
        try await client.transaction(logger: logger) { connection in
            try await Self.stage(changes, on: connection, logger: logger)
            let count = try await Self.applyStaged(scope: .directivesFor(node), on: connection, logger: logger)
            try await connection.query(
                "UPDATE sync_upstream SET directives_seq = \(toSeq) WHERE parent = \(parent.rawValue)",
                logger: logger
            )
            return count
        }
    }
}

/// The pushed batches this node is applying, by sender and first seq: a batch that finds a gap before it waits for the
/// end of one under way that starts within the gap (it may fill it) instead of being refused. Waits cannot form a
/// cycle: a batch only waits for one that starts before it.
actor BatchesUnderWay {
    private var batches: [Int: (sender: RegionCode, fromSeq: Int64)] = [:]
    private var lastTicket = 0
    private var waiting: [(sender: RegionCode, resume: CheckedContinuation<Void, Never>)] = []

    func begin(_ sender: RegionCode, from seq: Int64) -> Int {
        lastTicket += 1
        batches[lastTicket] = (sender, seq)
        return lastTicket
    }

    func end(_ ticket: Int) {
        guard let ended = batches.removeValue(forKey: ticket) else { return }
        // Every waiter for this sender looks again; one still short of its turn waits again.
        let (wake, keep) = (waiting.filter { $0.sender == ended.sender }, waiting.filter { $0.sender != ended.sender })
        waiting = keep
        for waiter in wake { waiter.resume.resume() }
    }

    /// Waits until a batch of `sender` under way (other than `ticket`) that starts at or before `seq` has ended; false at
    /// once if there is none.
    func awaitEnd(of sender: RegionCode, startingBy seq: Int64, other ticket: Int) async -> Bool {
        guard batches.contains(where: { $0.key != ticket && $0.value.sender == sender && $0.value.fromSeq <= seq }) else { return false }
        await withCheckedContinuation { waiting.append((sender, $0)) }
        return true
    }
}
