import CongressCore
import Logging
import PostgresNIO

/// Records for a generated province (or country), written straight into the node's tables as replication would have
/// left them (origin: the county): per township 21 villages, about 5 stations, 69 mandates (at five levels) of 55
/// persons, assignments and sign-ins to one training of the root's; optionally a year's activities and cases.
///
/// Written in SQL: the store writes others' records only by applying a sync batch (`BatchApplier.apply`), and a province
/// of them built as batches in this process would make the setup the long part of the run.
enum ProvinceData {
    static func generate(
        townships: [RegionCode],
        root: RegionCode = RegionCode("42")!,
        villagesPerTownship villages: Int = 21,
        mandatesPerTownship: Int = 69,
        personsPerTownship: Int = 55,
        activitiesPerTownship: Int = 0,
        casesPerTownship: Int = 0,
        on client: PostgresClient
    ) async throws -> String {
        let logger = Logger(label: "bench")
        let codes = townships.map(\.rawValue)
        let statements =
            [
                """
                INSERT INTO units (id, origin, region_code, version, updated_at, body)
                SELECT md5('unit' || t || v)::uuid, left(t, 6), t || lpad(v::text, 3, '0'), 1, now(),
                       jsonb_build_object('code', t || lpad(v::text, 3, '0'), 'name', '村' || v, 'urbanRuralClass', '220')
                FROM unnest($1::text[]) AS t, generate_series(1, \(villages)) AS v
                """,
                """
                INSERT INTO stations (id, origin, region_code, version, updated_at, body)
                SELECT md5('station' || t || s)::uuid, left(t, 6), CASE WHEN s = 1 THEN t ELSE t || lpad(s::text, 3, '0') END, 1, now(),
                       jsonb_build_object(
                           'name', '代表联络站' || s,
                           'type', (ARRAY['home', 'station', 'contact_point', 'online', 'industry', 'centre'])[1 + (s + length(t)) % 6],
                           'status', CASE WHEN h % 17 = 0 THEN 'closed' WHEN h % 10 = 0 THEN 'suspended' ELSE 'active' END,
                           'coveredUnits', (SELECT jsonb_agg(t || lpad(v::text, 3, '0')) FROM generate_series(1, \(villages)) v WHERE v % 5 = s % 5),
                           'standards', jsonb_build_object('site', h % 7 <> 0, 'staff', h % 11 <> 0, 'rules', true, 'activities', h % 5 <> 0,
                                                           'funds', h % 3 <> 0, 'equipment', h % 13 <> 0),
                           'staff', '[]'::jsonb)
                FROM unnest($1::text[]) AS t, generate_series(1, 5 + abs(hashtext(t)) % 2) AS s, LATERAL (SELECT abs(hashtext(t || s)) AS h) AS hash
                """,
                """
                INSERT INTO deputies (id, origin, region_code, version, updated_at, body)
                SELECT md5('deputy' || t || n)::uuid, left(t, 6), t || lpad((1 + n % \(villages))::text, 3, '0'), 1, now(),
                       jsonb_build_object(
                           'name', '代表' || n, 'gender', CASE WHEN n % 3 = 0 THEN 'female' ELSE 'male' END, 'term', 15,
                           'level', level, 'congressCode', CASE level WHEN 'national' THEN 'CN' WHEN 'province' THEN left(t, 2)
                               WHEN 'city' THEN left(t, 4) WHEN 'county' THEN left(t, 6) ELSE t END,
                           'status', CASE WHEN n % 23 = 0 THEN 'resigned' ELSE 'in_office' END,
                           'personKey', md5('person' || t || (n % \(personsPerTownship))))
                FROM unnest($1::text[]) AS t, generate_series(0, \(mandatesPerTownship - 1)) AS n,
                     LATERAL (SELECT CASE WHEN n % 69 < 40 THEN 'township' WHEN n % 69 < 58 THEN 'county' WHEN n % 69 < 65 THEN 'city'
                                          WHEN n % 69 < 68 THEN 'province' ELSE 'national' END AS level) AS l
                """,
                """
                INSERT INTO assignments (id, origin, region_code, version, updated_at, body)
                SELECT md5('assignment' || t || n)::uuid, left(t, 6), t, 1, now(),
                       jsonb_build_object('deputyId', md5('deputy' || t || n)::uuid, 'stationId', md5('station' || t || (1 + n % 5))::uuid,
                                          'role', 'resident', 'since', '2022-01-01')
                FROM unnest($1::text[]) AS t, generate_series(0, \(mandatesPerTownship - 1)) AS n WHERE n % 3 <> 0
                """,
                """
                INSERT INTO trainings (id, origin, region_code, version, updated_at, body)
                VALUES (md5('training')::uuid, '\(root)', '\(root)', 1, now(), jsonb_build_object(
                    'title', '代表履职培训', 'organizer', '\(root)', 'startsOn', '2026-11-01', 'endsOn', '2026-11-30', 'mode', 'hybrid',
                    'audience', jsonb_build_object('levels', '["township", "county"]'::jsonb, 'regionPrefix', '\(root)'),
                    'venues', jsonb_build_array(jsonb_build_object('id', md5('venue')::uuid, 'kind', 'main', 'regionCode', '\(root)',
                                                                   'name', '主会场', 'capacity', 100000))))
                """,
                """
                INSERT INTO attendance (id, origin, region_code, version, updated_at, body)
                SELECT md5('attendance' || t || n)::uuid, left(t, 6), '\(root)', 1, now(),
                       jsonb_build_object('trainingId', md5('training')::uuid, 'venueId', md5('venue')::uuid,
                                          'deputyId', md5('deputy' || t || n)::uuid, 'mode', 'online', 'signedInAt', '2026-11-02T09:00:00Z')
                FROM unnest($1::text[]) AS t, generate_series(0, \(mandatesPerTownship - 1)) AS n WHERE n % 4 = 0
                """,
            ] + yearOfWork(activities: activitiesPerTownship, cases: casesPerTownship, mandates: mandatesPerTownship) + ["ANALYZE"]
        for statement in statements {
            var binds = PostgresBindings()
            if statement.contains("$1") { binds.append(codes) }
            try await client.query(PostgresQuery(unsafeSQL: statement, binds: binds), logger: logger)
        }
        var parts: [String] = []
        for table in ["units", "stations", "deputies", "assignments", "attendance"] + (activitiesPerTownship > 0 ? ["activities"] : [])
            + (casesPerTownship > 0 ? ["cases"] : [])
        {
            let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: logger)
            for try await count in rows.decode(Int.self) { parts.append("\(count) \(table)") }
        }
        return parts.joined(separator: ", ")
    }

    /// This year's activities (each naming up to three of the township's mandates) and cases, with the status rows the
    /// figures read (`case_status`, as `CaseStatusStore` would have written them): opinions due 15 days after they
    /// were registered, a tenth of them still open.
    private static func yearOfWork(activities: Int, cases: Int, mandates: Int) -> [String] {
        let today = Activity.today()
        let yearStart = "\(today.year)-01-01"
        let days = (0...366).first { CalendarDate(yearStart)!.adding(days: $0) == today }! + 1
        let kinds = Activity.Kind.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        var statements: [String] = []
        if activities > 0 {
            statements.append(
                """
                INSERT INTO activities (id, origin, region_code, version, updated_at, body)
                SELECT md5('activity' || t || a)::uuid, left(t, 6), t, 1, now(),
                       jsonb_build_object(
                           'kind', (ARRAY[\(kinds)])[1 + a % \(Activity.Kind.allCases.count)], 'title', '活动' || a,
                           'on', to_char('\(yearStart)'::date + (abs(hashtext(t || a)) % \(days)), 'YYYY-MM-DD'), 'regionCode', t,
                           'participants', (SELECT jsonb_agg(upper(md5('deputy' || t || ((a * 7 + p) % \(mandates)))::uuid::text))
                                            FROM generate_series(0, a % 3) AS p),
                           'constituentsMet', a % 30, 'halfDays', 1, 'confirmed', a % 10 <> 0)
                FROM unnest($1::text[]) AS t, generate_series(1, \(activities)) AS a
                """
            )
        }
        if cases > 0 {
            let registered = "'\(yearStart)'::date + (abs(hashtext(t || c)) % \(days))"
            statements += [
                """
                INSERT INTO cases (id, origin, region_code, version, updated_at, body)
                SELECT md5('case' || t || c)::uuid, left(t, 6), t, 1, now(),
                       jsonb_build_object('kind', CASE WHEN c % 4 = 0 THEN 'suggestion' ELSE 'opinion' END, 'channel', 'reception',
                                          'subject', '意见' || c, 'content', '村口路灯不亮', 'regionCode', t,
                                          'registeredOn', to_char(\(registered), 'YYYY-MM-DD'))
                FROM unnest($1::text[]) AS t, generate_series(1, \(cases)) AS c
                """,
                """
                INSERT INTO case_status (case_id, origin, region_code, kind, registered_on, state, supervised, handler, due_on,
                                         closed_on, opinion_reply_days)
                SELECT md5('case' || t || c)::uuid, left(t, 6), t, CASE WHEN c % 4 = 0 THEN 'suggestion' ELSE 'opinion' END,
                       \(registered), CASE WHEN c % 10 = 0 THEN 'registered' ELSE 'closed' END, false, left(t, 6),
                       CASE WHEN c % 4 <> 0 THEN \(registered) + 15 END, CASE WHEN c % 10 <> 0 THEN \(registered) + 10 END, 15
                FROM unnest($1::text[]) AS t, generate_series(1, \(cases)) AS c
                """,
            ]
        }
        return statements
    }
}
