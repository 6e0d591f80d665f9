import CongressCore
import CongressStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Duty performance (SPEC §12): points by the rules in force, a congress's ranking and one deputy's dossier.
struct DutyService: Sendable {
    let store: RecordStore
    let points: PointsInForce

    /// `GET /v1/points`: every in-office mandate of `congress` held here, ranked by its points for `year`.
    func ranking(congress: RegionCode, year: Int) async throws -> PointsRanking {
        guard store.node.contains(congress) else {
            throw APIError(
                .forbidden,
                code: "out_of_scope",
                message: "congress \(congress) is outside this node's subtree (\(store.node))",
                field: "congress"
            )
        }
        let rules = try self.rules(congress: congress, year: year)
        let mandates = try await store.mandatesInOffice(congress: congress)
        let tallies = try await store.tallies(.inOffice(congress: congress), year: year, records: false)
        let scored = mandates.map { mandate in
            (deputyId: mandate.id, name: mandate.name, points: rules.total(tallies[mandate.id] ?? PointsTally()))
        }
        return PointsRanking(congress: congress, year: year, scored: scored)
    }

    /// The rules of `congress` for `year`, or why there are none.
    private func rules(congress: RegionCode, year: Int) throws -> PointsRules {
        guard let rules = points.current.content.rules.first(where: { $0.congress == congress && $0.year == year }) else {
            throw APIError(
                .notFound,
                code: "not_found",
                message: "no points rules for congress \(congress) in \(year): a congress without points/\(congress)/\(year).yaml has no scores"
            )
        }
        return rules
    }

    /// `GET /v1/deputies/ID/dossier` (一代表一档案): the mandate with its activities, sign-ins and scores, and the same
    /// for each other mandate of the person this node holds.
    func dossier(deputy id: UUID) async throws -> Dossier {
        let deputy = try await store.require(Deputy.self, id: id)
        var others: [Record<Deputy>] = []
        if let personKey = deputy.body.personKey { others = try await store.otherMandates(of: id, personKey: personKey) }
        var otherSections: [Dossier.Section] = []
        for other in others { otherSections.append(try await section(other)) }
        return Dossier(section: try await section(deputy), otherMandates: otherSections)
    }

    /// One mandate's part of a dossier: scored for each year its congress has rules for, newest first.
    private func section(_ deputy: Record<Deputy>) async throws -> Dossier.Section {
        let years = points.current.content.rules.filter { $0.congress == deputy.body.congressCode }.sorted { $0.year > $1.year }
        var scores: [PointsScore] = []
        for rules in years {
            let tally = try await store.tallies(.ids([deputy.meta.id]), year: rules.year, records: true)[deputy.meta.id]
            scores.append(rules.score(tally ?? PointsTally()))
        }
        let signIns = try await store.signIns(of: deputy.meta.id).map { Dossier.SignIn(record: $0.record, extra: .init(trainingTitle: $0.training)) }
        return Dossier.Section(
            deputy: deputy,
            activities: try await store.activities(of: deputy.meta.id),
            attendance: signIns,
            cases: try await store.cases(of: deputy.meta.id),
            points: scores
        )
    }
}

/// A deputy's dossier as SPEC Appendix B names it: `deputy`, `otherMandates`, `activities`, `attendance`, `cases`,
/// `points`; each other mandate carries its own activities, sign-ins and points.
struct Dossier: Encodable {
    typealias SignIn = Beside<Attendance, TrainingTitle>

    struct TrainingTitle: Encodable {
        var trainingTitle: String?
    }

    struct Section: Encodable {
        var deputy: Record<Deputy>
        var activities: [Record<Activity>]
        var attendance: [SignIn]
        /// Cases (SPEC §13) the mandate received or signed, as this node holds them (above the registering node,
        /// without their subject and text).
        var cases: [Record<Case>]
        var points: [PointsScore]
    }

    var section: Section
    var otherMandates: [Section]

    private enum CodingKeys: String, CodingKey { case deputy, otherMandates, activities, attendance, cases, points }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(section.deputy, forKey: .deputy)
        try container.encode(otherMandates, forKey: .otherMandates)
        try container.encode(section.activities, forKey: .activities)
        try container.encode(section.attendance, forKey: .attendance)
        try container.encode(section.cases, forKey: .cases)
        try container.encode(section.points, forKey: .points)
    }

    /// The dossier without person keys, for those who may not see them (SPEC §14).
    func hidingPersonKeys() -> Dossier {
        func hidden(_ section: Section) -> Section {
            var copy = section
            copy.deputy.body.personKey = nil
            return copy
        }
        return Dossier(section: hidden(section), otherMandates: otherMandates.map(hidden))
    }

    /// One row per activity, sign-in and points line of each mandate, for a spreadsheet.
    var csv: String {
        var rows = [
            [
                "deputy_id", "name", "congress", "entry", "year", "date", "kind", "title", "half_days", "constituents", "confirmed", "rule", "count",
                "points", "records",
            ]
        ]
        for mandate in [section] + otherMandates {
            let who = [mandate.deputy.meta.id.uuidString, mandate.deputy.body.name, mandate.deputy.body.congressCode.rawValue]
            for activity in mandate.activities {
                let body = activity.body
                rows.append(
                    who + [
                        "activity", "\(body.on.year)", "\(body.on)", body.kind.rawValue, body.title, "\(body.halfDays ?? 1)",
                        "\(body.constituentsMet ?? 0)",
                        "\(body.confirmed ?? false)", "", "", "", activity.meta.id.uuidString,
                    ]
                )
            }
            for signIn in mandate.attendance {
                let at = signIn.record.body.signedInAt.map { CalendarDate($0.date, timeZone: "Asia/Shanghai") }
                rows.append(
                    who + [
                        "sign_in", at.map { "\($0.year)" } ?? "", at.map { "\($0)" } ?? "", PointsRules.Counted.trainingAttended.rawValue,
                        signIn.extra.trainingTitle ?? "", "", "", "", "", "", "", signIn.record.meta.id.uuidString,
                    ]
                )
            }
            for score in mandate.points {
                for line in score.lines {
                    rows.append(
                        who + [
                            "points", "\(score.year)", "", "", "", "", "", "", line.source ?? line.rule, "\(line.count)", "\(line.points)",
                            line.records.map(\.uuidString).joined(separator: " "),
                        ]
                    )
                }
                rows.append(who + ["points", "\(score.year)", "", "", "", "", "", "", "total", "", "\(score.total)", ""])
            }
        }
        return CSVText.table(rows)
    }
}
