import CongressCore
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What applying a batch did at the parent.
public enum ApplyOutcome: Sendable, Equatable {
    case acked(BatchAck)
    /// The batch starts after the checkpoint: the sender must resend from `expected`.
    case gap(expected: Int64)
}

/// A child's progress as this node has recorded it.
public struct ChildCheckpoint: Sendable, Equatable {
    public var sender: RegionCode
    public var ackedSeq: Int64
    public var lastBatchAt: Timestamp?
    public var batches: Int64
    public var changes: Int64
}

/// What a child said of itself with its latest batch, applied or refused (SPEC §17): its release, the replication schema
/// version it wrote in, the topology it holds and its refusal of this node's topology file, if any.
public struct ChildReport: Sendable, Equatable {
    public var sender: RegionCode
    /// Absent from wave-1 children.
    public var release: String?
    public var schemaVersion: Int
    public var topologyHash: String
    public var topologyRefused: TopologyRefusal?
    /// Absent from children older than the points folder's travel.
    public var pointsHash: String?
    public var pointsRefused: TopologyRefusal?
    /// The child's newest audit entry as it said (absent from releases before the audit log): the witness.
    public var auditHead: AuditHead?
    public var reportedAt: Timestamp
}

/// The parent's side of replication: batches pushed by children applied all or nothing, each child's checkpoint, and
/// when each node below last delivered (its own batches here, and what the children report of theirs).
public struct BatchApplier: Sendable {
    /// The node's pool, which replaces its client after an outage, or a client of the caller's.
    let source: any PostgresClientSource
    var client: PostgresClient { source.client }
    public let node: RegionCode
    let logger: Logger
    private let underWay = BatchesUnderWay()
    /// The status of the cases a batch touches is recomputed in its transaction.
    let caseStatus: CaseStatusStore

    public init(client: some PostgresClientSource, node: RegionCode, logger: Logger, caseDeadlines: CaseDeadlines = .standard) {
        source = client
        self.node = node
        self.logger = logger
        caseStatus = CaseStatusStore(deadlines: caseDeadlines, logger: logger)
    }

    /// Applies a pushed batch all or nothing: scope checked, older versions ignored, applied changes appended to
    /// this node's change log (origin and version kept) so they travel on, and the sender's checkpoint moved.
    ///
    /// A child sends its next batch before the previous one is acknowledged, so that the next one is received, copied
    /// in and landed in its tables while the previous one finishes. Should it reach the checkpoint first, it waits for
    /// the batch under way that fills the gap before it, rather than answering with a gap.
    ///
    /// Throws `StoreError` for a batch PostgreSQL refuses (out of scope, a malformed value), `DatabaseError` when the
    /// database fails.
    public func apply(_ header: BatchHeader, changes: ChangeRows, kinds: Set<RecordKind>) async throws -> ApplyOutcome {
        let ticket = await underWay.begin(header.sender, from: header.fromSeq)
        do {
            var outcome = try await retryingConflicts { try await applyOnce(header, changes: changes, kinds: kinds) }
            while case .gap(let expected) = outcome, await underWay.awaitEnd(of: header.sender, startingBy: expected, other: ticket) {
                outcome = try await retryingConflicts { try await applyOnce(header, changes: changes, kinds: kinds) }
            }
            await underWay.end(ticket)
            return outcome
        } catch {
            await underWay.end(ticket)
            throw StoreError(databaseError: error)
                ?? DatabaseError.translated(error, while: "applying batch \(header.fromSeq)–\(header.toSeq) from \(header.sender)")
        }
    }

    /// The outcome of a batch that landed before the checkpoint said it was not next: thrown to roll the landing back.
    private struct NotNext: Error {
        let outcome: ApplyOutcome
    }

