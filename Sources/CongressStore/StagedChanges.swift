import CongressCore
import Logging
import PostgresNIO

/// Changes received from a peer, copied into a temporary table of the caller's transaction and applied from there in
/// one statement: batches from children (`BatchApplier`) and directives from the parent (`DirectiveFeed`) alike.
enum StagedChanges {
    /// Which changes a node accepts from a peer.
    enum Scope {
        /// From a child: every change's origin and region inside the child's subtree (a mandate's congress stands for
        /// its region: SPEC §15), of a kind of the replication schema its batch is written in; or a record handed over
        /// by a node of the child's subtree to its new owner — a node of this one's (`receiver`), or elsewhere, and then
        /// the handover passes through here on its way up to the common ancestor.
        case subtree(of: RegionCode, kinds: Set<RecordKind>, receiver: RegionCode)
        /// From the parent: trainings organised by an ancestor of this node, assignments an ancestor made to stations of
        /// this node's subtree and the mandates they name (without a phone), and records handed over to this node's
        /// subtree.
        case directivesFor(RegionCode)

        /// SQL true for a change `c` outside the scope; `$1` is the code bound by `bound`.
        var outsideSQL: String {
            switch self {
            case .subtree(_, let kinds, _):
                // Unknown (NULL) counts as outside: a mandate without a congress, a handover without an epoch.
                return """
                    NOT coalesce(c.handed_over_by IS NULL AND c.origin LIKE $1 || '%' AND (c.region_code LIKE $1 || '%'
                            OR c.kind = '\(RecordKind.deputy.rawValue)' AND c.body ->> 'congressCode' LIKE $1 || '%')
                        OR c.handed_over_by LIKE $1 || '%' AND c.epoch > 0 AND \(Self.ownedByOrigin), false)
                        OR c.handed_over_by IS NOT NULL AND (\(Self.ownedElsewhere))
                        OR c.kind NOT IN (\(kinds.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")))
                    """
            case .directivesFor:
                return """
                    NOT coalesce(left($1, length(c.origin)) = c.origin AND c.origin <> $1 AND (c.kind = '\(RecordKind.training.rawValue)'
                            OR c.kind = '\(RecordKind.assignment.rawValue)' AND c.region_code LIKE $1 || '%'
                            OR c.kind = '\(RecordKind.deputy.rawValue)' AND NOT c.body ? 'phone'
                            OR c.kind = '\(RecordKind.caseEvent.rawValue)' AND c.region_code LIKE $1 || '%')
                        OR c.handed_over_by IS NOT NULL AND c.origin LIKE $1 || '%' AND \(Self.ownedByOrigin), false)
                    """
            }
        }

        /// SQL true when a handed-over change `c` belongs where its origin is: its region there, or for a mandate its
        /// congress (SPEC §15: a mandate belongs to its congress, wherever the deputy lives).
        static let ownedByOrigin = """
            (c.region_code LIKE c.origin || '%' OR c.kind = '\(RecordKind.deputy.rawValue)' AND c.body ->> 'congressCode' LIKE c.origin || '%')
            """

        /// SQL true when this node holds a copy of handed-over change `c` at a lower epoch that the sender's subtree
        /// (`$1`) did not own: a child can hand over only what it had.
        static let ownedElsewhere = RecordKind.allCases.map { kind in
            """
            c.kind = '\(kind.rawValue)' AND EXISTS (
                SELECT FROM \(kind.collection) t WHERE t.id = c.id AND t.epoch < c.epoch AND t.origin NOT LIKE $1 || '%')
            """
        }.joined(separator: " OR ")

        /// SQL true for a handover `c` whose new owner lies outside this node: this node drops its copy and passes the
        /// handover on up (`$2` is this node).
        var passingSQL: String {
            switch self {
            case .subtree: "c.handed_over_by IS NOT NULL AND c.origin NOT LIKE $2 || '%'"
            case .directivesFor: "false"
            }
        }

