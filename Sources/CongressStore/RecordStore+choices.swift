import CongressCore
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the staff's forms offer to pick and list (SPEC §12): the deputies an activity or group may name, and the
/// activities recorded here lately.
extension RecordStore {
    /// In-office mandates this node can name as participants or members, by name: the same mandates `checkParticipants`
    /// accepts (of the subtree by region or congress, or assigned to one of its stations). `nameContaining` narrows them.
    public func nameableMandates(nameContaining text: String?, limit: Int) async throws -> [Record<Deputy>] {
        let text = text ?? ""
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns) FROM deputies d
            WHERE NOT d.deleted AND d.status = \(Deputy.Status.inOffice.rawValue)
              AND (d.region_code LIKE \(node.rawValue) || '%' OR d.congress_code LIKE \(node.rawValue) || '%'
                   OR EXISTS (SELECT FROM assignments a WHERE a.deputy_id = d.id AND NOT a.deleted AND a.region_code LIKE \(node.rawValue) || '%'))
              AND (\(text) = '' OR strpos(d.body->>'name', \(text)) > 0)
            ORDER BY d.body->>'name', d.id LIMIT \(limit)
            """,
            logger: logger
        )
        return try await Self.records(Deputy.self, from: rows)
    }

    /// The latest activities this node recorded (it alone may confirm them), the most recent day first.
    public func recentActivities(limit: Int) async throws -> [Record<Activity>] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns) FROM activities WHERE origin = \(node.rawValue) AND NOT deleted
            ORDER BY on_date DESC, updated_at DESC LIMIT \(limit)
            """,
            logger: logger
        )
        return try await Self.records(Activity.self, from: rows)
    }
}
