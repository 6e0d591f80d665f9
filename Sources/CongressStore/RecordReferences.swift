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
        case .deputy, .station, .unit, .training:
            return try records.enumerated().map { index, record in
                guard let region = record.regionCode else {
                    throw StoreError(.unprocessable, "missing regionCode", field: prefix(index, "regionCode"))
                }
                return region
            }
        }
    }

    private func liveRegions(of kind: RecordKind, ids: [UUID], on connection: PostgresConnection) async throws -> [UUID: RegionCode] {
        let rows = try await connection.query(
            "SELECT id, region_code FROM \(unescaped: kind.collection) WHERE NOT deleted AND id = ANY(\(Array(Set(ids)))) FOR SHARE",
            logger: logger
        )
        var regions: [UUID: RegionCode] = [:]
        for try await (id, region) in rows.decode((UUID, String).self) { regions[id] = RegionCode(region) }
        return regions
    }

    private func liveTrainings(ids: [UUID], on connection: PostgresConnection) async throws -> [UUID: Training] {
        let rows = try await connection.query(
            "SELECT \(unescaped: Self.columns) FROM trainings WHERE NOT deleted AND id = ANY(\(Array(Set(ids)))) FOR SHARE",
            logger: logger
        )
        return Dictionary(uniqueKeysWithValues: try await Self.records(Training.self, from: rows).map { ($0.meta.id, $0.body) })
    }
}
