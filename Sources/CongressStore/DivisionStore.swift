import CongressCore
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What applying a change file did at a node (`POST /v1/divisions/apply`).
public struct DivisionApplyReport: Sendable, Codable, Equatable {
    public var file: String
    /// SHA-256 of the file's text: a file applied once is not applied again.
    public var hash: String
    /// True when this node had applied the file before: nothing was changed this time.
    public var alreadyApplied: Bool
    /// Records re-coded here and still owned here, by kind.
    public var reAttributed: [String: Int]
    /// Records handed over to the node that owns their new region, by that node.
    public var handedOver: [String: Int]
    /// This node's own new code, when the file changes it: its records, checkpoints and tokens carry over once it runs
    /// under that code.
    public var renamedTo: String?
}

/// What a node is to do with one of its records under a change file.
struct ReAttribution<Body: RecordBody> {
    var record: Record<Body>
    /// The ownership epoch the record had here.
    var epoch: Int
    var owner: RegionCode
}

extension RecordStore {
    /// Re-attributes this node's own records under `remap`, in one transaction (SPEC §15): each record whose region,
    /// villages, venues or congress change gets them re-coded with a new version and its former region kept; one whose
    /// owner changes (its region moved to another node's subtree) is handed over — gone from its table here, its last
    /// word kept in `handed_over` and logged for the parent, with a higher ownership epoch so that the new owner's copy
    /// wins everywhere. `allowedOwners` bounds where records may go (the federation's root: the handover travels up to the
    /// common ancestor of both nodes, which passes it down to the new owner).
    /// A node whose own code changes keeps what it owns under the new code (a new epoch, so that the parent's copies
    /// under the old one give way), and every node re-keys what it keeps of the recoded nodes around it (`recoded`):
    /// its children's checkpoints and reports, its parent edge. Applying a file twice changes nothing the second time.
    public func applyDivisionChanges(
        _ remap: DivisionRemap,
        file: String,
        hash: String,
        allowedOwners: RegionCode,
        recoded: [(old: RegionCode, new: RegionCode)]
    ) async throws -> DivisionApplyReport {
        do {
            return try await client.transaction(logger: logger) { connection in
                // One apply at a time: two concurrent ones would both find the file not yet applied.
                try await connection.query("SELECT pg_advisory_xact_lock(4242015)", logger: logger)
                var report = DivisionApplyReport(
                    file: file,
                    hash: hash,
                    alreadyApplied: false,
                    reAttributed: [:],
                    handedOver: [:],
                    renamedTo: remap.code(node)?.rawValue
                )
                let applied = try await connection.query("SELECT 1 FROM division_changes_applied WHERE hash = \(hash)", logger: logger)
                for try await _ in applied { report.alreadyApplied = true }
                guard !report.alreadyApplied else { return report }
                try await reAttribute(Deputy.self, remap, allowedOwners: allowedOwners, report: &report, on: connection)
                try await reAttribute(Station.self, remap, allowedOwners: allowedOwners, report: &report, on: connection)
                try await reAttribute(Assignment.self, remap, allowedOwners: allowedOwners, report: &report, on: connection)
                do {
                    try await reAttribute(Unit.self, remap, allowedOwners: allowedOwners, report: &report, on: connection)
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                    // The unique index on live village codes is what proves it: a merge re-coding two villages onto one.
                    throw StoreError(
                        .conflict,
                        "\(file): two villages would hold one code after the change (\(error.serverInfo?[.detail] ?? "a duplicate code")): "
                            + "re-number the merged villages first (units import), then apply the file; nothing was changed"
                    )
                }
                try await reAttribute(Training.self, remap, allowedOwners: allowedOwners, report: &report, on: connection)
                try await reAttribute(Attendance.self, remap, allowedOwners: allowedOwners, report: &report, on: connection)
                try await reAttribute(Activity.self, remap, allowedOwners: allowedOwners, report: &report, on: connection)
                try await reAttribute(DeputyGroup.self, remap, allowedOwners: allowedOwners, report: &report, on: connection)
                let cases = try await reAttribute(Case.self, remap, allowedOwners: allowedOwners, report: &report, on: connection)
                let events = try await reAttribute(CaseEvent.self, remap, allowedOwners: allowedOwners, report: &report, on: connection)
                try await caseStatus.refresh(cases.map(\.meta.id) + events.map(\.body.caseId), on: connection)
                try await rekey(recoded, on: connection)
                let (kept, gone) = (report.reAttributed.values.reduce(0, +), report.handedOver.values.reduce(0, +))
                try await connection.query(
                    "INSERT INTO division_changes_applied (hash, file, re_attributed, handed_over) VALUES (\(hash), \(file), \(kept), \(gone))",
                    logger: logger
                )
                return report
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(databaseError: error) ?? DatabaseError.translated(error, while: "applying the division changes of \(file)")
        }
    }

    /// The villages this node knows (its own and its children's), by township: what a split must give out.
    public func villagesByTownship() async throws -> [RegionCode: Set<RegionCode>] {
        try await DatabaseError.translating("reading the villages by township") {
            let rows = try await client.query("SELECT region_code FROM units WHERE NOT deleted", logger: logger)
            var result: [RegionCode: Set<RegionCode>] = [:]
            for try await code in rows.decode(String.self) {
                guard let village = RegionCode(code), let township = village.parent else { continue }
                result[township, default: []].insert(village)
            }
            return result
        }
    }

    /// The nodes whose code changed, as this node knows them: its children's checkpoints, reports and deliveries, its
    /// parent edge, and the map its child-token check reads (a chain of changes over the years collapses to the newest).
    private func rekey(_ recoded: [(old: RegionCode, new: RegionCode)], on connection: PostgresConnection) async throws {
        for (old, new) in recoded {
            let (from, to) = (old.rawValue, new.rawValue)
            try await connection.query("UPDATE recoded_nodes SET new_code = \(to) WHERE new_code = \(from)", logger: logger)
            try await connection.query(
                """
                INSERT INTO recoded_nodes (old_code, new_code) VALUES (\(from), \(to))
                ON CONFLICT (old_code) DO UPDATE SET new_code = excluded.new_code, recoded_at = now()
                """,
                logger: logger
            )
            try await connection.query("UPDATE sync_checkpoints SET sender = \(to) WHERE sender = \(from)", logger: logger)
            try await connection.query("UPDATE sync_child_reports SET sender = \(to) WHERE sender = \(from)", logger: logger)
            try await connection.query("UPDATE sync_edges SET node = \(to) WHERE node = \(from)", logger: logger)
            try await connection.query("UPDATE sync_upstream SET parent = \(to) WHERE parent = \(from)", logger: logger)
        }
    }

    /// Which code each node that a change file recoded now has (old → newest), as this node applied them.
    public func recodedNodes() async throws -> [RegionCode: RegionCode] {
        try await DatabaseError.translating("reading the recoded nodes") {
            let rows = try await client.query("SELECT old_code, new_code FROM recoded_nodes", logger: logger)
            var result: [RegionCode: RegionCode] = [:]
            for try await (old, new) in rows.decode((String, String).self) {
                if let old = RegionCode(old), let new = RegionCode(new) { result[old] = new }
            }
            return result
        }
    }

    /// Returns the records re-coded or handed over.
    @discardableResult
    private func reAttribute<Body: RecordBody>(
        _ type: Body.Type,
        _ remap: DivisionRemap,
        allowedOwners: RegionCode,
        report: inout DivisionApplyReport,
        on connection: PostgresConnection
    ) async throws -> [Record<Body>] {
        let table = Body.kind.collection
        let rows = try await connection.query(
            "SELECT \(unescaped: Self.columns), epoch FROM \(unescaped: table) WHERE origin = \(node.rawValue) AND NOT deleted FOR UPDATE",
            logger: logger
        )
        var changes: [ReAttribution<Body>] = []
        let decoder = JSONDecoder()
        // This node under the code the file gives it: what it keeps, it keeps under that code.
        let own = remap.code(node) ?? node
        for try await (id, _, region, _, _, _, body, former, epoch) in rows.decode(
            (UUID, String, String, Int64, Date, Bool, String, String, Int).self
        ) {
            guard let region = RegionCode(region), var former = try? decoder.decode([RegionCode].self, from: Data(former.utf8)) else {
                throw StoreError(.unprocessable, "stored \(Body.kind.rawValue) \(id) has a malformed region code")
            }
            let stored = try decoder.decode(Body.self, from: Data(body.utf8))
            let newRegion = remap.code(region)
            let newBody = stored.remapped(by: remap)
            let owner = remap.owner(of: (newBody ?? stored).ownerKey(region: newRegion ?? region), now: node)
            guard newRegion != nil || newBody != nil || owner != node else { continue }
            if newRegion != nil { former.append(region) }
            let meta = RecordMeta(
                id: id,
                origin: owner,
                regionCode: newRegion ?? region,
                version: 0,
                updatedAt: .now,
                deleted: false,
                formerRegionCodes: former
            )
            changes.append(ReAttribution(record: Record(meta: meta, body: newBody ?? stored), epoch: epoch, owner: owner))
        }
        guard !changes.isEmpty else { return [] }
        if let stray = changes.first(where: { $0.owner != own && !allowedOwners.contains($0.owner) }) {
            throw StoreError(
                .unprocessable,
                "\(Body.kind.rawValue) \(stray.record.meta.id) would go to \(stray.owner), outside the federation (\(allowedOwners)): "
                    + "no node of this topology can own it"
            )
        }
        for (index, seq) in try await nextSeqs(changes.count, on: connection).enumerated() { changes[index].record.meta.version = seq }
        let (kept, gone) = (changes.filter { $0.owner == own }, changes.filter { $0.owner != own })
        try await reCode(kept, newEpoch: own != node, on: connection)
        try await handOver(gone, on: connection)
        for chunk in budget.chunks(count: changes.count) {
            let records = changes[chunk].map(\.record)
            try await connection.query(
                """
                INSERT INTO change_log (seq, kind, record_id, origin, region_code, version, deleted, handed_over_by)
                SELECT w.version, \(Body.kind.rawValue), w.id, w.origin, w.region_code, w.version, false,
                    CASE WHEN w.origin <> \(own.rawValue) THEN \(node.rawValue) END
                FROM unnest(\(records.map(\.meta.id))::uuid[], \(records.map(\.meta.origin.rawValue))::text[],
                    \(records.map(\.meta.regionCode.rawValue))::text[], \(records.map(\.meta.version))::bigint[])
                    AS w(id, origin, region_code, version)
                """,
                logger: logger
            )
        }
        if !kept.isEmpty { report.reAttributed[Body.kind.rawValue, default: 0] += kept.count }
        for change in gone { report.handedOver[change.owner.rawValue, default: 0] += 1 }
        logger.notice(
            "division changes applied",
            metadata: ["kind": "\(Body.kind.rawValue)", "reAttributed": "\(kept.count)", "handedOver": "\(gone.count)"]
        )
        return changes.map(\.record)
    }

    /// Records that stay here, re-coded in place; under this node's new code, in a new ownership epoch.
    private func reCode<Body: RecordBody>(_ changes: [ReAttribution<Body>], newEpoch: Bool, on connection: PostgresConnection) async throws {
        guard !changes.isEmpty else { return }
        let encoder = JSONEncoder()
        let bodies = try changes.map { String(decoding: try encoder.encode($0.record.body), as: UTF8.self) }
        for chunk in budget.chunks(texts: bodies) {
            let records = changes[chunk].map(\.record)
            let former = try records.map { String(decoding: try encoder.encode($0.meta.formerRegionCodes), as: UTF8.self) }
            try await connection.query(
                """
                UPDATE \(unescaped: Body.kind.collection) t SET origin = w.origin, region_code = w.region_code, body = w.body::jsonb,
                    version = w.version, updated_at = now(), former_region_codes = w.former::jsonb, epoch = t.epoch + \(newEpoch ? 1 : 0)
                FROM unnest(\(records.map(\.meta.id))::uuid[], \(records.map(\.meta.origin.rawValue))::text[],
                    \(records.map(\.meta.regionCode.rawValue))::text[], \(Array(bodies[chunk]))::text[], \(records.map(\.meta.version))::bigint[],
                    \(former)::text[]) AS w(id, origin, region_code, body, version, former)
                WHERE t.id = w.id
                """,
                logger: logger
            )
        }
    }

    /// Records whose new owner is another node: removed here, their last word kept for the push to carry up.
    private func handOver<Body: RecordBody>(_ changes: [ReAttribution<Body>], on connection: PostgresConnection) async throws {
        guard !changes.isEmpty else { return }
        let encoder = JSONEncoder()
        let words = try changes.map { change in
            String(decoding: try encoder.encode(HandoverChange(change: change, handedOverBy: node)), as: UTF8.self)
        }
        for chunk in budget.chunks(texts: words) {
            let ids = changes[chunk].map(\.record.meta.id)
            try await connection.query("DELETE FROM \(unescaped: Body.kind.collection) WHERE id = ANY(\(ids))", logger: logger)
            try await connection.query(
                """
                INSERT INTO handed_over (kind, id, to_node, change)
                SELECT \(Body.kind.rawValue), w.id, w.to_node, w.change::jsonb
                FROM unnest(\(ids)::uuid[], \(changes[chunk].map(\.owner.rawValue))::text[], \(Array(words[chunk]))::text[]) AS w(id, to_node, change)
                ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, to_node = excluded.to_node, change = excluded.change, handed_at = now()
                """,
                logger: logger
            )
        }
    }
}

/// A handed-over record as the push carries it: a change of the sync document, owned by the new node, one epoch up.
private struct HandoverChange<Body: RecordBody>: Encodable {
    let change: ReAttribution<Body>
    let handedOverBy: RegionCode

    private enum CodingKeys: String, CodingKey {
        case kind, id, origin, regionCode, version, updatedAt, deleted, body, epoch, formerRegionCodes, handedOverBy
    }

    func encode(to encoder: any Encoder) throws {
        let meta = change.record.meta
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Body.kind, forKey: .kind)
        try container.encode(meta.id, forKey: .id)
        try container.encode(meta.origin, forKey: .origin)
        try container.encode(meta.regionCode, forKey: .regionCode)
        try container.encode(meta.version, forKey: .version)
        try container.encode(meta.updatedAt, forKey: .updatedAt)
        try container.encode(false, forKey: .deleted)
        try container.encode(change.record.body, forKey: .body)
        try container.encode(change.epoch + 1, forKey: .epoch)
        try container.encode(meta.formerRegionCodes, forKey: .formerRegionCodes)
        try container.encode(handedOverBy, forKey: .handedOverBy)
    }
}
