import CongressCore
import Logging
import PostgresNIO

/// The schema, as an ordered list of steps applied once each, at start, each in its own transaction.
public enum Migrations {
    struct Step: Sendable {
        let version: Int
        let name: String
        let sql: [String]
    }

    /// A record table: the common fields as columns, the kind's fields as `body`, and the columns
    /// that lists filter on generated from the body so that they can never disagree with it. Tables made after step 7
    /// carry its ownership columns from the start (`ownership`).
    private static func recordTable(_ name: String, generated: [String] = [], ownership: Bool = false) -> String {
        let owned = ownership ? ["epoch integer NOT NULL DEFAULT 0", "former_region_codes jsonb NOT NULL DEFAULT '[]'"] : []
        let extra = (owned + generated).map { ",\n    " + $0 }.joined()
        return """
            CREATE TABLE \(name) (
                id uuid PRIMARY KEY,
                origin text COLLATE "C" NOT NULL,
                region_code text COLLATE "C" NOT NULL,
                version bigint NOT NULL,
                updated_at timestamptz NOT NULL,
                deleted boolean NOT NULL DEFAULT false,
                body jsonb NOT NULL\(extra)
            )
            """
    }

    static let steps: [Step] = [
        Step(
            version: 1,
            name: "records and change log",
            sql: [
                // One row: taking the next seq locks it until commit, so seqs are handed out in
                // commit order and a reader after seq N never misses a later-committing N-1.
                """
                CREATE TABLE change_counter (
                    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                    last_seq bigint NOT NULL
                )
                """,
                "INSERT INTO change_counter (last_seq) VALUES (0)",
                """
                CREATE TABLE change_log (
                    seq bigint PRIMARY KEY,
                    kind text NOT NULL,
                    record_id uuid NOT NULL,
                    origin text COLLATE "C" NOT NULL,
                    region_code text COLLATE "C" NOT NULL,
                    version bigint NOT NULL,
                    deleted boolean NOT NULL,
                    logged_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE INDEX change_log_record ON change_log (record_id)",
                recordTable(
                    "deputies",
                    generated: [
                        "level text GENERATED ALWAYS AS (body->>'level') STORED",
                        "status text GENERATED ALWAYS AS (body->>'status') STORED",
                        "congress_code text COLLATE \"C\" GENERATED ALWAYS AS (body->>'congressCode') STORED",
                        "person_key text GENERATED ALWAYS AS (body->>'personKey') STORED",
                    ]
                ),
                recordTable(
                    "stations",
                    generated: [
                        "type text GENERATED ALWAYS AS (body->>'type') STORED",
                        "status text GENERATED ALWAYS AS (body->>'status') STORED",
                    ]
                ),
                recordTable(
                    "assignments",
                    generated: [
                        "deputy_id uuid GENERATED ALWAYS AS ((body->>'deputyId')::uuid) STORED",
                        "station_id uuid GENERATED ALWAYS AS ((body->>'stationId')::uuid) STORED",
                    ]
                ),
                recordTable("units"),
                recordTable("trainings"),
                recordTable(
                    "attendance",
                    generated: [
                        "training_id uuid GENERATED ALWAYS AS ((body->>'trainingId')::uuid) STORED",
                        "venue_id uuid GENERATED ALWAYS AS ((body->>'venueId')::uuid) STORED",
                        "deputy_id uuid GENERATED ALWAYS AS ((body->>'deputyId')::uuid) STORED",
                    ]
                ),
                "CREATE INDEX deputies_region ON deputies (region_code, id)",
                "CREATE INDEX deputies_person ON deputies (person_key)",
                "CREATE INDEX stations_region ON stations (region_code, id)",
                "CREATE INDEX assignments_region ON assignments (region_code, id)",
                "CREATE INDEX assignments_deputy ON assignments (deputy_id)",
                "CREATE INDEX assignments_station ON assignments (station_id)",
                "CREATE INDEX units_region ON units (region_code, id)",
                // A village is registered once; a tombstoned one may be registered again.
                "CREATE UNIQUE INDEX units_code ON units (region_code) WHERE NOT deleted",
                "CREATE INDEX trainings_region ON trainings (region_code, id)",
                "CREATE INDEX attendance_region ON attendance (region_code, id)",
                "CREATE UNIQUE INDEX attendance_once ON attendance (training_id, deputy_id) WHERE NOT deleted",
            ]
        ),
        Step(
            version: 2,
            name: "sync checkpoints",
            sql: [
                // At the parent: how far each child's change log has been applied here.
                """
                CREATE TABLE sync_checkpoints (
                    sender text COLLATE "C" PRIMARY KEY,
                    acked_seq bigint NOT NULL DEFAULT 0,
                    last_batch_at timestamptz,
                    batches bigint NOT NULL DEFAULT 0,
                    changes bigint NOT NULL DEFAULT 0
                )
                """,
                // At the child: what the parent acknowledged, kept across crashes, and how the last runs went.
                """
                CREATE TABLE sync_upstream (
                    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                    parent text COLLATE "C" NOT NULL,
                    acked_seq bigint NOT NULL DEFAULT 0,
                    last_attempt_at timestamptz,
                    last_success_at timestamptz,
                    last_error text
                )
                """,
            ]
        ),
        Step(
            version: 3,
            name: "directives",
            sql: [
                // At the child: how far the parent's directives (trainings from above) have been received.
                "ALTER TABLE sync_upstream ADD COLUMN directives_seq bigint NOT NULL DEFAULT 0",
                // At the parent: its directive feed reads the change log's trainings by seq.
                "CREATE INDEX change_log_trainings ON change_log (seq) WHERE kind = 'training'",
                // Nothing looks the log up by record, and every write and every applied change paid for this index
                // (random uuids: a third of a batch's apply time).
                "DROP INDEX change_log_record",
            ]
        ),
        Step(
            version: 4,
            name: "sync edges",
            sql: [
                // At an upper node: when each node further down last delivered to its own parent, as reported by the
                // children in their batch headers; coverage marks a subtree stale from it.
                """
                CREATE TABLE sync_edges (
                    node text COLLATE "C" PRIMARY KEY,
                    last_batch_at timestamptz NOT NULL,
                    reported_by text COLLATE "C" NOT NULL,
                    reported_at timestamptz NOT NULL DEFAULT now()
                )
                """
            ]
        ),
        Step(
            version: 5,
            name: "sync failure time",
            sql: [
                // At a child: when a run with the parent last failed, kept after a later success (`last_error` is not),
                // so that /metrics can tell an operator when the edge last broke.
                "ALTER TABLE sync_upstream ADD COLUMN last_failure_at timestamptz",
                "UPDATE sync_upstream SET last_failure_at = last_attempt_at WHERE last_error IS NOT NULL",
            ]
        ),
        Step(
            version: 6,
            name: "mixed releases",
            sql: [
                // At a child: the replication schema version it last spoke to its parent (nil: none yet). Kinds a
                // version does not know are held back while it is spoken, and sent once a later version is.
                "ALTER TABLE sync_upstream ADD COLUMN spoken_schema_version integer",
                // At a child: the schema version its directives were pulled with; a release that reads more kinds
                // pulls them all again.
                "ALTER TABLE sync_upstream ADD COLUMN directives_schema_version integer",
                // At a child: the hash of the parent's topology file it last adopted or found equal to its own, so that
                // a file edited here since is told apart from one the parent sent.
                "ALTER TABLE sync_upstream ADD COLUMN parent_topology_hash text",
                // At a parent: what each child said of itself with its latest batch, refused or not (SPEC §17).
                """
                CREATE TABLE sync_child_reports (
                    sender text COLLATE "C" PRIMARY KEY,
                    release text,
                    schema_version integer NOT NULL,
                    topology_hash text NOT NULL,
                    topology_refused jsonb,
                    points_hash text,
                    points_refused jsonb,
                    reported_at timestamptz NOT NULL DEFAULT now()
                )
                """,
            ]
        ),
        Step(
            version: 7,
            name: "division changes",
            // The kinds that existed then: later kinds' tables are made with these columns.
            sql: ["deputies", "stations", "assignments", "units", "trainings", "attendance"].map { table in
                // Who owns a record is ordered by its epoch first, then by the owner's version (SPEC §15): a handover
                // raises the epoch, so the new owner's copy wins over anything the old owner still had on the way.
                """
                ALTER TABLE \(table) ADD COLUMN epoch integer NOT NULL DEFAULT 0,
                    ADD COLUMN former_region_codes jsonb NOT NULL DEFAULT '[]'
                """
            } + [
                // The node that handed a record over, on the entries that carry a handover: up to the common ancestor,
                // and down from it to the new owner as a directive.
                "ALTER TABLE change_log ADD COLUMN handed_over_by text COLLATE \"C\"",
                "CREATE INDEX change_log_directives ON change_log (seq) WHERE kind = 'training' OR handed_over_by IS NOT NULL",
                "DROP INDEX change_log_trainings",
                // At the losing node: its last word on each record it handed over (the record is gone from its table
                // here), read by the push until the parent has it, and kept after as the trace of where it went.
                """
                CREATE TABLE handed_over (
                    kind text NOT NULL,
                    id uuid PRIMARY KEY,
                    to_node text COLLATE "C" NOT NULL,
                    change jsonb NOT NULL,
                    handed_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                // Change files applied here, by the hash of their text: applying one again changes nothing.
                """
                CREATE TABLE division_changes_applied (
                    hash text PRIMARY KEY,
                    file text NOT NULL,
                    re_attributed integer NOT NULL,
                    handed_over integer NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                // Nodes whose code a change file changed (米林县 540422 → 米林市 540481), at their parent and at themselves:
                // a child presenting its token under the old code is the node under the new one, checkpoints and all.
                """
                CREATE TABLE recoded_nodes (
                    old_code text COLLATE "C" PRIMARY KEY,
                    new_code text COLLATE "C" NOT NULL,
                    recoded_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                // At a child: the lowest replication schema version spoken on the path above, as the parent said in its
                // hello; a division change waits until every node there carries handovers.
                "ALTER TABLE sync_upstream ADD COLUMN path_schema_version integer",
            ]
        ),
        Step(
            version: 8,
            name: "audit log",
            sql: [
                // SPEC §14: one entry per write, sign-in, refusal, reload; each carries the hash of the one before.
                """
                CREATE TABLE audit_log (
                    seq bigint PRIMARY KEY,
                    at_ms bigint NOT NULL,
                    actor text NOT NULL,
                    address text,
                    action text NOT NULL,
                    record text,
                    outcome text NOT NULL,
                    previous_hash text NOT NULL,
                    hash text NOT NULL
                )
                """,
                "CREATE INDEX audit_log_at ON audit_log (at_ms)",
                "CREATE INDEX audit_log_actor ON audit_log (actor, seq)",
                "CREATE INDEX audit_log_record ON audit_log (record, seq) WHERE record IS NOT NULL",
                // The newest entry: appending locks it, so entries are chained in one order.
                """
                CREATE TABLE audit_head (
                    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                    seq bigint NOT NULL,
                    hash text NOT NULL
                )
                """,
                "INSERT INTO audit_head (seq, hash) VALUES (0, '\(AuditEntry.genesis)')",
                // What `congress audit prune` removed: the chain goes on from the last removed entry's hash.
                """
                CREATE TABLE audit_pruned (
                    through_seq bigint PRIMARY KEY,
                    through_hash text NOT NULL,
                    pruned_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                // Append-only for the node's own role: no update ever, a delete only inside the audited prune (which sets
                // this transaction's `congress.audit_prune`). A superuser can still get round it: the hash chain and the
                // parent's witness are what catch that.
                """
                CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'DELETE' AND current_setting('congress.audit_prune', true) = 'on' THEN
                        RETURN OLD;
                    END IF;
                    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
                END
                $$
                """,
                "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
                "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
                // At a parent: each child's newest audit entry as its latest batch said (the witness outside the child).
                "ALTER TABLE sync_child_reports ADD COLUMN audit_seq bigint, ADD COLUMN audit_hash text",
            ]
        ),
        Step(
            version: 9,
            name: "accounts",
            sql: [
                // SPEC §14: people signing in as themselves. Passwords as bcrypt hashes, API tokens and sessions as SHA-256.
                """
                CREATE TABLE accounts (
                    name text PRIMARY KEY,
                    role text NOT NULL CHECK (role IN ('viewer', 'editor', 'admin', 'auditor')),
                    region text COLLATE "C",
                    password_hash text NOT NULL,
                    password_expired boolean NOT NULL DEFAULT true,
                    token_hash text NOT NULL UNIQUE,
                    totp_secret text,
                    totp_enabled boolean NOT NULL DEFAULT false,
                    disabled boolean NOT NULL DEFAULT false,
                    failures integer NOT NULL DEFAULT 0,
                    locked_until timestamptz,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE sessions (
                    token_hash text PRIMARY KEY,
                    account text NOT NULL REFERENCES accounts (name) ON DELETE CASCADE,
                    expires_at timestamptz NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE INDEX sessions_account ON sessions (account)",
            ]
        ),
        Step(
            version: 10,
            name: "activities and deputy groups",
            sql: [
                // SPEC §12. `on` is kept as text (ISO dates order as text): a generated column cannot cast to date.
                recordTable(
                    "activities",
                    generated: [
                        "kind text GENERATED ALWAYS AS (body->>'kind') STORED",
                        "on_date text COLLATE \"C\" GENERATED ALWAYS AS (body->>'on') STORED",
                        "station_id uuid GENERATED ALWAYS AS ((body->>'stationId')::uuid) STORED",
                        "group_id uuid GENERATED ALWAYS AS ((body->>'groupId')::uuid) STORED",
                        "confirmed boolean GENERATED ALWAYS AS (coalesce((body->>'confirmed')::boolean, false)) STORED",
                    ],
                    ownership: true
                ),
                recordTable(
                    "groups",
                    generated: [
                        "kind text GENERATED ALWAYS AS (body->>'kind') STORED",
                        "congress_code text COLLATE \"C\" GENERATED ALWAYS AS (body->>'congressCode') STORED",
                    ],
                    ownership: true
                ),
                "CREATE INDEX activities_region ON activities (region_code, id)",
                "CREATE INDEX activities_on ON activities (on_date) WHERE NOT deleted AND confirmed",
                "CREATE INDEX activities_group ON activities (group_id) WHERE group_id IS NOT NULL",
                // Whose activities: the dossier reads one mandate's, points a congress's.
                "CREATE INDEX activities_participants ON activities USING gin ((body -> 'participants'))",
                "CREATE INDEX groups_region ON groups (region_code, id)",
                "CREATE INDEX groups_congress ON groups (congress_code)",
                // The directive feed reads assignments and mandates too: those made above a station's node come down.
                "DROP INDEX change_log_directives",
                """
                CREATE INDEX change_log_directives ON change_log (seq)
                WHERE kind IN ('training', 'assignment', 'deputy') OR handed_over_by IS NOT NULL
                """,
            ]
        ),
        Step(
            version: 11,
            name: "cases and case events",
            sql: [
                // SPEC §13. The constituent's contact is no column here: it stays encrypted apart, never replicated.
                recordTable(
                    "cases",
                    generated: [
                        "kind text GENERATED ALWAYS AS (body->>'kind') STORED",
                        "channel text GENERATED ALWAYS AS (body->>'channel') STORED",
                        "registered_on text COLLATE \"C\" GENERATED ALWAYS AS (body->>'registeredOn') STORED",
                    ],
                    ownership: true
                ),
                recordTable(
                    "case_events",
                    generated: [
                        "case_id uuid GENERATED ALWAYS AS ((body->>'caseId')::uuid) STORED",
                        "action text GENERATED ALWAYS AS (body->>'action') STORED",
                    ],
                    ownership: true
                ),
                "CREATE INDEX cases_region ON cases (region_code, id)",
                "CREATE INDEX case_events_region ON case_events (region_code, id)",
                "CREATE INDEX case_events_case ON case_events (case_id)",
                // The handler's events come down to the case's origin as directives.
                "DROP INDEX change_log_directives",
                """
                CREATE INDEX change_log_directives ON change_log (seq)
                WHERE kind IN ('training', 'assignment', 'deputy', 'case_event') OR handed_over_by IS NOT NULL
                """,
            ]
        ),
        Step(
            version: 12,
            name: "constituents' contacts",
            sql: [
                // SPEC §13: a case's contact sealed under its own data key, wrapped under the node's contact key (in the
                // secrets file, never here). No record table and no change_log row: contacts never replicate. No
                // reference to the case either, so that the vault stands on its own; deleting the row shreds the key.
                """
                CREATE TABLE case_contacts (
                    case_id uuid PRIMARY KEY,
                    key_id text NOT NULL,
                    wrapped_key bytea NOT NULL,
                    sealed bytea NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    erase_after date
                )
                """,
                "CREATE INDEX case_contacts_erase_after ON case_contacts (erase_after) WHERE erase_after IS NOT NULL",
            ]
        ),
        Step(
            version: 13,
            name: "case status",
            sql: [
                // SPEC §13 figures: where each live case stands, as `CaseWorkflow` derives it from the case's events,
                // written in the transaction of every change to the case or its events (`CaseStatusStore`), so that
                // coverage and the overdue-first list are SQL. A node's own table, never replicated. Overdue is not a
                // column: it changes with the date. Rows are filled at start for cases stored before this step.
                """
                CREATE TABLE case_status (
                    case_id uuid PRIMARY KEY,
                    origin text COLLATE "C" NOT NULL,
                    region_code text COLLATE "C" NOT NULL,
                    kind text NOT NULL,
                    registered_on date NOT NULL,
                    state text NOT NULL,
                    closed_as text,
                    grade text,
                    supervised boolean NOT NULL,
                    consulted_on date,
                    satisfaction text,
                    handler text COLLATE "C" NOT NULL,
                    transferred_to text COLLATE "C",
                    due_on date,
                    due_sort date GENERATED ALWAYS AS (coalesce(due_on, 'infinity'::date)) STORED,
                    replied_on date,
                    closed_on date,
                    opinion_reply_days integer NOT NULL
                )
                """,
                // Coverage: the cases registered in a year, grouped by region prefix.
                "CREATE INDEX case_status_registered ON case_status (registered_on, region_code)",
                // The overdue-first list: open cases by deadline, then closed ones.
                "CREATE INDEX case_status_open_due ON case_status (due_sort, case_id) WHERE state <> 'closed'",
                "CREATE INDEX case_status_closed_due ON case_status (due_sort, case_id) WHERE state = 'closed'",
            ]
        ),
        Step(
            version: 14,
            name: "contact pages' codes and receipts",
            sql: [
                // SPEC §13: the short code of each deputy's and station's public page, and the receipt a constituent
                // keeps. This node's own, never replicated; a code stays once printed.
                """
                CREATE TABLE contact_codes (
                    code text PRIMARY KEY,
                    target_kind text NOT NULL,
                    target_id uuid NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    UNIQUE (target_kind, target_id)
                )
                """,
                "CREATE TABLE case_receipts (receipt text PRIMARY KEY, case_id uuid NOT NULL UNIQUE)",
            ]
        ),
        Step(
            version: 15,
            name: "contacts' data keys apart from their contacts",
            sql: [
                // SPEC §13: erasing a data key erases the backups' copies of its contact too, so the keys stay out of
                // backups (`NodeBackup` leaves this table out, and a restore keeps the live one).
                contactKeysTable,
                "INSERT INTO case_contact_keys (case_id, key_id, wrapped_key) SELECT case_id, key_id, wrapped_key FROM case_contacts",
                "ALTER TABLE case_contacts DROP COLUMN key_id, DROP COLUMN wrapped_key",
            ]
        ),
        Step(
            version: 16,
            name: "change-log compaction",
            sql: [
                // How far `ChangeLogCompactor` has gone: up to `compacted_through` the log holds only each record's newest
                // entry, so that a pass reads only what was logged since the last one. The totals are for /metrics.
                """
                CREATE TABLE change_log_compaction (
                    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                    compacted_through bigint NOT NULL DEFAULT 0,
                    superseded bigint NOT NULL DEFAULT 0,
                    tombstones bigint NOT NULL DEFAULT 0,
                    compacted_at timestamptz
                )
                """,
                "INSERT INTO change_log_compaction DEFAULT VALUES",
                // The newest entry of each record up to `compacted_through` (a handover apart: the directive feed needs
                // it until the next handover): a later entry of the record finds the one it supersedes here, by key,
                // with no index on change_log (record_id) for every write to pay for. Written by compaction only.
                """
                CREATE TABLE change_log_newest (
                    kind text NOT NULL,
                    record_id uuid NOT NULL,
                    handover boolean NOT NULL,
                    seq bigint NOT NULL,
                    version bigint NOT NULL,
                    deleted boolean NOT NULL,
                    logged_at timestamptz NOT NULL,
                    PRIMARY KEY (kind, record_id, handover)
                )
                """,
                // Tombstones, oldest entry first: what may be dropped once past the retention.
                "CREATE INDEX change_log_newest_tombstones ON change_log_newest (seq) WHERE deleted AND NOT handover",
            ]
        ),
        Step(
            version: 17,
            name: "coverage figures maintained as changes arrive",
            sql: CoverageFigureTables.steps
        ),
        Step(
            version: 18,
            name: "mandates with a legacy person key found by index",
            sql: [
                // The re-keyer looks for them at every start; without it a national node scans 2.85M mandates (14 s)
                // to find none. Empty once they are re-keyed.
                """
                CREATE INDEX deputies_legacy_person_key ON deputies (origin)
                WHERE NOT deleted AND person_key ~ '^[0-9a-f]{64}$'
                """
            ]
        ),
    ]

    /// Constituents' data keys, wrapped (SPEC §13): no reference to `case_contacts`, so that a restore, which drops and
    /// recreates that table, leaves this one as it is.
    public static let contactKeysTable = """
        CREATE TABLE IF NOT EXISTS case_contact_keys (case_id uuid PRIMARY KEY, key_id text NOT NULL, wrapped_key bytea NOT NULL)
        """

    /// The database schema version this build expects. Nodes do not compare it: what replicates is named by
    /// `ReplicationSchema`, so steps that add only a node's own tables never stop a sync.
    public static var latestVersion: Int { steps.last?.version ?? 0 }

    /// Applies the steps not yet applied. Safe to run concurrently: an advisory lock serialises nodes
    /// sharing a database, and each step commits with its version or not at all.
    public static func apply(on client: PostgresClient, logger: Logger) async throws {
        for step in steps {
            try await client.transaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(4242001)", logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """,
                    logger: logger
                )
                let rows = try await connection.query("SELECT 1 FROM schema_migrations WHERE version = \(step.version)", logger: logger)
                var applied = false
                for try await _ in rows { applied = true }
                guard !applied else { return }
                for statement in step.sql {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(step.version), \(step.name))",
                    logger: logger
                )
                logger.info("applied migration", metadata: ["version": "\(step.version)", "name": "\(step.name)"])
            }
        }
    }
}
