import CongressCore
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A validated body ready to be written, with the region its kind determines (nil where it follows
/// from a referenced record, resolved inside the write's transaction).
public struct PreparedRecord<Body: RecordBody>: Sendable {
    public var id: UUID
    public var regionCode: RegionCode?
    public var body: Body

    public init(id: UUID, regionCode: RegionCode?, body: Body) {
        self.id = id
        self.regionCode = regionCode
        self.body = body
    }
}

/// A page of a list and the cursor that continues it.
public struct Page<Body: RecordBody>: Sendable {
    public var items: [Record<Body>]
    public var nextCursor: String?
}

/// What a bulk import did.
public struct ImportSummary: Sendable, Codable, Equatable {
    public var created: Int
    public var updated: Int
    public var unchanged: Int
}

/// The node's records in PostgreSQL: reads, and writes that append to the change log in the same transaction.
public struct RecordStore: Sendable {
    /// The node's pool, which replaces its client after an outage, or a client of the caller's.
    let source: any PostgresClientSource
    var client: PostgresClient { source.client }
    /// The node writing: the origin of what it creates, the bound of what it may write.
    public let node: RegionCode
    let logger: Logger
    /// Where each case stands, rewritten with every write of a case or its events.
    public let caseStatus: CaseStatusStore
    /// How much one statement of a bulk write carries: an import of any size goes in several, in its one transaction.
    let budget: BulkBudget

    public init(
        client: some PostgresClientSource,
        node: RegionCode,
        logger: Logger,
        caseDeadlines: CaseDeadlines = .standard,
        budget: BulkBudget = .standard
    ) {
        source = client
        self.node = node
        self.logger = logger
        caseStatus = CaseStatusStore(deadlines: caseDeadlines, logger: logger)
        self.budget = budget
    }

    static let columns = "id, origin, region_code, version, updated_at, deleted, body::text, former_region_codes::text"

    // MARK: Reading

    public func get<Body: RecordBody>(_ type: Body.Type, id: UUID) async throws -> Record<Body>? {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.columns) FROM \(unescaped: Body.kind.collection) WHERE id = \(id)",
            logger: logger
        )
        return try await Self.records(Body.self, from: rows).first
    }

    /// The record, or a `not found` error that says so; a tombstone counts as gone.
    public func require<Body: RecordBody>(_ type: Body.Type, id: UUID) async throws -> Record<Body> {
        guard let record = try await get(type, id: id), !record.meta.deleted else {
            throw StoreError(.notFound, "no \(Body.kind.rawValue) with id \(id)")
        }
        return record
    }

    public func list<Body: RecordBody>(_ type: Body.Type, query: ListQuery) async throws -> Page<Body> {
        let rows = try await client.query(query.sql(for: Body.kind), logger: logger)
        var items = try await Self.records(Body.self, from: rows)
        var nextCursor: String?
        if items.count > query.limit {
            items.removeLast(items.count - query.limit)
            nextCursor = items.last.map { ListCursor(regionCode: $0.meta.regionCode, id: $0.meta.id).text }
        }
        return Page(items: items, nextCursor: nextCursor)
    }

    // MARK: Writing

    /// Creates the record; `alongside` writes what belongs with it (a case's sealed contact) in the same transaction.
    public func create<Body: RecordBody>(
        _ record: PreparedRecord<Body>,
        alongside: (@Sendable (PostgresConnection) async throws -> Void)? = nil
    ) async throws -> Record<Body> {
        try await client.transaction(logger: logger) { connection in
            let existing = try await lockRows(Body.self, ids: [record.id], on: connection)
            guard existing.isEmpty else { throw StoreError(.conflict, "a \(Body.kind.rawValue) with id \(record.id) already exists", field: "id") }
            let region = try await resolveRegions([record], on: connection)
            let written = try await write([Write(id: record.id, regionCode: region[0], body: record.body, deleted: false)], on: connection)[0]
            try await alongside?(connection)
            return written
        }
    }

    /// Replaces a live record this node owns; `expectedVersion`, when given, must be the stored one.
    public func replace<Body: RecordBody>(_ record: PreparedRecord<Body>, expectedVersion: Int64?) async throws -> Record<Body> {
        try await client.transaction(logger: logger) { connection in
            let current = try await ownedLiveRow(Body.self, id: record.id, on: connection)
            if let expectedVersion, expectedVersion != current.meta.version {
                throw StoreError(
                    .conflict,
                    "the \(Body.kind.rawValue) changed since version \(expectedVersion) (now \(current.meta.version)): read it again",
                    field: "version"
                )
            }
            let region = try await resolveRegions([record], on: connection)
            return try await write([Write(id: record.id, regionCode: region[0], body: record.body, deleted: false)], on: connection)[0]
        }
    }

    /// Turns a live record this node owns into a tombstone.
    public func delete<Body: RecordBody>(_ type: Body.Type, id: UUID) async throws -> Record<Body> {
        try await client.transaction(logger: logger) { connection in
            let current = try await ownedLiveRow(Body.self, id: id, on: connection)
            return try await write([Write(id: id, regionCode: current.meta.regionCode, body: current.body, deleted: true)], on: connection)[0]
        }
    }

    /// Creates or replaces many records in one transaction: all are written or none.
    /// Records equal to what is stored are left alone, so re-running an import changes nothing.
    public func importRecords<Body: RecordBody>(_ records: [PreparedRecord<Body>]) async throws -> ImportSummary {
        try await client.transaction(logger: logger) { connection in try await importRecords(records, on: connection) }
    }

    /// `importRecords` inside a transaction the caller holds.
    func importRecords<Body: RecordBody>(_ records: [PreparedRecord<Body>], on connection: PostgresConnection) async throws -> ImportSummary {
        let existing = try await lockRows(Body.self, ids: records.map(\.id), on: connection)
        let regions = try await resolveRegions(records, on: connection)
        var summary = ImportSummary(created: 0, updated: 0, unchanged: 0)
        var writes: [Write<Body>] = []
        var seen = Set<UUID>()
        for (index, (record, region)) in zip(records, regions).enumerated() {
            guard seen.insert(record.id).inserted else {
                throw StoreError(.unprocessable, "id \(record.id) appears twice in the import", field: "[\(index)].id")
            }
            if let current = existing[record.id] {
                try requireOwned(current.meta, field: "[\(index)].id")
                if !current.meta.deleted && current.body == record.body && current.meta.regionCode == region {
                    summary.unchanged += 1
                    continue
                }
                summary.updated += 1
            } else {
                summary.created += 1
            }
            writes.append(Write(id: record.id, regionCode: region, body: record.body, deleted: false))
        }
        _ = try await write(writes, on: connection)
        return summary
    }

    /// Imports deputies; each record `matching` says may be a mandate already held here (same person, congress and
    /// term, owned by this node) takes that mandate's id, so that importing a register again updates instead of adding.
    /// One import at a time takes the lock, so two imports of one register cannot both add the same mandate.
    public func importMandates(_ records: [PreparedRecord<Deputy>], matching: [Bool]) async throws -> ImportSummary {
        try await client.transaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(4242016)", logger: logger)
            let keys = zip(records, matching).compactMap { $1 ? $0.body.personKey : nil }
            var held: [String: UUID] = [:]
            for chunk in budget.chunks(texts: keys) {
                let rows = try await connection.query(
                    """
                    SELECT id, congress_code, body->>'term', person_key FROM deputies
                    WHERE origin = \(node.rawValue) AND NOT deleted AND person_key = ANY(\(Array(keys[chunk])))
                    """,
                    logger: logger
                )
                for try await (id, congress, term, person) in rows.decode((UUID, String, String, String).self) {
                    held["\(congress)/\(term)/\(person)"] = id
                }
            }
            var records = records
            var first: [String: Int] = [:]
            for index in records.indices where matching[index] {
                guard let person = records[index].body.personKey else { continue }
                let mandate = "\(records[index].body.congressCode)/\(records[index].body.term)/\(person)"
                if let earlier = first[mandate] {
                    throw StoreError(
                        .unprocessable,
                        "row [\(index)] is the same mandate as row [\(earlier)]: the same person (ID number), congress and term",
                        field: "[\(index)].idNumber"
                    )
                }
                first[mandate] = index
                if let id = held[mandate] { records[index].id = id }
            }
            return try await importRecords(records, on: connection)
        }
    }

    /// Live units of this node by code, so that importing a village again updates it instead of failing.
    public func unitIDs(forCodes codes: [RegionCode]) async throws -> [RegionCode: UUID] {
        let rows = try await client.query(
            "SELECT region_code, id FROM units WHERE NOT deleted AND region_code = ANY(\(codes.map(\.rawValue)))",
            logger: logger
        )
        var ids: [RegionCode: UUID] = [:]
        for try await (code, id) in rows.decode((String, UUID).self) {
            if let code = RegionCode(code) { ids[code] = id }
        }
        return ids
    }

    // MARK: Internals

    struct Write<Body: RecordBody> {
        var id: UUID
        var regionCode: RegionCode
        var body: Body
        var deleted: Bool
    }

    /// Writes rows with fresh versions and appends them to the change log, a statement per chunk of the budget; returns
    /// what is now stored.
    private func write<Body: RecordBody>(_ writes: [Write<Body>], on connection: PostgresConnection) async throws -> [Record<Body>] {
        guard !writes.isEmpty else { return [] }
        let seqs = try await nextSeqs(writes.count, on: connection)
        let encoder = JSONEncoder()
        let bodies = try writes.map { String(decoding: try encoder.encode($0.body), as: UTF8.self) }
        let table = Body.kind.collection
        var records: [Record<Body>] = []
        records.reserveCapacity(writes.count)
        for chunk in budget.chunks(texts: bodies) {
            let ids = writes[chunk].map(\.id)
            let regions = writes[chunk].map(\.regionCode.rawValue)
            let deleted = writes[chunk].map(\.deleted)
            let seqs = Array(seqs[chunk])
            let rows = try await connection.query(
                """
                INSERT INTO \(unescaped: table) (id, origin, region_code, version, updated_at, deleted, body)
                SELECT w.id, \(node.rawValue), w.region_code, w.version, now(), w.deleted, w.body::jsonb
                FROM unnest(\(ids)::uuid[], \(regions)::text[], \(seqs)::bigint[], \(deleted)::boolean[], \(Array(bodies[chunk]))::text[])
                    AS w(id, region_code, version, deleted, body)
                ON CONFLICT (id) DO UPDATE SET region_code = excluded.region_code, version = excluded.version,
                    updated_at = excluded.updated_at, deleted = excluded.deleted, body = excluded.body
                RETURNING \(unescaped: Self.columns)
                """,
                logger: logger
            )
            records += try await Self.records(Body.self, from: rows)
            try await connection.query(
                """
                INSERT INTO change_log (seq, kind, record_id, origin, region_code, version, deleted)
                SELECT w.seq, \(Body.kind.rawValue), w.id, \(node.rawValue), w.region_code, w.seq, w.deleted
                FROM unnest(\(seqs)::bigint[], \(ids)::uuid[], \(regions)::text[], \(deleted)::boolean[]) AS w(seq, id, region_code, deleted)
                """,
                logger: logger
            )
        }
        try await caseStatus.refresh(written: records, on: connection)
        return records
    }

    /// The next `count` seqs of this node's change log, in order: taking them locks the counter until commit, so seqs
    /// are handed out in commit order.
    func nextSeqs(_ count: Int, on connection: PostgresConnection) async throws -> [Int64] {
        let counter = try await connection.query("UPDATE change_counter SET last_seq = last_seq + \(count) RETURNING last_seq", logger: logger)
        var last: Int64 = 0
        for try await value in counter.decode(Int64.self) { last = value }
        return (0..<Int64(count)).map { last - Int64(count) + 1 + $0 }
    }

    /// Refuses a change to a record another node owns (received by replication or as a directive).
    public func requireOwned(_ meta: RecordMeta, field: String? = nil) throws {
        guard meta.origin == node else {
            throw StoreError(.conflict, "this record belongs to node \(meta.origin) and is read-only here; change it there", field: field)
        }
    }

    private func ownedLiveRow<Body: RecordBody>(_ type: Body.Type, id: UUID, on connection: PostgresConnection) async throws -> Record<Body> {
        guard let current = try await lockRows(Body.self, ids: [id], on: connection)[id], !current.meta.deleted else {
            throw StoreError(.notFound, "no \(Body.kind.rawValue) with id \(id)")
        }
        try requireOwned(current.meta)
        return current
    }

    /// The stored rows among `ids`, locked until the transaction ends; a chunk of the budget a statement.
    func lockRows<Body: RecordBody>(_ type: Body.Type, ids: [UUID], on connection: PostgresConnection) async throws -> [UUID: Record<Body>] {
        var locked: [UUID: Record<Body>] = [:]
        for chunk in budget.chunks(count: ids.count) {
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM \(unescaped: Body.kind.collection) WHERE id = ANY(\(Array(ids[chunk]))) FOR UPDATE",
                logger: logger
            )
            for record in try await Self.records(Body.self, from: rows) { locked[record.meta.id] = record }
        }
        return locked
    }

    static func records<Body: RecordBody>(_ type: Body.Type, from rows: PostgresRowSequence) async throws -> [Record<Body>] {
        let decoder = JSONDecoder()
        var records: [Record<Body>] = []
        for try await (id, origin, region, version, updatedAt, deleted, body, former) in rows.decode(
            (UUID, String, String, Int64, Date, Bool, String, String).self
        ) {
            guard let origin = RegionCode(origin), let region = RegionCode(region),
                let former = try? decoder.decode([RegionCode].self, from: Data(former.utf8))
            else {
                throw StoreError(.unprocessable, "stored \(Body.kind.rawValue) \(id) has a malformed region code")
            }
            let meta = RecordMeta(
                id: id,
                origin: origin,
                regionCode: region,
                version: version,
                updatedAt: Timestamp(updatedAt),
                deleted: deleted,
                formerRegionCodes: former
            )
            records.append(Record(meta: meta, body: try decoder.decode(Body.self, from: Data(body.utf8))))
        }
        return records
    }
}