        /// The version the change counter must reach: a record handed over to this node keeps the version its old
        /// owner gave it, and this node's next write of it must be newer.
        var adoptedVersionSQL: String {
            switch self {
            case .subtree: "0"
            case .directivesFor: "(SELECT coalesce(max(version), 0) FROM applied_changes WHERE origin = $1)"
            }
        }

        /// The codes bound as `$1` (and `$2`).
        var bindings: PostgresBindings {
            var bindings = PostgresBindings()
            switch self {
            case .subtree(let code, _, let receiver):
                bindings.append(code.rawValue)
                bindings.append(receiver.rawValue)
            case .directivesFor(let code):
                bindings.append(code.rawValue)
            }
            return bindings
        }

        var refusal: String {
            switch self {
            case .subtree(let code, _, _):
                "lies outside sender \(code)'s subtree, hands over a record it did not own, or is of a kind its schema version does not carry"
            case .directivesFor(let code):
                "is neither a training organised above node \(code), an assignment made above it to one of its stations, a mandate without phone from above nor a handover to its subtree"
            }
        }
    }

    /// A batch copied in by `stage`: what its rows hold, which the statements that apply it are written for.
    struct Staged {
        /// The kinds its rows name (a row of any other kind is refused by the scope check).
        let kinds: [RecordKind]
        /// Whether a row hands a record over.
        let hasHandovers: Bool
    }

