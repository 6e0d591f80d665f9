import CongressCore
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The codes of this node's public contact pages and the receipts handed out there (SPEC §13). Both are this node's
/// own: no record table and no change_log row, so nothing here replicates.
public struct ContactPageStore: Sendable {
    /// The node's pool, which replaces its client after an outage, or a client of the caller's.
    let source: any PostgresClientSource
    var client: PostgresClient { source.client }
    let logger: Logger

    /// The contact code of each of `targets`, made for those without one. A code once given stays: it is printed.
    public func codes(of kind: ContactPage.Target, _ targets: [UUID]) async throws -> [UUID: String] {
        guard !targets.isEmpty else { return [:] }
        return try await DatabaseError.translating("giving contact codes") {
            var codes: [UUID: String] = [:]
            // A new code that happens to be taken already (about 2^-49 a time) leaves its target without one: try again.
            while true {
                let missing = targets.filter { codes[$0] == nil }
                let rows = try await client.query(
                    """
                    WITH wanted AS (SELECT unnest(\(missing)::uuid[]) AS target_id, unnest(\(missing.map { _ in ContactPage.newCode() })::text[]) AS code),
                    made AS (
                        INSERT INTO contact_codes (code, target_kind, target_id) SELECT code, \(kind.rawValue), target_id FROM wanted
                        ON CONFLICT DO NOTHING RETURNING target_id, code
                    )
                    SELECT target_id, code FROM made
                    UNION ALL SELECT target_id, code FROM contact_codes WHERE target_kind = \(kind.rawValue) AND target_id = ANY(\(missing))
                    """,
                    logger: logger
                )
                for try await (target, code) in rows.decode((UUID, String).self) { codes[target] = code }
                if codes.count == Set(targets).count { return codes }
            }
        }
    }

    /// The contact codes `targets` have already, without making any.
    public func existingCodes(of kind: ContactPage.Target, _ targets: [UUID]) async throws -> [UUID: String] {
        try await DatabaseError.translating("reading contact codes") {
            let rows = try await client.query(
                "SELECT target_id, code FROM contact_codes WHERE target_kind = \(kind.rawValue) AND target_id = ANY(\(targets))",
                logger: logger
            )
            var codes: [UUID: String] = [:]
            for try await (target, code) in rows.decode((UUID, String).self) { codes[target] = code }
            return codes
        }
    }

    /// Whose page `code` opens, if anyone's.
    public func target(ofCode code: String) async throws -> (kind: ContactPage.Target, id: UUID)? {
        try await DatabaseError.translating("looking up a contact code") {
            let rows = try await client.query("SELECT target_kind, target_id FROM contact_codes WHERE code = \(code)", logger: logger)
            for try await (kind, id) in rows.decode((String, UUID).self) {
                if let kind = ContactPage.Target(rawValue: kind) { return (kind, id) }
            }
            return nil
        }
    }

    /// Records the receipt of a case registered from a contact page, inside the case's own transaction.
    public func putReceipt(_ receipt: String, forCase caseID: UUID, on connection: PostgresConnection) async throws {
        try await DatabaseError.translating("storing a receipt") {
            try await connection.query("INSERT INTO case_receipts (receipt, case_id) VALUES (\(receipt), \(caseID))", logger: logger)
        }
    }

    /// The case a receipt was given for.
    public func caseID(ofReceipt receipt: String) async throws -> UUID? {
        try await DatabaseError.translating("looking up a receipt") {
            let rows = try await client.query("SELECT case_id FROM case_receipts WHERE receipt = \(receipt)", logger: logger)
            for try await id in rows.decode(UUID.self) { return id }
            return nil
        }
    }

    /// The receipts of those of `cases` that came from a contact page.
    public func receipts(ofCases cases: [UUID]) async throws -> [UUID: String] {
        guard !cases.isEmpty else { return [:] }
        return try await DatabaseError.translating("reading receipts") {
            let rows = try await client.query("SELECT case_id, receipt FROM case_receipts WHERE case_id = ANY(\(cases))", logger: logger)
            var receipts: [UUID: String] = [:]
            for try await (id, receipt) in rows.decode((UUID, String).self) { receipts[id] = receipt }
            return receipts
        }
    }
}

extension RecordStore {
    public var contactPages: ContactPageStore { ContactPageStore(source: source, logger: logger) }
}
