import CongressCore
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the staff's forms offer to pick and list (SPEC §12, §13): the deputies an activity, group or case may name, the
/// activities recorded here lately, and the cases held here, latest first.
extension RecordStore {
    /// In-office mandates this node can name as participants or members, by name: those `nameableByNode` selects, as
    /// the write's check does. `nameContaining` narrows them.
    public func nameableMandates(nameContaining text: String?, limit: Int) async throws -> [Record<Deputy>] {
        var binds = PostgresBindings()
        binds.append(node.rawValue)
        binds.append(Deputy.Status.inOffice.rawValue)
        binds.append(text ?? "")
        binds.append(limit)
        let rows = try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(Self.columns) FROM deputies d
                    WHERE NOT d.deleted AND d.status = $2 AND \(Self.nameableByNode) AND ($3 = '' OR strpos(d.body->>'name', $3) > 0)
                    ORDER BY d.body->>'name', d.id LIMIT $4
                    """,
                binds: binds
            ),
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

    /// The cases held here, the latest registered first, `limit` of them after the first `offset`.
    public func recentCases(limit: Int, offset: Int) async throws -> [Record<Case>] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns) FROM cases WHERE NOT deleted
            ORDER BY registered_on DESC, updated_at DESC, id LIMIT \(limit) OFFSET \(offset)
            """,
            logger: logger
        )
        return try await Self.records(Case.self, from: rows)
    }
}
