import CongressCore
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension RecordStore {
    /// The region of each record, checking the records it refers to inside the write's transaction
    /// (locked `FOR SHARE`, so a referenced deputy or station cannot be deleted under the write).
    func resolveRegions<Body: RecordBody>(_ records: [PreparedRecord<Body>], on connection: PostgresConnection) async throws -> [RegionCode] {
        let prefix = { (index: Int, field: String) in records.count == 1 ? field : "[\(index)].\(field)" }
        switch Body.kind {
        case .assignment:
            let assignments = records.compactMap { $0.body as? Assignment }
            let deputies = try await liveRegions(of: .deputy, ids: assignments.map(\.deputyId), on: connection)
            let stations = try await liveRegions(of: .station, ids: assignments.map(\.stationId), on: connection)
            return try assignments.enumerated().map { index, assignment in
                guard deputies[assignment.deputyId] != nil else {
                    throw StoreError(.unprocessable, "no deputy with id \(assignment.deputyId)", field: prefix(index, "deputyId"))
                }
                guard let region = stations[assignment.stationId] else {
                    throw StoreError(.unprocessable, "no station with id \(assignment.stationId)", field: prefix(index, "stationId"))
                }
                return region
            }
        case .attendance:
            let signIns = records.compactMap { $0.body as? Attendance }
            let deputies = try await liveRegions(of: .deputy, ids: signIns.map(\.deputyId), on: connection)
            let trainings = try await liveTrainings(ids: signIns.map(\.trainingId), on: connection)
            return try signIns.enumerated().map { index, signIn in
                guard let training = trainings[signIn.trainingId] else {
                    throw StoreError(.unprocessable, "no training with id \(signIn.trainingId)", field: prefix(index, "trainingId"))
                }
                guard let venue = training.venue(signIn.venueId) else {
                    throw StoreError(.unprocessable, "training \(signIn.trainingId) has no venue \(signIn.venueId)", field: prefix(index, "venueId"))
                }
                guard deputies[signIn.deputyId] != nil else {
                    throw StoreError(.unprocessable, "no deputy with id \(signIn.deputyId)", field: prefix(index, "deputyId"))
                }
                guard node.contains(venue.regionCode) else {
                    throw StoreError(
                        .unprocessable,
                        "venue \(venue.name) (\(venue.regionCode)) is outside this node's subtree",
                        field: prefix(index, "venueId")
                    )
                }
                return venue.regionCode
            }
        case .activity:
            for (index, record) in records.enumerated() {
                guard let activity = record.body as? Activity else { continue }
                try await checkParticipants(
                    activity.participants.enumerated().map { (prefix(index, "participants[\($0)]"), $1) },
                    congress: nil,
                    on: connection
                )
                if let station = activity.stationId {
                    try await checkInSubtree(.station, id: station, field: prefix(index, "stationId"), on: connection)
                }
                if let group = activity.groupId {
                    try await checkInSubtree(.group, id: group, field: prefix(index, "groupId"), on: connection)
                }
            }
            return try Self.givenRegions(records, prefix: prefix)
        case .group:
            for (index, record) in records.enumerated() {
                guard let group = record.body as? DeputyGroup else { continue }
                try await checkParticipants(
                    group.members.enumerated().map { (prefix(index, "members[\($0)].deputyId"), $1.deputyId) },
                    congress: group.congressCode,
                    on: connection
                )
            }
            return try Self.givenRegions(records, prefix: prefix)
        case .caseRecord:
            for (index, record) in records.enumerated() {
                guard let registered = record.body as? Case else { continue }
                // A suggestion is its congress's: registered at that congress's node, by its own deputies.
                try await checkParticipants(
                    registered.deputyIds.enumerated().map { (prefix(index, "deputyIds[\($0)]"), $1) },
                    congress: registered.kind == .suggestion ? node : nil,
                    on: connection
                )
                if let station = registered.stationId {
                    try await checkInSubtree(.station, id: station, field: prefix(index, "stationId"), on: connection)
                }
            }
            return try Self.givenRegions(records, prefix: prefix)
        case .caseEvent:
            var regions: [RegionCode] = []
            for record in records {
                guard let event = record.body as? CaseEvent else { continue }
                regions.append(try await checkFollows(event, id: record.id, on: connection))
            }
            return regions
        case .deputy, .station, .unit, .training:
            return try Self.givenRegions(records, prefix: prefix)
        }
    }

    private static func givenRegions<Body: RecordBody>(
        _ records: [PreparedRecord<Body>],
        prefix: (Int, String) -> String
    ) throws -> [RegionCode] {
        try records.enumerated().map { index, record in
            guard let region = record.regionCode else {
                throw StoreError(.unprocessable, "missing regionCode", field: prefix(index, "regionCode"))
            }
            return region
        }
    }

    /// Deputies taking part in an activity or belonging to a group (SPEC §12): mandates this node can see — owned in its
    /// subtree, or assigned to one of its stations (they come down from above for that; a copy that stays after the
    /// assignment ends does not count) — in office, and of `congress` when given. One not seen here lies in another
    /// subtree (403).
    private func checkParticipants(_ deputies: [(field: String, id: UUID)], congress: RegionCode?, on connection: PostgresConnection) async throws {
        var binds = PostgresBindings()
        binds.append(node.rawValue)
        binds.append(Array(Set(deputies.map(\.id))))
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT d.id, d.status, d.congress_code, \(Self.nameableByNode)
                    FROM deputies d WHERE NOT d.deleted AND d.id = ANY($2) FOR SHARE OF d
                    """,
                binds: binds
            ),
            logger: logger
        )
        var found: [UUID: (status: String, congress: String, visible: Bool)] = [:]
        for try await (id, status, congress, visible) in rows.decode((UUID, String, String, Bool).self) { found[id] = (status, congress, visible) }
        for (field, id) in deputies {
            guard let deputy = found[id], deputy.visible else {
                throw StoreError(
                    .forbidden,
                    "deputy \(id) is not a mandate of this node's subtree (\(node)) nor assigned to one of its stations",
                    field: field
                )
            }
            guard deputy.status == Deputy.Status.inOffice.rawValue else {
                throw StoreError(.unprocessable, "deputy \(id) is \(deputy.status), not in office", field: field)
            }
            if let congress, deputy.congress != congress.rawValue {
                throw StoreError(.unprocessable, "deputy \(id) is a mandate of congress \(deputy.congress), not of \(congress)", field: field)
            }
        }
    }

    /// Whether the deputy `d` is a mandate this node may name as a participant or member (SPEC §12): owned in its
    /// subtree, or assigned to one of its stations (it came down for that; a copy kept after the assignment ends does
    /// not count). `$1` is the node's code.
    static let nameableByNode = """
        (d.origin LIKE $1 || '%'
         OR EXISTS (SELECT FROM assignments a WHERE a.deputy_id = d.id AND NOT a.deleted AND a.region_code LIKE $1 || '%'))
        """

    /// Whether `event` may follow its case's events (SPEC §13): the case is locked for the rest of the transaction, so
    /// two events written at once are checked one after the other. Returns the case's region, the event's.
    private func checkFollows(_ event: CaseEvent, id: UUID, on connection: PostgresConnection) async throws -> RegionCode {
        let locked = try await connection.query(
            "SELECT \(unescaped: Self.columns) FROM cases WHERE id = \(event.caseId) AND NOT deleted FOR UPDATE",
            logger: logger
        )
        guard let registered = try await Self.records(Case.self, from: locked).first else {
            throw StoreError(.unprocessable, "no case with id \(event.caseId)", field: "caseId")
        }
        let rows = try await connection.query(
            "SELECT \(unescaped: Self.columns) FROM case_events WHERE case_id = \(event.caseId) AND NOT deleted",
            logger: logger
        )
        let steps = try await Self.records(CaseEvent.self, from: rows).map { $0.body.step(id: $0.meta.id, node: $0.meta.origin) }
        let workflow = registered.body.workflow(origin: registered.meta.origin, deadlines: .standard)
        do {
            try workflow.check(event.step(id: id, node: node), after: workflow.status(after: steps, today: Activity.today()))
        } catch {
            let reason: StoreError.Reason =
                switch error.reason {
                case .state: .conflict
                case .node: .forbidden
                case .input: .unprocessable
                }
            throw StoreError(reason, "case \(event.caseId): \(error.message)", field: error.field)
        }
        return registered.meta.regionCode
    }

    /// A station or group an activity names: live here (422) and of this node's subtree (403).
    private func checkInSubtree(_ kind: RecordKind, id: UUID, field: String, on connection: PostgresConnection) async throws {
        guard let region = try await liveRegions(of: kind, ids: [id], on: connection)[id] else {
            throw StoreError(.unprocessable, "no \(kind.rawValue) with id \(id)", field: field)
        }
        guard node.contains(region) else {
            throw StoreError(.forbidden, "\(kind.rawValue) \(id) lies in \(region), outside this node's subtree (\(node))", field: field)
        }
    }

    private func liveRegions(of kind: RecordKind, ids: [UUID], on connection: PostgresConnection) async throws -> [UUID: RegionCode] {
        let ids = Array(Set(ids))
        var regions: [UUID: RegionCode] = [:]
        for chunk in budget.chunks(count: ids.count) {
            let rows = try await connection.query(
                "SELECT id, region_code FROM \(unescaped: kind.collection) WHERE NOT deleted AND id = ANY(\(Array(ids[chunk]))) FOR SHARE",
                logger: logger
            )
            for try await (id, region) in rows.decode((UUID, String).self) { regions[id] = RegionCode(region) }
        }
        return regions
    }

    private func liveTrainings(ids: [UUID], on connection: PostgresConnection) async throws -> [UUID: Training] {
        let ids = Array(Set(ids))
        var trainings: [UUID: Training] = [:]
        for chunk in budget.chunks(count: ids.count) {
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM trainings WHERE NOT deleted AND id = ANY(\(Array(ids[chunk]))) FOR SHARE",
                logger: logger
            )
            for training in try await Self.records(Training.self, from: rows) { trainings[training.meta.id] = training.body }
        }
        return trainings
    }
}
