#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The replication protocol's messages (SPEC §7); the changes themselves travel as JSON built and read by PostgreSQL.
public enum SyncProtocol {
    /// Bumped when a message changes shape; parent and child must agree.
    public static let version = 1
    /// How many changes a push sends at once: large enough that a round trip is small next to the apply, small
    /// enough that a failed batch is cheap to resend and the apply transaction stays short.
    public static let batchSize = 5_000
}

/// Everything of a pushed batch but its changes: who sends, which seqs, and the versions to agree on.
public struct BatchHeader: Sendable, Codable, Equatable {
    public var `protocol`: Int
    /// The replication schema the batch is written in: its hash, and its version (absent from wave-1 senders, whose
    /// hash names version 1).
    public var schemaHash: String
    public var schemaVersion: Int?
    /// The sender's release of congress (absent from wave-1 senders), shown in the parent's sync status.
    public var release: String?
    public var topologyHash: String
    public var sender: RegionCode
    /// The batch holds the sender's change-log entries `fromSeq...toSeq` (entries for a record changed twice are sent once).
    public var fromSeq: Int64
    public var toSeq: Int64
    /// When the sender last heard from each node below it, so every ancestor can tell how fresh a subtree is.
    public var edges: [SyncEdge]?
    /// The sender refused its parent's topology file since it last adopted one (SPEC §17): which file and why.
    public var topologyRefused: TopologyRefusal?
    /// The hash of the sender's points rules folder (SPEC §12), and its refusal of its parent's, as for the topology.
    public var pointsHash: String?
    public var pointsRefused: TopologyRefusal?
    /// The sender's newest audit entry (SPEC §14): the parent keeps it, a witness outside the sender of how far its
    /// audit log reached.
    public var auditHead: AuditHead?

    public init(
        protocol: Int,
        schemaHash: String,
        schemaVersion: Int? = nil,
        release: String? = nil,
        topologyHash: String,
        sender: RegionCode,
        fromSeq: Int64,
        toSeq: Int64,
        edges: [SyncEdge]? = nil,
        topologyRefused: TopologyRefusal? = nil,
        pointsHash: String? = nil,
        pointsRefused: TopologyRefusal? = nil,
        auditHead: AuditHead? = nil
    ) {
        self.protocol = `protocol`
        self.schemaHash = schemaHash
        self.schemaVersion = schemaVersion
        self.release = release
        self.topologyHash = topologyHash
        self.sender = sender
        self.fromSeq = fromSeq
        self.toSeq = toSeq
        self.edges = edges
        self.topologyRefused = topologyRefused
        self.pointsHash = pointsHash
        self.pointsRefused = pointsRefused
        self.auditHead = auditHead
    }
}

/// A child's refusal of its parent's topology file (or points folder): its hash, when, and each error as
/// `FILE:LINE:COL: error: …`.
public struct TopologyRefusal: Sendable, Codable, Equatable {
    public var hash: String
    public var at: Timestamp
    public var errors: [String]

    public init(hash: String, at: Timestamp, errors: [String]) {
        self.hash = hash
        self.at = at
        self.errors = errors
    }
}

/// A sync edge seen from its upper end: when `node` last delivered a batch (data or heartbeat) to its parent.
public struct SyncEdge: Sendable, Codable, Equatable {
    public var node: RegionCode
    public var lastBatchAt: Timestamp

    public init(node: RegionCode, lastBatchAt: Timestamp) {
        self.node = node
        self.lastBatchAt = lastBatchAt
    }
}

extension BatchHeader {
    /// The header of a batch document. Senders write the header's fields before `changes`, so only that prefix is
    /// decoded here (a batch is megabytes; PostgreSQL reads the changes); any other layout is decoded whole.
    public static func read(fromBatch data: Data) throws -> BatchHeader {
        let marker = Data(#","changes":"#.utf8)
        if let range = data.range(of: marker),
            let header = try? JSONDecoder().decode(BatchHeader.self, from: data[..<range.lowerBound] + Data("}".utf8))
        {
            return header
        }
        return try JSONDecoder().decode(BatchHeader.self, from: data)
    }
}

/// The parent's answer to an applied (or replayed) batch.
public struct BatchAck: Sendable, Codable, Equatable {
    public var acked: Int64
    /// Changes that altered something here (older versions and replays are no-ops).
    public var applied: Int
    /// The hash of the topology the parent holds (absent from parents older than SPEC §17): a child whose own differs
    /// fetches the parent's file (`GET /v1/sync/topology`).
    public var topologyHash: String?

    public init(acked: Int64, applied: Int, topologyHash: String? = nil) {
        self.acked = acked
        self.applied = applied
        self.topologyHash = topologyHash
    }
}

/// What a parent tells a child before the child pushes (`GET /v1/sync/hello`, SPEC §17): the release and replication
/// schema it runs, so that a newer child writes in a version the parent reads and holds back the kinds it does not know.
/// A wave-1 parent has no such route: it speaks schema version 1.
public struct SyncHello: Sendable, Codable, Equatable {
    public var node: RegionCode
    public var release: String
    public var `protocol`: Int
    public var schemaVersion: Int
    public var schemaHash: String
    /// The oldest schema version this node accepts from a child.
    public var oldestSchemaVersion: Int
    public var topologyHash: String
    /// The hash of this node's points rules folder: a child whose own differs fetches it (`GET /v1/sync/points`).
    public var pointsHash: String
    /// The lowest replication schema version spoken from this node up to the root, as far as it knows (nil from
    /// releases before division changes, and while this node has not yet heard its own parent): a division change is
    /// applied only below a path that carries it (SPEC §15).
    public var pathSchemaVersion: Int?

    public init(
        node: RegionCode,
        release: String,
        protocol: Int,
        schemaVersion: Int,
        schemaHash: String,
        oldestSchemaVersion: Int,
        topologyHash: String,
        pointsHash: String,
        pathSchemaVersion: Int?
    ) {
        self.node = node
        self.release = release
        self.protocol = `protocol`
        self.schemaVersion = schemaVersion
        self.schemaHash = schemaHash
        self.oldestSchemaVersion = oldestSchemaVersion
        self.topologyHash = topologyHash
        self.pointsHash = pointsHash
        self.pathSchemaVersion = pathSchemaVersion
    }
}

/// A node's points rules folder as its children fetch it (`GET /v1/sync/points`): every file's text by its path inside
/// the folder, and the hash of them all.
public struct PointsBundle: Sendable, Codable, Equatable {
    public var hash: String
    public var files: [String: String]

    public init(hash: String, files: [String: String]) {
        self.hash = hash
        self.files = files
    }
}
