import CongressCore
import CongressStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where replication stands at this node: its parent edge and each child's (`GET /v1/sync/status`, the dashboard and
/// `/metrics` show the same).
public struct SyncStatus: Sendable, Encodable {
    public struct Parent: Sendable, Encodable {
        public var code: String
        public var url: String?
        public var schedule: String
        public var nextRunAt: Timestamp?
        public var ackedSeq: Int64
        public var pending: Int64
        public var lastAttemptAt: Timestamp?
        public var lastSuccessAt: Timestamp?
        /// When a run last failed, kept after a later success.
        public var lastFailureAt: Timestamp?
        public var lastError: String?
    }

    public struct Child: Sendable, Encodable {
        public var code: String
        public var name: String
        public var schedule: String
        public var checkpoint: Int64
        public var lastBatchAt: Timestamp?
        public var batches: Int64
        public var changes: Int64
        /// No batch within the child's schedule's period plus slack.
        public var stale: Bool
    }

    public var node: String
    public var lastSeq: Int64
    public var parent: Parent?
    public var children: [Child]
}

extension SyncClient {
    /// The parent edge and each child's as of `now`, by the topology in force and the schedules it gives each edge.
    public func status(now: Date) async throws -> SyncStatus {
        let current = topology.topology
        var parent: SyncStatus.Parent?
        if let upstream = current.upstream(of: node), let own = current.node(node) {
            let state = try await changeLog.upstreamState().flatMap { $0.parent == upstream.code ? $0 : nil }
            let acked = state?.ackedSeq ?? 0
            parent = SyncStatus.Parent(
                code: upstream.code.rawValue,
                url: upstream.url,
                schedule: own.sync.description,
                nextRunAt: own.sync.nextRun(after: now).map(Timestamp.init),
                ackedSeq: acked,
                pending: try await changeLog.pendingCount(after: acked),
                lastAttemptAt: state?.lastAttemptAt,
                lastSuccessAt: state?.lastSuccessAt,
                lastFailureAt: state?.lastFailureAt,
                lastError: state?.lastError
            )
        }
        let checkpoints = Dictionary(uniqueKeysWithValues: try await applier.checkpoints().map { ($0.sender, $0) })
        let children = current.downstream(of: node).map { child in
            let checkpoint = checkpoints[child.code]
            return SyncStatus.Child(
                code: child.code.rawValue,
                name: child.name,
                schedule: child.sync.description,
                checkpoint: checkpoint?.ackedSeq ?? 0,
                lastBatchAt: checkpoint?.lastBatchAt,
                batches: checkpoint?.batches ?? 0,
                changes: checkpoint?.changes ?? 0,
                stale: child.sync.isStale(lastDelivery: checkpoint?.lastBatchAt?.date, now: now)
            )
        }
        return SyncStatus(node: node.rawValue, lastSeq: try await changeLog.lastSeq(), parent: parent, children: children)
    }
}
