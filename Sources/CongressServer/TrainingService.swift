import CongressCore
import CongressStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The rules of a training's sign-ins, roster and progress (SPEC §9).
struct TrainingService: Sendable {
    let store: RecordStore

    /// One sign-in as a branch node sends it; `walkIn` is the node's to decide.
    struct SignInInput: Decodable, Sendable {
        var deputyId: UUID
        var venueId: UUID
        var mode: Attendance.Mode
        var signedInAt: Timestamp?
    }

    /// Signs deputies in, one sign-in per person, all or none. A deputy outside the audience is refused unless the
    /// training allows walk-ins; `field` names an input's field in errors (`[3].deputyId` in a bulk request).
    func signIn(
        training id: UUID,
        _ inputs: [SignInInput],
        field: @escaping @Sendable (_ index: Int, _ name: String) -> String
    ) async throws -> (created: [PreparedRecord<Attendance>], held: [SignIn]) {
        guard !inputs.isEmpty else { throw InputError(.badRequest, message: "the array holds no sign-ins") }
        let node = store.node
        return try await store.signIn(training: id, deputies: inputs.map(\.deputyId)) { training, deputies in
            try inputs.enumerated().map { (index, input) throws(InputError) in
                try Self.prepare(input, field: { field(index, $0) }, training: training, deputies: deputies, node: node)
            }
        }
    }

    private static func prepare(
        _ input: SignInInput,
        field: (String) -> String,
        training: Record<Training>,
        deputies: [UUID: Record<Deputy>],
        node: RegionCode
    ) throws(InputError) -> PreparedRecord<Attendance> {
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
        _ = try body.validate(regionCode: nil, node: node)
        return PreparedRecord(id: UUID(), regionCode: nil, body: body)
    }

    func training(_ id: UUID) async throws -> Record<Training> {
        try await store.require(Training.self, id: id)
    }

    func roster(of id: UUID) async throws -> (Record<Training>, Roster) {
        let training = try await training(id)
        let candidates = try await store.rosterCandidates(for: training.body.audience)
        return (training, Roster.compute(for: training.body, candidates: candidates))
    }

    /// A training's roster beside its sign-ins, by person.
    struct Tally {
        var training: Record<Training>
        var roster: Roster
        var signIns: [SignIn]
        /// Persons of the audience, and those signed in by any of their mandates.
        var audience: Set<String>
        var signedIn: Set<String>
        var covered: Set<String> { audience.intersection(signedIn) }
    }

    func tally(_ id: UUID) async throws -> Tally {
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

    func signIns(training id: UUID) async throws -> [Record<Attendance>] {
        _ = try await training(id)
        return try await store.signIns(training: id).map(\.record).sorted { $0.meta.id.uuidString < $1.meta.id.uuidString }
    }

    func signedIn(_ id: UUID) async throws -> Record<Attendance> {
        try await store.require(Attendance.self, id: id)
    }
}