extension RecordStore {
    /// Stored records (live or tombstoned) among `ids`.
    public func existing<Body: RecordBody>(_ type: Body.Type, ids: [UUID]) async throws -> [UUID: Record<Body>] {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.columns) FROM \(unescaped: Body.kind.collection) WHERE id = ANY(\(ids))",
            logger: logger
        )
        return Dictionary(uniqueKeysWithValues: try await Self.records(Body.self, from: rows).map { ($0.meta.id, $0) })
    }
}

extension RecordStore {
    /// Live records per kind, for metrics and tests.
    public func liveCounts() async throws -> [(RecordKind, Int)] {
        var counts: [(RecordKind, Int)] = []
        for kind in RecordKind.allCases {
            let rows = try await client.query("SELECT count(*) FROM \(unescaped: kind.collection) WHERE NOT deleted", logger: logger)
            for try await count in rows.decode(Int.self) { counts.append((kind, count)) }
        }
        return counts
    }

    /// The last sequence number handed out by this node's change log.
    public func lastSeq() async throws -> Int64 {
        let rows = try await client.query("SELECT last_seq FROM change_counter", logger: logger)
        for try await seq in rows.decode(Int64.self) { return seq }
        return 0
    }
}

extension RecordStore {
    /// The health check: throws unless the database answers a trivial query within `limit`, and at once while the
    /// node's pool knows it is gone.
    public func checkReachable(within limit: Duration) async throws {
        guard source.reachable else { throw DatabaseGone() }
        _ = try await firstOf(within: limit) { try await client.query("SELECT 1", logger: logger).collect().count }
    }
}