    /// Copies `changes` into the temporary table `incoming_changes` of the caller's transaction: PostgreSQL parses each
    /// body once, as `COPY` does. `applied_changes` receives what `land` applies, for `log`.
    static func stage(_ changes: ChangeRows, on connection: PostgresConnection, logger: Logger) async throws -> Staged {
        try await connection.query(
            """
            CREATE TEMPORARY TABLE incoming_changes (
                kind text, id uuid, origin text COLLATE "C", region_code text COLLATE "C", version bigint, updated_at timestamptz,
                deleted boolean, body jsonb, epoch integer, former_region_codes jsonb, handed_over_by text COLLATE "C"
            ) ON COMMIT DROP
            """,
            logger: logger
        )
        try await connection.query(
            """
            CREATE TEMPORARY TABLE applied_changes (
                kind text, id uuid, origin text COLLATE "C", region_code text COLLATE "C", version bigint, deleted boolean,
                handed_over_by text COLLATE "C"
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
        return Staged(kinds: RecordKind.allCases.filter { changes.kinds.contains($0.rawValue) }, hasHandovers: changes.hasHandovers)
    }

    /// Applies the staged changes (`land`, then `log`) and returns how many applied.
    static func apply(_ staged: Staged, scope: Scope, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let count = try await land(staged, scope: scope, on: connection, logger: logger)
        try await log(scope: scope, on: connection, logger: logger)
        return count
    }

    /// Stores the staged changes in one statement: refused whole (`.forbidden`) if any is out of scope or malformed;
    /// otherwise each record upserted where the incoming one is newer — a higher ownership epoch, or the same epoch and
    /// owner and a higher version — and what changed noted in `applied_changes`. Returns how many changes applied.
    ///
    /// Takes no lock but the rows it writes, in one order (kind, then id), so that two batches landing at once wait
    /// for each other rather than deadlock.
    static func land(_ staged: Staged, scope: Scope, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        func land(newOnly: Bool) async throws -> Int {
            try await run(landSQL(staged, scope: scope, newOnly: newOnly), scope: scope, on: connection, logger: logger)
        }
        guard !staged.hasHandovers else { return try await land(newOnly: false) }
        // Most rows of a first sync are new to this node, and a plain insert skips `ON CONFLICT`'s speculative insertion
        // (a fifth of the upsert's time). The first record already here ends it, and the upsert runs instead.
        try await connection.query("SAVEPOINT land", logger: logger)
        do {
            return try await land(newOnly: true)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            try await connection.query("ROLLBACK TO SAVEPOINT land", logger: logger)
            return try await land(newOnly: false)
        }
    }

    /// Runs one of `landSQL`'s statements: the count of changes applied, or `.forbidden` naming the change out of scope.
    private static func run(_ sql: String, scope: Scope, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: scope.bindings), logger: logger)
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

    /// Appends what `land` applied to this node's change log, origin and version kept, under the change counter's
    /// lock (held to commit: seqs become visible in order). Change-log order within a batch does not matter: the next
    /// parent compares epochs and versions per record.
    static func log(scope: Scope, on connection: PostgresConnection, logger: Logger) async throws {
        let sql = """
            WITH counter AS (
                UPDATE change_counter SET last_seq = greatest(last_seq, \(scope.adoptedVersionSQL)) + (SELECT count(*) FROM applied_changes)
                RETURNING last_seq
            )
            INSERT INTO change_log (seq, kind, record_id, origin, region_code, version, deleted, handed_over_by)
            SELECT (SELECT last_seq FROM counter) - (SELECT count(*) FROM applied_changes) + row_number() OVER (),
                kind, id, origin, region_code, version, deleted, handed_over_by
            FROM applied_changes
            """
        try await connection.query(PostgresQuery(unsafeSQL: sql, binds: scope.bindings), logger: logger)
    }

    /// The upsert's conflict clause: the incoming record replaces the one held if it is newer.
    private static let newerWins = """
        ON CONFLICT (id) DO UPDATE SET origin = excluded.origin, region_code = excluded.region_code, version = excluded.version,
            updated_at = excluded.updated_at, deleted = excluded.deleted, body = excluded.body, epoch = excluded.epoch,
            former_region_codes = excluded.former_region_codes
        WHERE t.epoch < excluded.epoch OR t.epoch = excluded.epoch AND t.origin = excluded.origin AND t.version < excluded.version
        """

    /// Kinds with a unique index over live records: their tombstones are applied first, so that a village deleted and
    /// registered again in one batch does not trip the one-live-unit-per-code index.
    private static let hasLiveUniqueIndex: Set<RecordKind> = [.unit, .attendance]

    /// One statement: find the first change out of scope (then write nothing), else upsert each kind the batch names
    /// where the incoming record is newer and note what changed (with the handover it carries, for the directives that
    /// take it down). A batch names each record once (its current state); one naming a record twice fails whole.
    ///
    /// A handover whose new owner lies outside this node (`passing`) is not stored: this node drops its copy (an older
    /// epoch) and keeps the handover in `handed_over`, logged so that its push carries it on up.
    /// `newOnly`: a plain insert, for rows none of which this node holds (a unique violation otherwise).
    private static func landSQL(_ staged: Staged, scope: Scope, newOnly: Bool) -> String {
        let (outside, passing) = (scope.outsideSQL, scope.passingSQL)
        // Without handovers every row lands, read straight from the staged table (a CTE read twice would be copied).
        let landing = staged.hasHandovers ? "landing" : "incoming_changes"
        let upserts = staged.kinds.map { kind in
            """
            up_\(kind.rawValue) AS (
                INSERT INTO \(kind.collection) AS t (id, origin, region_code, version, updated_at, deleted, body, epoch, former_region_codes)
                SELECT id, origin, region_code, version, updated_at, deleted, body, coalesce(epoch, 0), coalesce(former_region_codes, '[]')
                FROM \(landing)
                WHERE kind = '\(kind.rawValue)' AND NOT EXISTS (SELECT FROM bad)
                ORDER BY \(Self.hasLiveUniqueIndex.contains(kind) ? "deleted DESC, " : "")id
                \(newOnly ? "" : Self.newerWins)
                RETURNING '\(kind.rawValue)'::text AS kind, id, origin, region_code, version, deleted
            ),
            """
        }.joined(separator: "\n")
        let landed =
            staged.kinds.isEmpty
            ? "SELECT NULL::text AS kind, NULL::uuid AS id, NULL::text AS origin, NULL::text AS region_code, NULL::bigint AS version, NULL::boolean AS deleted WHERE false"
            : staged.kinds.map { "SELECT * FROM up_\($0.rawValue)" }.joined(separator: " UNION ALL ")
        let kept =
            staged.hasHandovers
            ? handoverSQL(kinds: staged.kinds) : "kept AS (INSERT INTO applied_changes SELECT *, NULL FROM landed RETURNING 1),"
        return """
            WITH bad AS MATERIALIZED (
                SELECT c.kind, c.id::text, c.origin, c.region_code FROM incoming_changes c
                WHERE \(outside)
                    OR c.id IS NULL OR c.version IS NULL OR c.updated_at IS NULL OR c.deleted IS NULL OR c.origin IS NULL
                    OR c.region_code IS NULL OR jsonb_typeof(c.body) IS DISTINCT FROM 'object' OR c.epoch < 0
                    OR c.former_region_codes IS NOT NULL AND jsonb_typeof(c.former_region_codes) IS DISTINCT FROM 'array'
                LIMIT 1
            ),
            \(staged.hasHandovers ? "passing AS (SELECT * FROM incoming_changes c WHERE \(passing)),\nlanding AS (SELECT * FROM incoming_changes c WHERE NOT (\(passing)))," : "")
            \(upserts)
            landed AS (\(landed)),
            \(kept)
            -- A record handed over from here and now back: its last word here is no longer the last.
            forgotten AS (DELETE FROM handed_over h WHERE h.id IN (SELECT id FROM landed))
            SELECT (SELECT count(*) FROM kept)::bigint, bad.kind, bad.id, bad.origin, bad.region_code
            FROM (SELECT 1) one LEFT JOIN bad ON true
            """
    }

    /// The part of `landSQL` for a batch carrying handovers: records passing on drop this node's older copy and are kept in
    /// `handed_over`; what landed and what passed is noted in `applied_changes` with the handover it carries.
    private static func handoverSQL(kinds: [RecordKind]) -> String {
        let drops = kinds.map { kind in
            """
            drop_\(kind.rawValue) AS (
                DELETE FROM \(kind.collection) t USING passing p
                WHERE p.kind = '\(kind.rawValue)' AND t.id = p.id AND t.epoch < p.epoch AND NOT EXISTS (SELECT FROM bad)
            ),
            """
        }
        let passedAndKept = """
            passed AS (
                INSERT INTO handed_over (kind, id, to_node, change)
                SELECT kind, id, origin, jsonb_build_object('kind', kind, 'id', id, 'origin', origin, 'regionCode', region_code,
                    'version', version, 'updatedAt', updated_at, 'deleted', deleted, 'body', body, 'epoch', epoch,
                    'formerRegionCodes', coalesce(former_region_codes, '[]'), 'handedOverBy', handed_over_by)
                FROM passing WHERE NOT EXISTS (SELECT FROM bad)
                ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, to_node = excluded.to_node, change = excluded.change, handed_at = now()
                WHERE (handed_over.change ->> 'epoch')::int < (excluded.change ->> 'epoch')::int
                    OR (handed_over.change ->> 'epoch')::int = (excluded.change ->> 'epoch')::int
                        AND (handed_over.change ->> 'version')::bigint < (excluded.change ->> 'version')::bigint
                RETURNING kind, id, change ->> 'origin' AS origin, change ->> 'regionCode' AS region_code,
                    (change ->> 'version')::bigint AS version, false AS deleted
            ),
            applied AS (SELECT * FROM landed UNION ALL SELECT * FROM passed),
            kept AS (
                INSERT INTO applied_changes SELECT a.*, c.handed_over_by FROM applied a JOIN incoming_changes c ON c.id = a.id AND c.kind = a.kind
                RETURNING 1
            ),
            """
        return (drops + [passedAndKept]).joined(separator: "\n")
    }

    /// Rows per `COPY` message: big enough that messages cost nothing, small enough not to copy the batch again whole.
    private static let copyChunk = 1 << 20
}
