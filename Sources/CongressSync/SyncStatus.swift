import CongressCore
import CongressStore
import Synchronization

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
        /// The topology hash of the child's latest batch since this node started, and the refusal of this node's
        /// topology it reported then, if any (SPEC §17).
        public var topologyHash: String?
        public var topologyRefused: TopologyRefusal?
    }

    /// A child whose token is enrolled here and which pushed since this node started, but which the topology in force
    /// no longer has sync here (its batches are refused): what it said of its topology.
    public struct FormerChild: Sendable, Encodable {
        public var code: String
        public var topologyHash: String
        public var topologyRefused: TopologyRefusal?
    }

    public var node: String
    public var lastSeq: Int64
    public var parent: Parent?
    public var children: [Child]
    public var formerChildren: [FormerChild] = []
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
        let topologies = childTopologies.all
        let children = current.downstream(of: node).map { child in
            let checkpoint = checkpoints[child.code]
            let reported = topologies[child.code]
            return SyncStatus.Child(
                code: child.code.rawValue,
                name: child.name,
                schedule: child.sync.description,
                checkpoint: checkpoint?.ackedSeq ?? 0,
                lastBatchAt: checkpoint?.lastBatchAt,
                batches: checkpoint?.batches ?? 0,
                changes: checkpoint?.changes ?? 0,
                stale: child.sync.isStale(lastDelivery: checkpoint?.lastBatchAt?.date, now: now),
                topologyHash: reported?.hash,
                topologyRefused: reported?.refused
            )
        }
        let listed = Set(children.map(\.code))
        let former = topologies.filter { !listed.contains($0.key.rawValue) }.sorted { $0.key.rawValue < $1.key.rawValue }.map {
            SyncStatus.FormerChild(code: $0.key.rawValue, topologyHash: $0.value.hash, topologyRefused: $0.value.refused)
        }
        return SyncStatus(
            node: node.rawValue,
            lastSeq: try await changeLog.lastSeq(),
            parent: parent,
            children: children,
            formerChildren: former
        )
    }
}

/// What each child said of its topology with its latest batch: the hash it holds and the refusal of this node's file it
/// reported, if any. Kept in memory: the next batch after a restart tells again.
public final class ChildTopologies: Sendable {
    public struct Reported: Sendable {
        public var hash: String
        public var refused: TopologyRefusal?
    }

    private let reported = Mutex<[RegionCode: Reported]>([:])

    public init() {}

    public func record(_ header: BatchHeader) {
        reported.withLock { $0[header.sender] = Reported(hash: header.topologyHash, refused: header.topologyRefused) }
    }

    public var all: [RegionCode: Reported] { reported.withLock { $0 } }
}
