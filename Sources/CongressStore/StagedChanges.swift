import CongressCore
import Logging
import PostgresNIO

/// Changes received from a peer, copied into a temporary table of the caller's transaction and applied from there in
/// one statement: batches from children (`BatchApplier`) and directives from the parent (`DirectiveFeed`) alike.
enum StagedChanges {
    /// Which changes a node accepts from a peer.
    enum Scope {
        /// From a child: every change's origin and region inside the child's subtree, of a kind of the replication
        /// schema its batch is written in.
        case subtree(of: RegionCode, kinds: Set<RecordKind>)
        /// From the parent: trainings organised by an ancestor of this node.
        case directivesFor(RegionCode)

        /// SQL true for a change `c` outside the scope; `$1` is the code bound by `bound`.
        var outsideSQL: String {
            switch self {
            case .subtree(_, let kinds):
                return """
                    NOT (c.origin LIKE $1 || '%' AND c.region_code LIKE $1 || '%')
                        OR c.kind NOT IN (\(kinds.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")))
                    """
            case .directivesFor:
                return "NOT (left($1, length(c.origin)) = c.origin AND c.origin <> $1) OR c.kind <> '\(RecordKind.training.rawValue)'"
            }
        }

        var bound: String {
            switch self {
            case .subtree(let code, _), .directivesFor(let code): code.rawValue
            }
        }

        var refusal: String {
            switch self {
            case .subtree(let code, _): "lies outside sender \(code)'s subtree, or is of a kind its schema version does not carry"
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
    static func apply(scope: Scope, on connection: PostgresConnection, logger: Logger) async throws -> Int {
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
}
