import CongressCore
import CongressStore
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A training's roster, sign-ins and progress (SPEC §9); the plan itself is an ordinary record (`/v1/trainings`).
struct TrainingController: Sendable {
    let store: RecordStore

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/v1/trainings/{id}/attendance", use: signIn)
        api.add(.get, "/v1/trainings/{id}/attendance", use: attendance)
        api.add(.get, "/v1/trainings/{id}/roster", use: roster)
        api.add(.get, "/v1/trainings/{id}/progress", use: progress)
        api.add(.get, "/v1/trainings/{id}/progress/absentees", use: absentees)
    }

    /// One sign-in as a branch node sends it; `walkIn` is the node's to decide.
    struct SignInInput: Decodable, Sendable {
        var deputyId: UUID
        var venueId: UUID
        var mode: Attendance.Mode
        var signedInAt: Timestamp?
    }

    struct BulkSummary: Encodable {
        var created: Int
        var unchanged: Int
    }

    /// `POST …/attendance`: one sign-in (201, or 200 with the one held when the person is already signed in) or an
    /// array of them (200 with counts; all written or none). A deputy outside the audience is refused unless the
    /// training allows walk-ins.
    @Sendable func signIn(_ request: Request, context: some RequestContext) async throws -> Response {
        let training = try await store.require(Training.self, id: try RecordController<Training>.id(context))
        let data = try await JSONBody.collect(request, limit: BodyLimit.bulk)
        let bulk = data.first { !" \n\r\t".utf8.contains($0) } == UInt8(ascii: "[")
        let inputs = bulk ? try StrictDecoder().decode([SignInInput].self, from: data) : [try StrictDecoder().decode(SignInInput.self, from: data)]
        guard !inputs.isEmpty else { throw InputError(.badRequest, message: "the array holds no sign-ins") }
        let deputies = try await store.existing(Deputy.self, ids: inputs.map(\.deputyId))
        var records: [PreparedRecord<Attendance>] = []
        for (index, input) in inputs.enumerated() {
            let field = { (name: String) in bulk ? "[\(index)].\(name)" : name }
            guard let venue = training.body.venue(input.venueId) else {
                throw InputError(field: field("venueId"), message: "training \(training.meta.id) has no venue \(input.venueId)")
            }
            guard training.body.allows(input.mode) else {
                throw InputError(field: field("mode"), message: "a \(training.body.mode.rawValue) training takes no \(input.mode.rawValue) sign-ins")
            }
            guard let deputy = deputies[input.deputyId], !deputy.meta.deleted else {
                throw InputError(field: field("deputyId"), message: "no deputy with id \(input.deputyId) at this node")
            }
            let admitted = training.body.admits(deputy.body, regionCode: deputy.meta.regionCode)
            guard admitted || training.body.walkIns == true else {
                throw InputError(
                    field: field("deputyId"),
                    message:
                        "\(deputy.body.name) (\(deputy.body.level.rawValue), \(deputy.body.status.rawValue), \(deputy.meta.regionCode)) is not on the roster "
                        + "of '\(training.body.title)' (audience: \(training.body.audience.levels.map(\.rawValue).joined(separator: ", ")) in "
                        + "\(training.body.audience.regionPrefix)), and it takes no walk-ins"
                )
            }
            var body = Attendance(
                trainingId: training.meta.id,
                venueId: venue.id!,
                deputyId: input.deputyId,
                mode: input.mode,
                signedInAt: input.signedInAt,
                walkIn: admitted ? nil : true
            )
            _ = try body.validate(regionCode: nil, node: store.node)
            records.append(PreparedRecord(id: UUID(), regionCode: nil, body: body))
        }
        let outcome = try await store.signIn(records)
        context.logger.info(
            "signed in",
            metadata: ["training": "\(training.meta.id)", "created": "\(outcome.created.count)", "unchanged": "\(outcome.held.count)"]
        )
        if bulk { return try JSONBody.response(.ok, BulkSummary(created: outcome.created.count, unchanged: records.count - outcome.created.count)) }
        if let created = outcome.created.first { return try JSONBody.response(.created, try await store.require(Attendance.self, id: created.id)) }
        return try JSONBody.response(.ok, outcome.held[0].record)
    }

    @Sendable func attendance(_ request: Request, context: some RequestContext) async throws -> Response {
        let training = try await store.require(Training.self, id: try RecordController<Training>.id(context))
        let items = try await store.signIns(training: training.meta.id).map(\.record).sorted { $0.meta.id.uuidString < $1.meta.id.uuidString }
        return try JSONBody.response(.ok, ListResponse(items: items, nextCursor: nil))
    }

    private func roster(of id: UUID) async throws -> (Record<Training>, Roster) {
        let training = try await store.require(Training.self, id: id)
        let candidates = try await store.rosterCandidates(for: training.body.audience)
        return (training, Roster.compute(for: training.body, candidates: candidates))
    }

    struct RosterView: Encodable {
        var trainingId: UUID
        var audience: Int
        var venues: [Roster.VenueLoad]
        var overflow: [Roster.Overflow]
        var unplaced: Int
    }

    /// `GET …/roster`: per venue the persons expected and the overflow; `?format=csv` lists every person.
    @Sendable func roster(_ request: Request, context: some RequestContext) async throws -> Response {
        let format = try Self.format(request)
        let (training, roster) = try await roster(of: try RecordController<Training>.id(context))
        guard format == .csv else {
            return try JSONBody.response(
                .ok,
                RosterView(
                    trainingId: training.meta.id,
                    audience: roster.audience,
                    venues: roster.venues,
                    overflow: roster.overflow,
                    unplaced: roster.unplaced
                )
            )
        }
        let names = roster.venueNames
        let rows = roster.entries.map { entry in
            [
                entry.candidate.deputyId.uuidString.lowercased(), entry.candidate.name, entry.candidate.regionCode.rawValue,
                entry.venueId.flatMap { names[$0] } ?? "", entry.online ? "online" : "onsite", "\(entry.overflowed)",
            ]
        }
        return CSVBody.response([["deputyId", "name", "regionCode", "venue", "mode", "overflowed"]] + rows, file: "roster-\(training.meta.id).csv")
    }

    struct ProgressView: Encodable {
        struct Venue: Encodable {
            var venueId: UUID
            var name: String
            var regionCode: String
            var expected: Int
            var signedIn: Int
            var online: Int
        }

        var trainingId: UUID
        /// Distinct persons of the audience held at this node.
        var audience: Int
        /// Of those, persons signed in (at any venue, by any of their mandates).
        var covered: Int
        var venues: [Venue]
        var absentees: Int
        /// Sign-ins of persons outside the audience (only where the training allows walk-ins).
        var walkIns: Int
    }

    private struct Tally {
        var training: Record<Training>
        var roster: Roster
        var signIns: [SignIn]
        /// Persons of the audience, and those signed in by any of their mandates.
        var audience: Set<String>
        var signedIn: Set<String>
        var covered: Set<String> { audience.intersection(signedIn) }
    }

    private func tally(_ id: UUID) async throws -> Tally {
        let (training, roster) = try await roster(of: id)
        let signIns = try await store.signIns(training: id)
        return Tally(
            training: training,
            roster: roster,
            signIns: signIns,
            audience: Set(roster.entries.map(\.candidate.person)),
            signedIn: Set(signIns.compactMap(\.person))
        )
    }

    /// `GET …/progress`: per venue expected / signed in / online; persons covered of the audience; absentees.
    @Sendable func progress(_ request: Request, context: some RequestContext) async throws -> Response {
        let tally = try await tally(try RecordController<Training>.id(context))
        let venues = tally.roster.venues.map { load in
            let here = tally.signIns.filter { $0.record.body.venueId == load.venueId }
            return ProgressView.Venue(
                venueId: load.venueId,
                name: load.name,
                regionCode: load.regionCode,
                expected: load.expected,
                signedIn: here.count { $0.record.body.mode == .onsite },
                online: here.count { $0.record.body.mode == .online }
            )
        }
        let covered = tally.covered.count
        let view = ProgressView(
            trainingId: tally.training.meta.id,
            audience: tally.roster.audience,
            covered: covered,
            venues: venues,
            absentees: tally.roster.audience - covered,
            walkIns: tally.signedIn.subtracting(tally.audience).count
        )
        return try JSONBody.response(.ok, view)
    }

    struct Absentee: Encodable {
        var deputyId: UUID
        var name: String
        var regionCode: String
        var venueId: UUID?
        var venue: String?
    }

    /// `GET …/progress/absentees`: the persons of the audience not signed in, with the venue they were expected at,
    /// for make-up sessions (补训); `?format=csv` for a spreadsheet.
    @Sendable func absentees(_ request: Request, context: some RequestContext) async throws -> Response {
        let format = try Self.format(request)
        let tally = try await tally(try RecordController<Training>.id(context))
        let names = tally.roster.venueNames
        let covered = tally.covered
        let absent = tally.roster.entries.filter { !covered.contains($0.candidate.person) }.map { entry in
            Absentee(
                deputyId: entry.candidate.deputyId,
                name: entry.candidate.name,
                regionCode: entry.candidate.regionCode.rawValue,
                venueId: entry.venueId,
                venue: entry.venueId.flatMap { names[$0] }
            )
        }
        guard format == .csv else { return try JSONBody.response(.ok, ["items": absent]) }
        let rows = absent.map { [$0.deputyId.uuidString.lowercased(), $0.name, $0.regionCode, $0.venue ?? ""] }
        return CSVBody.response([["deputyId", "name", "regionCode", "venue"]] + rows, file: "absentees-\(tally.training.meta.id).csv")
    }

    /// `?format=json|csv`, the only parameter these exports take.
    private static func format(_ request: Request) throws -> ExportFormat {
        var format = ExportFormat.json
        for (name, value) in request.uri.queryParameters {
            guard name == "format" else { throw InputError.unknownParameter(String(name), known: ["format"]) }
            format = try ExportFormat.parameter(String(value))
        }
        return format
    }
}
