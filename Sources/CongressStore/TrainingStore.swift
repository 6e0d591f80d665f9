import CongressCore
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A sign-in with the person it counts for.
public struct SignIn: Sendable {
    public var record: Record<Attendance>
    /// The signed-in deputy's `personKey` (or id); nil when this node does not hold the deputy.
    public var person: String?
}

extension RecordStore {
    /// The in-office mandates of an audience held here, for the roster.
    public func rosterCandidates(for audience: Training.Audience) async throws -> [RosterCandidate] {
        let prefix = audience.regionPrefix.isNation ? "" : audience.regionPrefix.rawValue
        let rows = try await client.query(
            """
            SELECT id, coalesce(person_key, id::text), region_code, body->>'name' FROM deputies
            WHERE NOT deleted AND status = 'in_office' AND level = ANY(\(audience.levels.map(\.rawValue)))
                AND region_code LIKE \(prefix + "%")
            """,
            logger: logger
        )
        var candidates: [RosterCandidate] = []
        for try await (id, person, region, name) in rows.decode((UUID, String, String, String?).self) {
            guard let region = RegionCode(region) else { continue }
            candidates.append(RosterCandidate(deputyId: id, person: person, regionCode: region, name: name ?? ""))
        }
        return candidates
    }

    /// The live sign-ins of a training held here.
    public func signIns(training: UUID) async throws -> [SignIn] {
        try await client.withOpenConnection { connection in try await signIns(training: training, on: connection) }
    }

    private func signIns(training: UUID, on connection: PostgresConnection) async throws -> [SignIn] {
        let rows = try await connection.query(
            "SELECT \(unescaped: Self.columns) FROM attendance WHERE training_id = \(training) AND NOT deleted",
            logger: logger
        )
        let records = try await Self.records(Attendance.self, from: rows)
        let persons = try await personsOf(deputies: records.map(\.body.deputyId), on: connection)
        return records.map { SignIn(record: $0, person: persons[$0.body.deputyId]) }
    }

    /// Signs deputies in for a training, one sign-in per person (by any of their mandates), in one transaction: the
    /// training's row is locked, so two sign-ins of one person under two mandates cannot both land. `prepare` applies
    /// the training's rules to the training and the deputies (tombstones included) as they are inside the transaction.
    /// Returns the sign-ins written and, for persons already signed in, the sign-in held; all are written or none.
    public func signIn(
        training id: UUID,
        deputies: [UUID],
        prepare: @escaping @Sendable (Record<Training>, [UUID: Record<Deputy>]) throws -> [PreparedRecord<Attendance>]
    ) async throws -> (created: [PreparedRecord<Attendance>], held: [SignIn]) {
        try await client.transaction(logger: logger) { connection in
            guard let training = try await lockRows(Training.self, ids: [id], on: connection)[id], !training.meta.deleted else {
                throw StoreError(.notFound, "no training with id \(id)")
            }
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM deputies WHERE id = ANY(\(Array(Set(deputies)))) FOR SHARE",
                logger: logger
            )
            let held = Dictionary(uniqueKeysWithValues: try await Self.records(Deputy.self, from: rows).map { ($0.meta.id, $0) })
            let records = try prepare(training, held)
            let persons = try await personsOf(deputies: records.map(\.body.deputyId), on: connection)
            let existing = try await signIns(training: id, on: connection)
            let signedIn = Dictionary(existing.compactMap { signIn in signIn.person.map { ($0, signIn) } }, uniquingKeysWith: { first, _ in first })
            var created: [PreparedRecord<Attendance>] = []
            var kept: [SignIn] = []
            var seen = Set<String>()
            for record in records {
                let person = persons[record.body.deputyId] ?? record.body.deputyId.uuidString.lowercased()
                if let signIn = signedIn[person] {
                    kept.append(signIn)
                } else if seen.insert(person).inserted {
                    created.append(record)
                }
            }
            if !created.isEmpty { _ = try await importRecords(created, on: connection) }
            return (created, kept)
        }
    }

    private func personsOf(deputies: [UUID], on connection: PostgresConnection) async throws -> [UUID: String] {
        let rows = try await connection.query(
            "SELECT id, coalesce(person_key, id::text) FROM deputies WHERE id = ANY(\(Array(Set(deputies))))",
            logger: logger
        )
        var persons: [UUID: String] = [:]
        for try await (id, person) in rows.decode((UUID, String).self) { persons[id] = person }
        return persons
    }
}
