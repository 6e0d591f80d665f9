import CongressCore
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension RecordStore {
    /// Re-keys up to `limit` of this node's own mandates whose `personKey` an older release derived (the bare HMAC):
    /// each gets the slow key `deriver` makes of it, with a new version, so that the new key replicates up and replaces
    /// the old one everywhere. Mandates of other origins are their own nodes' to re-key. Returns how many were re-keyed
    /// (0: none left). Rows being edited meanwhile are skipped, not waited for.
    public func rekeyLegacyPersonKeys(limit: Int, using deriver: PersonKeyDeriver) async throws -> Int {
        try await DatabaseError.translating("re-keying person keys") {
            try await client.transaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    SELECT id, person_key FROM deputies
                    WHERE origin = \(node.rawValue) AND NOT deleted AND person_key ~ '^[0-9a-f]{64}$'
                    LIMIT \(limit) FOR UPDATE SKIP LOCKED
                    """,
                    logger: logger
                )
                var found: [(UUID, String)] = []
                for try await (id, legacy) in rows.decode((UUID, String).self) {
                    if let key = deriver.rekeyed(legacy: legacy) { found.append((id, key)) }
                }
                guard !found.isEmpty else { return 0 }
                let versions = try await nextSeqs(found.count, on: connection)
                try await connection.query(
                    """
                    WITH w AS (SELECT * FROM unnest(\(found.map(\.0))::uuid[], \(found.map(\.1))::text[], \(versions)::bigint[]) AS w(id, key, version)),
                    changed AS (
                        UPDATE deputies t SET body = jsonb_set(t.body, '{personKey}', to_jsonb(w.key)), version = w.version, updated_at = now()
                        FROM w WHERE t.id = w.id
                        RETURNING t.id, t.origin, t.region_code, t.version
                    )
                    INSERT INTO change_log (seq, kind, record_id, origin, region_code, version, deleted)
                    SELECT version, \(RecordKind.deputy.rawValue), id, origin, region_code, version, false FROM changed
                    """,
                    logger: logger
                )
                return found.count
            }
        }
    }
}