    private func applyOnce(_ header: BatchHeader, changes: ChangeRows, kinds: Set<RecordKind>) async throws -> ApplyOutcome {
        let scope = StagedChanges.Scope.subtree(of: header.sender, kinds: kinds, receiver: node)
        do {
            return try await client.transaction(logger: logger) { connection in
                let staged = try await StagedChanges.stage(changes, on: connection, logger: logger)
                let sender = header.sender.rawValue
                // Landed before the checkpoint is locked, while the sender's previous batch may still hold it: the
                // rows of a batch are the most of its work. Not a batch that hands records over, whose checks read
                // what the batches before it wrote; nor one already applied.
                var landed: Int?
                if !staged.hasHandovers, try await ackedSeq(of: header.sender, on: connection) < header.toSeq {
                    landed = try await StagedChanges.land(staged, scope: scope, on: connection, logger: logger)
                }
                // Created on the sender's first batch; either way the row stays locked until commit, so that a
                // sender's batches are logged and acknowledged one at a time, in order.
                var checkpoint: Int64 = 0
                let locked = try await connection.query(
                    """
                    INSERT INTO sync_checkpoints (sender) VALUES (\(sender))
                    ON CONFLICT (sender) DO UPDATE SET sender = excluded.sender RETURNING acked_seq
                    """,
                    logger: logger
                )
                for try await seq in locked.decode(Int64.self) { checkpoint = seq }
                if landed != nil, header.toSeq <= checkpoint || header.fromSeq > checkpoint + 1 {
                    // Not next after all: the landing is undone, and the batch judged again as it arrives.
                    throw NotNext(
                        outcome: header.toSeq <= checkpoint ? .acked(BatchAck(acked: header.toSeq, applied: 0)) : .gap(expected: checkpoint + 1)
                    )
                }
                try await Self.recordEdges(header.edges ?? [], reportedBy: header.sender, on: connection, logger: logger)
                if header.toSeq <= checkpoint {
                    // A replay, or the empty batch a child sends when it has nothing new: it still shows the child is alive.
                    try await connection.query("UPDATE sync_checkpoints SET last_batch_at = now() WHERE sender = \(sender)", logger: logger)
                    return .acked(BatchAck(acked: header.toSeq, applied: 0))
                }
                if header.fromSeq > checkpoint + 1 { return .gap(expected: checkpoint + 1) }
                let count: Int
                if let landed { count = landed } else { count = try await StagedChanges.land(staged, scope: scope, on: connection, logger: logger) }
                try await StagedChanges.log(scope: scope, on: connection, logger: logger)
                try await caseStatus.refreshStaged(on: connection)
                try await connection.query(
                    """
                    UPDATE sync_checkpoints SET acked_seq = \(header.toSeq), last_batch_at = now(), batches = batches + 1, changes = changes + \(count)
                    WHERE sender = \(sender)
                    """,
                    logger: logger
                )
                return .acked(BatchAck(acked: header.toSeq, applied: count))
            }
        } catch let notNext as NotNext {
            return notNext.outcome
        }
    }

    /// The sender's checkpoint as last committed (0 before its first batch), read without waiting for a batch under way.
    private func ackedSeq(of sender: RegionCode, on connection: PostgresConnection) async throws -> Int64 {
        let rows = try await connection.query("SELECT acked_seq FROM sync_checkpoints WHERE sender = \(sender.rawValue)", logger: logger)
        for try await seq in rows.decode(Int64.self) { return seq }
        return 0
    }

