import CongressCore
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Constituents' contacts at this node (SPEC §13), one per case, as the `ContactVault` sealed them: the store deals in
/// bytes and never sees a key. Outside the record tables and the change log, so nothing here replicates.
public struct ContactStore: Sendable {
    /// The node's pool, which replaces its client after an outage, or a client of the caller's.
    let source: any PostgresClientSource
    var client: PostgresClient { source.client }
    let logger: Logger

    public init(client: some PostgresClientSource, logger: Logger) {
        source = client
        self.logger = logger
    }

    /// Stores the case's contact, replacing the one it had (and with it the old data key); a date set for its erasure
    /// stays.
    public func put(_ contact: SealedContact, forCase caseID: UUID) async throws {
        try await DatabaseError.translating("storing a constituent's contact") {
            try await client.withOpenConnection { connection in try await put(contact, forCase: caseID, on: connection) }
        }
    }

    /// `put` inside a transaction the caller holds (the case's creation).
    public func put(_ contact: SealedContact, forCase caseID: UUID, on connection: PostgresConnection) async throws {
        try await DatabaseError.translating("storing a constituent's contact") {
            try await connection.query(
                """
                WITH key AS (
                    INSERT INTO case_contact_keys (case_id, key_id, wrapped_key) VALUES (\(caseID), \(contact.keyID), \(contact.wrappedKey))
                    ON CONFLICT (case_id) DO UPDATE SET key_id = excluded.key_id, wrapped_key = excluded.wrapped_key
                )
                INSERT INTO case_contacts (case_id, sealed) VALUES (\(caseID), \(contact.sealed))
                ON CONFLICT (case_id) DO UPDATE SET sealed = excluded.sealed
                """,
                logger: logger
            )
        }
    }

    /// The case's sealed contact; nil when it has none (anonymous, or erased).
    public func contact(ofCase caseID: UUID) async throws -> SealedContact? {
        try await DatabaseError.translating("reading a constituent's contact") {
            let rows = try await client.query(
                // A contact restored from a backup after its key was erased has no key: it is gone.
                "SELECT k.key_id, k.wrapped_key, c.sealed FROM case_contacts c JOIN case_contact_keys k USING (case_id) WHERE case_id = \(caseID)",
                logger: logger
            )
            for try await (keyID, wrappedKey, sealed) in rows.decode((String, Data, Data).self) {
                return SealedContact(keyID: keyID, wrappedKey: wrappedKey, sealed: sealed)
            }
            return nil
        }
    }

    /// Sets the last day the case's contact is kept (its closing day plus the retention), or nil to keep it (a reopened
    /// case). False when the case has no contact.
    @discardableResult
    public func keep(contactOfCase caseID: UUID, until lastDay: CalendarDate?) async throws -> Bool {
        try await DatabaseError.translating("setting when a constituent's contact is erased") {
            let rows = try await client.query(
                "UPDATE case_contacts SET erase_after = \(lastDay?.description)::date WHERE case_id = \(caseID) RETURNING 1",
                logger: logger
            )
            for try await _ in rows { return true }
            return false
        }
    }

    /// Erases the case's contact, data key and all (on request, SPEC §13). False when it had none.
    @discardableResult
    public func erase(contactOfCase caseID: UUID) async throws -> Bool {
        try await DatabaseError.translating("erasing a constituent's contact") {
            let rows = try await client.query(
                """
                WITH key AS (DELETE FROM case_contact_keys WHERE case_id = \(caseID) RETURNING 1),
                sealed AS (DELETE FROM case_contacts WHERE case_id = \(caseID) RETURNING 1)
                SELECT EXISTS (SELECT FROM key) AND EXISTS (SELECT FROM sealed)
                """,
                logger: logger
            )
            for try await erased in rows.decode(Bool.self) { return erased }
            return false
        }
    }

    /// Erases every contact whose last day is before `today`, and, with `closedBefore`, those of cases closed before that
    /// day by a node above (the closing came down as a directive; a closed case stays closed); returns how many.
    public func eraseDue(today: CalendarDate, closedBefore: CalendarDate? = nil) async throws -> Int {
        try await DatabaseError.translating("erasing constituents' contacts past their retention") {
            let rows = try await client.query(
                """
                WITH erased AS (
                    DELETE FROM case_contacts c WHERE c.erase_after < \(today.description)::date
                        OR c.erase_after IS NULL AND EXISTS (
                            SELECT FROM case_events e WHERE e.case_id = c.case_id AND NOT e.deleted
                                AND e.action IN (\(unescaped: RecordStore.closingActions)) AND e.body ->> 'on' < \(closedBefore?.description))
                        -- Brought back by a restore after their keys were erased: unreadable, and now gone.
                        OR NOT EXISTS (SELECT FROM case_contact_keys k WHERE k.case_id = c.case_id)
                    RETURNING c.case_id
                ),
                keys AS (
                    DELETE FROM case_contact_keys k WHERE k.case_id IN (SELECT case_id FROM erased)
                        -- Keys of contacts a restore took away (taken after the backup): nothing left to open.
                        OR NOT EXISTS (SELECT FROM case_contacts c WHERE c.case_id = k.case_id)
                )
                SELECT count(*) FROM erased JOIN case_contact_keys k USING (case_id)
                """,
                logger: logger
            )
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }
}

extension RecordStore {
    public var contacts: ContactStore { ContactStore(client: source, logger: logger) }
}
