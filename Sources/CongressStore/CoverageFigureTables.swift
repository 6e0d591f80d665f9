/// The tables behind the maintained coverage figures (issue 20, SPEC §11): what every write marks as changed, and the
/// counts per cell kept up to date from it by `CoverageFigureStore`.
///
/// A cell is a record's region code cut to the deepest width of the node's topology (a township's nine digits at a
/// province node; a county's own six-digit records are a cell of their own). Every figure of a region is the sum of
/// its cells' but distinct persons, which `coverage_persons` corrects for.
enum CoverageFigureTables {
    static let steps: [String] =
        [
            // What changed since the figures were last brought up to date: regions whose cells are recounted, and
            // persons (their personKey) whose mandates or trainings changed. Written by the statement triggers below
            // in the writer's own transaction, so that no write path can be missed; '*' asks for a full recount.
            """
            CREATE TABLE coverage_dirty (
                region_code text COLLATE "C",
                person text COLLATE "C"
            )
            """,
            // Each cell's counts (`CoverageCounts`, as JSON), stamped with the revision that last wrote them: a reader
            // holding revision N reads only the rows above it. A cell that empties keeps its row (all zeros).
            """
            CREATE TABLE coverage_cells (
                cell text COLLATE "C" PRIMARY KEY,
                counts jsonb NOT NULL,
                revision bigint NOT NULL
            )
            """,
            "CREATE INDEX coverage_cells_revision ON coverage_cells (revision)",
            // Persons with in-office mandates in two cells or more: summing cells counts them once per cell. A person
            // no longer in two cells keeps a row with no cells, so that readers learn it.
            """
            CREATE TABLE coverage_persons (
                person text COLLATE "C" PRIMARY KEY,
                cells text[] COLLATE "C" NOT NULL,
                trained boolean NOT NULL,
                revision bigint NOT NULL
            )
            """,
            "CREATE INDEX coverage_persons_revision ON coverage_persons (revision)",
            // What the cells were counted for: a different cell width or year, or a day gone backwards, recounts all
            // (a new generation); days going forwards recount only the cells whose assignments or deadlines they cross.
            """
            CREATE TABLE coverage_state (
                singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                generation bigint NOT NULL DEFAULT 0,
                revision bigint NOT NULL DEFAULT 0,
                cell_width integer,
                today date,
                china_today date
            )
            """,
            "INSERT INTO coverage_state DEFAULT VALUES",
            // A participant or person key that is no UUID matches no mandate instead of failing the writer's statement.
            """
            CREATE FUNCTION coverage_uuid(text) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
                SELECT CASE WHEN $1 ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN $1::uuid END
            $$
            """,
            // Recounting a few cells looks up a village's stations, a cell's cases and a mandate's sign-ins by index.
            "CREATE INDEX stations_covered_units ON stations USING gin ((body -> 'coveredUnits'))",
            "CREATE INDEX case_status_region ON case_status (region_code)",
            "CREATE INDEX attendance_deputy ON attendance (deputy_id)",
            """
            CREATE FUNCTION coverage_dirty_everything() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO coverage_dirty (region_code) VALUES ('*');
                RETURN NULL;
            END
            $$
            """,
        ]
        + dirtyTriggers(
            "deputies",
            // A person without a key is a mandate of its own: their cell is enough.
            "SELECT region_code, person_key FROM rows"
        )
        + dirtyTriggers(
            "stations",
            """
            SELECT region_code, NULL FROM rows
            UNION SELECT code, NULL FROM rows
                CROSS JOIN jsonb_array_elements_text(CASE jsonb_typeof(body -> 'coveredUnits') WHEN 'array' THEN body -> 'coveredUnits' ELSE '[]' END) AS code
            UNION SELECT d.region_code, NULL FROM rows JOIN assignments a ON a.station_id = rows.id JOIN deputies d ON d.id = a.deputy_id
            """
        )
        + dirtyTriggers("assignments", "SELECT d.region_code, NULL FROM rows JOIN deputies d ON d.id = rows.deputy_id")
        + dirtyTriggers("units", "SELECT region_code, NULL FROM rows")
        + dirtyTriggers(
            "trainings",
            """
            SELECT CASE WHEN d.person_key IS NULL THEN d.region_code END, d.person_key
            FROM rows JOIN attendance t ON t.training_id = rows.id JOIN deputies d ON d.id = t.deputy_id
            """
        )
        + dirtyTriggers(
            "attendance",
            "SELECT CASE WHEN d.person_key IS NULL THEN d.region_code END, d.person_key FROM rows JOIN deputies d ON d.id = rows.deputy_id"
        )
        + dirtyTriggers(
            "activities",
            """
            SELECT region_code, NULL FROM rows
            UNION SELECT d.region_code, NULL FROM rows
                CROSS JOIN jsonb_array_elements_text(CASE jsonb_typeof(body -> 'participants') WHEN 'array' THEN body -> 'participants' ELSE '[]' END) AS p
                JOIN deputies d ON d.id = coverage_uuid(p)
            UNION SELECT g.region_code, NULL FROM rows JOIN groups g ON g.id = rows.group_id
            """
        )
        + dirtyTriggers("groups", "SELECT region_code, NULL FROM rows")
        + dirtyTriggers("case_status", "SELECT region_code, NULL FROM rows")

    /// Statement triggers marking what a write to `table` changes: `selection` names `rows`, which is the statement's
    /// new rows, old rows or both (transition tables are per event in PostgreSQL). A TRUNCATE asks for a full recount.
    private static func dirtyTriggers(_ table: String, _ selection: String) -> [String] {
        func function(_ name: String, _ sources: [String]) -> String {
            let selections = sources.map { selection.replacing("rows", with: $0) }.joined(separator: "\nUNION ")
            return """
                CREATE FUNCTION coverage_dirty_\(table)_\(name)() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO coverage_dirty (region_code, person)
                    SELECT DISTINCT * FROM (\(selections)) AS dirty (region_code, person)
                    WHERE region_code IS NOT NULL OR person IS NOT NULL;
                    RETURN NULL;
                END
                $$
                """
        }
        func trigger(_ event: String, _ referencing: String, _ name: String) -> String {
            """
            CREATE TRIGGER coverage_dirty_\(name) AFTER \(event) ON \(table) REFERENCING \(referencing)
            FOR EACH STATEMENT EXECUTE FUNCTION coverage_dirty_\(table)_\(name)()
            """
        }
        return [
            function("inserted", ["new_rows"]),
            function("updated", ["new_rows", "old_rows"]),
            function("deleted", ["old_rows"]),
            trigger("INSERT", "NEW TABLE AS new_rows", "inserted"),
            trigger("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", "updated"),
            trigger("DELETE", "OLD TABLE AS old_rows", "deleted"),
            """
            CREATE TRIGGER coverage_dirty_truncated AFTER TRUNCATE ON \(table)
            FOR EACH STATEMENT EXECUTE FUNCTION coverage_dirty_everything()
            """,
        ]
    }
}