    /// Keeps the newest delivery time the sender reports for each node in its subtree (never for itself: its own
    /// deliveries are the checkpoint's).
    private static func recordEdges(
        _ edges: [SyncEdge],
        reportedBy sender: RegionCode,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        let reported = edges.filter { sender.contains($0.node) && $0.node != sender }
        guard !reported.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO sync_edges (node, last_batch_at, reported_by)
            SELECT node, at, \(sender.rawValue) FROM unnest(\(reported.map(\.node.rawValue))::text[], \(reported.map(\.lastBatchAt.date))::timestamptz[]) AS e(node, at)
            ON CONFLICT (node) DO UPDATE SET last_batch_at = excluded.last_batch_at, reported_by = excluded.reported_by, reported_at = now()
            WHERE sync_edges.last_batch_at < excluded.last_batch_at
            """,
            logger: logger
        )
    }

    /// Every edge below this node it knows of: its children's last batches here, and what they reported of theirs.
    public func edges() async throws -> [SyncEdge] {
        try await DatabaseError.translating("reading when the nodes below last delivered") {
            let rows = try await client.query(
                """
                SELECT sender, last_batch_at FROM sync_checkpoints WHERE last_batch_at IS NOT NULL
                UNION ALL
                SELECT node, last_batch_at FROM sync_edges e
                WHERE NOT EXISTS (SELECT FROM sync_checkpoints c WHERE c.sender = e.node AND c.last_batch_at IS NOT NULL)
                """,
                logger: logger
            )
            var result: [SyncEdge] = []
            for try await (node, at) in rows.decode((String, Date).self) {
                guard let code = RegionCode(node) else { continue }
                result.append(SyncEdge(node: code, lastBatchAt: Timestamp(at)))
            }
            return result
        }
    }

    /// Each child's checkpoint here, by code.
    public func checkpoints() async throws -> [ChildCheckpoint] {
        try await DatabaseError.translating("reading the children's checkpoints") {
            let rows = try await client.query(
                "SELECT sender, acked_seq, last_batch_at, batches, changes FROM sync_checkpoints ORDER BY sender",
                logger: logger
            )
            var result: [ChildCheckpoint] = []
            for try await (sender, acked, last, batches, changes) in rows.decode((String, Int64, Date?, Int64, Int64).self) {
                guard let code = RegionCode(sender) else { continue }
                result.append(
                    ChildCheckpoint(sender: code, ackedSeq: acked, lastBatchAt: last.map(Timestamp.init), batches: batches, changes: changes)
                )
            }
            return result
        }
    }

    /// Keeps what `header` says of its sender (written in schema `schemaVersion`), before the batch is judged: a child
    /// whose batches are refused still shows what it runs and holds.
    public func recordReport(_ header: BatchHeader, schemaVersion: Int) async throws {
        func json(_ refusal: TopologyRefusal?) throws -> String? { try refusal.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) } }
        let (topologyRefused, pointsRefused) = (try json(header.topologyRefused), try json(header.pointsRefused))
        try await DatabaseError.translating("recording what \(header.sender) runs") {
            try await client.query(
                """
                INSERT INTO sync_child_reports (sender, release, schema_version, topology_hash, topology_refused, points_hash, points_refused,
                    audit_seq, audit_hash)
                VALUES (\(header.sender.rawValue), \(header.release), \(schemaVersion), \(header.topologyHash), \(topologyRefused)::jsonb,
                    \(header.pointsHash), \(pointsRefused)::jsonb, \(header.auditHead?.seq), \(header.auditHead?.hash))
                ON CONFLICT (sender) DO UPDATE SET release = excluded.release, schema_version = excluded.schema_version,
                    topology_hash = excluded.topology_hash, topology_refused = excluded.topology_refused,
                    points_hash = excluded.points_hash, points_refused = excluded.points_refused,
                    audit_seq = coalesce(excluded.audit_seq, sync_child_reports.audit_seq),
                    audit_hash = coalesce(excluded.audit_hash, sync_child_reports.audit_hash), reported_at = now()
                """,
                logger: logger
            )
        }
    }

    /// What each child said of itself with its latest batch, by code.
    public func reports() async throws -> [RegionCode: ChildReport] {
        try await DatabaseError.translating("reading what the children run") {
            let rows = try await client.query(
                """
                SELECT sender, release, schema_version, topology_hash, topology_refused::text, points_hash, points_refused::text, reported_at,
                    audit_seq, audit_hash
                FROM sync_child_reports
                """,
                logger: logger
            )
            func refusal(_ json: String?) throws -> TopologyRefusal? {
                try json.map { try JSONDecoder().decode(TopologyRefusal.self, from: Data($0.utf8)) }
            }
            var result: [RegionCode: ChildReport] = [:]
            for try await (sender, release, version, hash, refused, pointsHash, pointsRefused, at, auditSeq, auditHash) in rows.decode(
                (String, String?, Int, String, String?, String?, String?, Date, Int64?, String?).self
            ) {
                guard let code = RegionCode(sender) else { continue }
                result[code] = ChildReport(
                    sender: code,
                    release: release,
                    schemaVersion: version,
                    topologyHash: hash,
                    topologyRefused: try refusal(refused),
                    pointsHash: pointsHash,
                    pointsRefused: try refusal(pointsRefused),
                    auditHead: auditSeq.flatMap { seq in auditHash.map { AuditHead(seq: seq, hash: $0) } },
                    reportedAt: Timestamp(at)
                )
            }
            return result
        }
    }
}
