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
        /// The replication schema version spoken to the parent (its own, or this node's when the parent's is newer),
        /// and the records held back because the parent's release does not know their kind (SPEC §17).
        public var schemaVersion: Int?
        public var heldBack: [String: Int64]
    }

    /// What lags behind this node at a child: its release, its replication schema, its topology file.
    public enum Lag: String, Sendable, Encodable { case release, schema, topology, points }

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
        /// What the child said of itself with its latest batch (SPEC §17): its release (nil from wave-1 nodes), the
        /// replication schema version it wrote in, the topology it holds and its refusal of this node's file, if any.
        public var release: String?
        public var schemaVersion: Int?
        public var topologyHash: String?
        public var topologyRefused: TopologyRefusal?
        /// The hash of the child's points rules folder and its refusal of this node's, if any (nil from older children).
        public var pointsHash: String?
        public var pointsRefused: TopologyRefusal?
        /// What is older at the child than here; empty when it is current (or has not pushed yet).
        public var lags: [Lag]
    }

    /// A child whose token is enrolled here and which pushed here, but which the topology in force no longer has sync
    /// here (its batches are refused): what it said of itself.
    public struct FormerChild: Sendable, Encodable {
        public var code: String
        public var release: String?
        public var schemaVersion: Int
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
            let spoken = state?.spokenSchemaVersion.flatMap(schemas.schema)
            var heldBack: [RecordKind: Int64] = [:]
            if let spoken { heldBack = try await changeLog.heldBack(speaking: spoken, of: schemas.current) }
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
                lastError: state?.lastError,
                schemaVersion: spoken?.version,
                heldBack: Dictionary(uniqueKeysWithValues: heldBack.map { ($0.key.rawValue, $0.value) })
            )
        }
        let checkpoints = Dictionary(uniqueKeysWithValues: try await applier.checkpoints().map { ($0.sender, $0) })
        let reports = try await applier.reports()
        let children = current.downstream(of: node).map { child in
            let checkpoint = checkpoints[child.code]
            let reported = reports[child.code]
            var lags: [SyncStatus.Lag] = []
            if let reported {
                if CongressRelease.isOlder(reported.release, than: CongressRelease.current) { lags.append(.release) }
                if reported.schemaVersion < schemas.current.version { lags.append(.schema) }
                if reported.topologyHash != current.hash { lags.append(.topology) }
                if reported.pointsHash.map({ $0 != points.folder.hash }) ?? (reported.schemaVersion > 1) { lags.append(.points) }
            }
            return SyncStatus.Child(
                code: child.code.rawValue,
                name: child.name,
                schedule: child.sync.description,
                checkpoint: checkpoint?.ackedSeq ?? 0,
                lastBatchAt: checkpoint?.lastBatchAt,
                batches: checkpoint?.batches ?? 0,
                changes: checkpoint?.changes ?? 0,
                stale: child.sync.isStale(lastDelivery: checkpoint?.lastBatchAt?.date, now: now),
                release: reported?.release,
                schemaVersion: reported?.schemaVersion,
                topologyHash: reported?.topologyHash,
                topologyRefused: reported?.topologyRefused,
                pointsHash: reported?.pointsHash,
                pointsRefused: reported?.pointsRefused,
                lags: lags
            )
        }
        let listed = Set(children.map(\.code))
        let former = reports.values.filter { !listed.contains($0.sender.rawValue) }.sorted { $0.sender.rawValue < $1.sender.rawValue }.map {
            SyncStatus.FormerChild(
                code: $0.sender.rawValue,
                release: $0.release,
                schemaVersion: $0.schemaVersion,
                topologyHash: $0.topologyHash,
                topologyRefused: $0.topologyRefused
            )
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
