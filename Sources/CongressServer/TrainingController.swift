import CongressCore
import CongressStore
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A training's roster, sign-ins and progress (SPEC §9), mounted at `/v1/trainings`; the plan itself is an ordinary
/// record.
struct TrainingController: Sendable {
    let trainings: TrainingService

    var reads: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("{id}/attendance", use: attendance)
            .get("{id}/roster", use: roster)
            .get("{id}/progress", use: progress)
            .get("{id}/progress/absentees", use: absentees)
    }

    var writes: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .post("{id}/attendance", use: signIn)
    }

    struct BulkSummary: Encodable {
        var created: Int
        var unchanged: Int
    }

    /// `POST …/attendance`: one sign-in (201, or 200 with the one held when the person is already signed in) or an
    /// array of them (200 with counts; all written or none).
    @Sendable func signIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.recordID()
        let data = try await JSONBody.collect(request, limit: BodyLimit.bulk)
        let bulk = data.first { !" \n\r\t".utf8.contains($0) } == UInt8(ascii: "[")
        typealias Input = TrainingService.SignInInput
        let inputs: [Input]
        do {
            inputs = bulk ? try StrictDecoder().decode([Input].self, from: data) : [try StrictDecoder().decode(Input.self, from: data)]
        } catch {
            // An unknown training is 404 whatever the body; a known one's sign-ins are checked in their transaction.
            _ = try await trainings.training(id)
            throw error
        }
        let outcome = try await trainings.signIn(training: id, inputs) { index, name in bulk ? "[\(index)].\(name)" : name }
        context.logger.info(
            "signed in",
            metadata: ["training": "\(id)", "created": "\(outcome.created.count)", "unchanged": "\(outcome.held.count)"]
        )
        if bulk { return try JSONBody.response(.ok, BulkSummary(created: outcome.created.count, unchanged: inputs.count - outcome.created.count)) }
        if let created = outcome.created.first { return try JSONBody.response(.created, try await trainings.signedIn(created.id)) }
        return try JSONBody.response(.ok, outcome.held[0].record)
    }

    @Sendable func attendance(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try request.query(accepting: [])
        return try JSONBody.response(.ok, ListResponse(items: try await trainings.signIns(training: try context.recordID()), nextCursor: nil))
    }

    struct RosterView: Encodable {
        var trainingId: UUID
        var audience: Int
        var venues: [Roster.VenueLoad]
        var overflow: [Roster.Overflow]
        var unplaced: Int
    }

    /// `GET …/roster`: per venue the persons expected and the overflow; `?format=csv` lists every person.
    @Sendable func roster(_ request: Request, context: AppRequestContext) async throws -> Response {
        let format = try Self.format(request)
        let (training, roster) = try await trainings.roster(of: try context.recordID())
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

    /// `GET …/progress`: per venue expected / signed in / online; persons covered of the audience; absentees.
    @Sendable func progress(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try request.query(accepting: [])
        let tally = try await trainings.tally(try context.recordID())
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
    @Sendable func absentees(_ request: Request, context: AppRequestContext) async throws -> Response {
        let format = try Self.format(request)
        let tally = try await trainings.tally(try context.recordID())
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
        try request.query(accepting: [ExportFormat.parameter]).choice("format", as: ExportFormat.self) ?? .json
    }
}
