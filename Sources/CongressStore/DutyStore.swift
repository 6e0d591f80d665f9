import CongressCore
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A mandate as a ranking names it.
public struct RankedMandate: Sendable {
    public var id: UUID
    public var name: String
}

/// Duty performance (SPEC §12) read from the records this node holds: what each mandate did in a year, for its points,
/// and one mandate's activities and sign-ins, for its dossier.
extension RecordStore {
    /// The in-office mandates of `congress` held here, by name.
    public func mandatesInOffice(congress: RegionCode) async throws -> [RankedMandate] {
        try await DatabaseError.translating("reading the mandates of congress \(congress)") {
            let rows = try await client.query(
                """
                SELECT id, body ->> 'name' FROM deputies
                WHERE congress_code = \(congress.rawValue) AND status = \(Deputy.Status.inOffice.rawValue) AND NOT deleted
                """,
                logger: logger
            )
            var mandates: [RankedMandate] = []
            for try await (id, name) in rows.decode((UUID, String).self) { mandates.append(RankedMandate(id: id, name: name)) }
            return mandates
        }
    }

    /// Whose year `tallies` counts.
    public enum Mandates: Sendable {
        /// The in-office mandates of a congress, as `mandatesInOffice` reads them.
        case inOffice(congress: RegionCode)
        case ids([UUID])
    }

    /// What each mandate of `mandates` did in `year` (China's calendar year), as the rules count it: confirmed live
    /// activities it took part in, by kind; its live sign-ins (`training_attended`); the suggestions registered that
    /// year it signed (`suggestion_submitted`, the lead and every co-signer) or led (`suggestion_lead`); the opinions it
    /// received that were closed that year (`opinion_handled`). With `records`, each count carries the ids behind it,
    /// in date order.
    public func tallies(_ mandates: Mandates, year: Int, records: Bool) async throws -> [UUID: PointsTally] {
        let (from, through) = ("\(year)-01-01", "\(year)-12-31")
        // A congress is named rather than its ids sent: a province's 90,000 ids would be the bulk of the query.
        let (congress, ids): (String?, [UUID]) =
            switch mandates {
            case .inOffice(let congress): (congress.rawValue, [])
            case .ids(let ids): (nil, ids)
            }
        return try await DatabaseError.translating("counting what mandates did in \(year)") {
            let rows = try await client.query(
                """
                WITH m AS (
                    SELECT id FROM deputies
                    WHERE congress_code = \(congress) AND status = \(Deputy.Status.inOffice.rawValue) AND NOT deleted
                    UNION SELECT unnest(\(ids)::uuid[])
                ),
                participations AS (
                    SELECT p.deputy::uuid AS deputy, a.id, a.kind, a.on_date,
                        coalesce((a.body ->> 'halfDays')::int, 1) AS half_days, coalesce((a.body ->> 'constituentsMet')::int, 0) AS people
                    FROM activities a CROSS JOIN LATERAL jsonb_array_elements_text(a.body -> 'participants') AS p(deputy)
                    WHERE NOT a.deleted AND a.confirmed AND a.on_date BETWEEN \(from) AND \(through)
                ),
                sign_ins AS (
                    SELECT deputy_id AS deputy, id, body ->> 'signedInAt' AS at FROM attendance
                    WHERE NOT deleted AND deputy_id IN (SELECT id FROM m)
                        AND extract(year FROM (body ->> 'signedInAt')::timestamptz AT TIME ZONE 'Asia/Shanghai') = \(year)
                ),
                signed AS (
                    SELECT s.deputy::uuid AS deputy, c.id, c.registered_on AS on_date, s.position
                    FROM cases c CROSS JOIN LATERAL jsonb_array_elements_text(c.body -> 'deputyIds') WITH ORDINALITY AS s(deputy, position)
                    WHERE NOT c.deleted AND c.kind = \(CaseKind.suggestion.rawValue) AND c.registered_on BETWEEN \(from) AND \(through)
                ),
                handled AS (
                    SELECT (c.body #>> '{deputyIds,0}')::uuid AS deputy, c.id, min(e.body ->> 'on') AS on_date
                    FROM cases c JOIN case_events e ON e.case_id = c.id AND NOT e.deleted
                        AND e.action IN (\(unescaped: Self.closingActions))
                    WHERE NOT c.deleted AND c.kind = \(CaseKind.opinion.rawValue) AND jsonb_array_length(c.body -> 'deputyIds') > 0
                    GROUP BY c.id HAVING min(e.body ->> 'on') BETWEEN \(from) AND \(through)
                ),
                cases_counted AS (
                    SELECT deputy, id, on_date, \(PointsRules.Counted.suggestionSubmitted.rawValue) AS kind FROM signed
                    UNION ALL SELECT deputy, id, on_date, \(PointsRules.Counted.suggestionLead.rawValue) FROM signed WHERE position = 1
                    UNION ALL SELECT deputy, id, on_date, \(PointsRules.Counted.opinionHandled.rawValue) FROM handled
                )
                SELECT deputy, kind, count(*)::int, sum(half_days)::int, sum(people)::int,
                    CASE WHEN \(records) THEN array_agg(id ORDER BY on_date, id) END
                FROM participations WHERE deputy IN (SELECT id FROM m) GROUP BY deputy, kind
                UNION ALL
                SELECT deputy, \(PointsRules.Counted.trainingAttended.rawValue), count(*)::int, 0, 0,
                    CASE WHEN \(records) THEN array_agg(id ORDER BY at, id) END
                FROM sign_ins GROUP BY deputy
                UNION ALL
                SELECT deputy, kind, count(*)::int, 0, 0, CASE WHEN \(records) THEN array_agg(id ORDER BY on_date, id) END
                FROM cases_counted WHERE deputy IN (SELECT id FROM m) GROUP BY deputy, kind
                """,
                logger: logger
            )
            var tallies: [UUID: PointsTally] = [:]
            for try await (deputy, kind, count, halfDays, people, ids) in rows.decode((UUID, String, Int, Int, Int, [UUID]?).self) {
                guard let counted = PointsRules.Counted(rawValue: kind) else { continue }
                tallies[deputy, default: PointsTally()].counts[counted] = PointsTally.Count(
                    occurrences: count,
                    halfDays: halfDays,
                    constituents: people,
                    records: ids ?? []
                )
            }
            return tallies
        }
    }

