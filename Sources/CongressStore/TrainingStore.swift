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
        let rows = try await client.query(
            "SELECT \(unescaped: Self.columns) FROM attendance WHERE training_id = \(training) AND NOT deleted",
            logger: logger
        )
        let records = try await Self.records(Attendance.self, from: rows)
        let persons = try await personsOf(deputies: records.map(\.body.deputyId))
        return records.map { SignIn(record: $0, person: persons[$0.body.deputyId]) }
    }

    /// Writes the sign-ins of persons not yet signed in for their training (by any of their mandates) and returns
    /// them; the others are left as they are and returned as already held. All are written or none.
    public func signIn(_ records: [PreparedRecord<Attendance>]) async throws -> (created: [PreparedRecord<Attendance>], held: [SignIn]) {
        guard let training = records.first?.body.trainingId else { return ([], []) }
        let persons = try await personsOf(deputies: records.map(\.body.deputyId))
        let existing = try await signIns(training: training)
        let signedIn = Dictionary(existing.compactMap { signIn in signIn.person.map { ($0, signIn) } }, uniquingKeysWith: { first, _ in first })
        var created: [PreparedRecord<Attendance>] = []
        var held: [SignIn] = []
        var seen = Set<String>()
        for record in records {
            let person = persons[record.body.deputyId] ?? record.body.deputyId.uuidString.lowercased()
            if let signIn = signedIn[person] {
                held.append(signIn)
            } else if seen.insert(person).inserted {
                created.append(record)
            }
        }
        if !created.isEmpty { _ = try await importRecords(created) }
        return (created, held)
    }

    private func personsOf(deputies: [UUID]) async throws -> [UUID: String] {
        let rows = try await client.query(
            "SELECT id, coalesce(person_key, id::text) FROM deputies WHERE id = ANY(\(Array(Set(deputies))))",
            logger: logger
        )
        var persons: [UUID: String] = [:]
        for try await (id, person) in rows.decode((UUID, String).self) { persons[id] = person }
        return persons
    }
}