    /// The workflow's actions that close a case, as SQL text.
    static let closingActions = [CaseAction.close, .answerOnSpot, .explain].map { "'\($0.rawValue)'" }.joined(separator: ", ")

    /// Every live case `deputy` received or signed, newest first.
    public func cases(of deputy: UUID) async throws -> [Record<Case>] {
        try await DatabaseError.translating("reading the cases of deputy \(deputy)") {
            let rows = try await client.query(
                """
                SELECT \(unescaped: Self.columns) FROM cases
                WHERE NOT deleted AND body -> 'deputyIds' @> jsonb_build_array(\(deputy.uuidString))
                ORDER BY registered_on DESC, id
                """,
                logger: logger
            )
            return try await Self.records(Case.self, from: rows)
        }
    }

    /// Every live activity `deputy` took part in, confirmed or not, newest first.
    public func activities(of deputy: UUID) async throws -> [Record<Activity>] {
        try await DatabaseError.translating("reading the activities of deputy \(deputy)") {
            // Bodies hold ids as Swift writes them (upper case): the containment test uses the GIN index.
            let rows = try await client.query(
                """
                SELECT \(unescaped: Self.columns) FROM activities
                WHERE NOT deleted AND body -> 'participants' @> jsonb_build_array(\(deputy.uuidString))
                ORDER BY on_date DESC, id
                """,
                logger: logger
            )
            return try await Self.records(Activity.self, from: rows)
        }
    }

    /// Every live sign-in of `deputy`, newest first, with its training's title when this node holds the training.
    public func signIns(of deputy: UUID) async throws -> [(record: Record<Attendance>, training: String?)] {
        try await DatabaseError.translating("reading the sign-ins of deputy \(deputy)") {
            let rows = try await client.query(
                """
                SELECT \(unescaped: Self.columns) FROM attendance WHERE NOT deleted AND deputy_id = \(deputy)
                ORDER BY body ->> 'signedInAt' DESC, id
                """,
                logger: logger
            )
            let signIns = try await Self.records(Attendance.self, from: rows)
            let titles = try await client.query(
                "SELECT id, body ->> 'title' FROM trainings WHERE id = ANY(\(signIns.map(\.body.trainingId)))",
                logger: logger
            )
            var titleOf: [UUID: String] = [:]
            for try await (id, title) in titles.decode((UUID, String).self) { titleOf[id] = title }
            return signIns.map { ($0, titleOf[$0.body.trainingId]) }
        }
    }

    /// The live mandates held here of the person with `personKey`, but `deputy`'s own.
    public func otherMandates(of deputy: UUID, personKey: String) async throws -> [Record<Deputy>] {
        try await DatabaseError.translating("reading the other mandates of deputy \(deputy)") {
            let rows = try await client.query(
                """
                SELECT \(unescaped: Self.columns) FROM deputies WHERE person_key = \(personKey) AND id <> \(deputy) AND NOT deleted
                ORDER BY congress_code, id
                """,
                logger: logger
            )
            return try await Self.records(Deputy.self, from: rows)
        }
    }
}
