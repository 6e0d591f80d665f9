import CongressCore
import CongressStore
import CongressSync
import ServiceLifecycle
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The rules of replication at this node (SPEC §7): what a child's batch must be to be applied, which directives a
/// child gets, the state of every edge, and runs of this node's own sync started over the API.
struct SyncService: Sendable {
    let sync: SyncClient
    let metrics: NodeMetrics
    let topology: TopologyInForce
    let runs: SyncRuns
    /// How many children's batches are received and applied at once.
    let admission: BatchAdmission

    var node: RegionCode { sync.node }

    init(sync: SyncClient, metrics: NodeMetrics, topology: TopologyInForce, runs: SyncRuns, admission: BatchAdmission) {
        self.sync = sync
        self.metrics = metrics
        self.topology = topology
        self.runs = runs
        self.admission = admission
    }

    /// The topology in force, if `child` syncs with this node in it (a token may outlive a move in the tree).
    func topologyWhereSyncingHere(_ child: RegionCode) throws -> Topology {
        let current = topology.topology
        guard current.upstream(of: child)?.code == node else {
            throw APIError.forbidden("node \(child) does not sync with \(node) in the topology in force (hash \(current.hash.prefix(12)))")
        }
        return current
    }

    /// Applies a child's batch all or nothing, after checking that it speaks this node's protocol and a replication schema
    /// this node reads (its own, or one or two versions older), and comes from the child whose token it carries. The
    /// batch is judged by the sender's subtree in this node's topology (the applier refuses anything outside it, and any
    /// kind the batch's schema version lacks), whatever topology the sender holds: the answer names this node's, and a
    /// child whose own differs fetches it (SPEC §17).
    func receive(_ data: Data, from child: RegionCode) async throws -> BatchAck {
        let header: BatchHeader
        do {
            header = try BatchHeader.read(fromBatch: data)
        } catch {
            throw APIError(.badRequest, code: "bad_request", message: "not a sync batch: \(error)")
        }
        guard header.protocol == SyncProtocol.version else {
            let newer = header.protocol > SyncProtocol.version ? "this node (\(node))" : "the sender (\(header.sender))"
            throw APIError(
                .upgradeRequired,
                code: "protocol_mismatch",
                message:
                    "sync protocol \(header.protocol) from \(header.sender), this node speaks \(SyncProtocol.version): upgrade congress on \(newer)"
            )
        }
        let schema = try schema(of: header)
        guard header.sender == child else {
            throw APIError.forbidden("the token is child \(child)'s, but the batch says it comes from \(header.sender)")
        }
        // What the child says of itself is kept even when this node refuses the batch: a child that this node's
        // topology dropped reports here why it refused that topology.
        try await sync.applier.recordReport(header, schemaVersion: schema.version)
        let current = try topologyWhereSyncingHere(child)
        let changes: ChangeRows
        do {
            changes = try ChangeRows(document: data)
        } catch {
            throw APIError(.badRequest, code: "bad_request", message: "not a sync batch: \(error)")
        }
        switch try await sync.applier.apply(header, changes: changes, kinds: schema.kinds) {
        case .acked(var ack):
            metrics.received(ack, from: child)
            ack.topologyHash = current.hash
            return ack
        case .gap(let expected):
            throw APIError(
                .conflict,
                code: "gap",
                message: "batch starts at \(header.fromSeq) but \(expected) is expected next: resend from \(expected)",
                field: "fromSeq",
                expected: expected
            )
        }
    }

    /// The replication schema `header`'s batch is written in, if this node reads it: one it knows by version and hash
    /// (a wave-1 batch names none: its hash names version 1), no older than `SchemaHistory.oldestSpoken`. A refusal names
    /// the node to upgrade.
    func schema(of header: BatchHeader) throws -> ReplicationSchema {
        let schemas = sync.schemas
        let own = schemas.current
        let version = header.schemaVersion ?? (header.schemaHash == schemas.schema(1)?.hash ? 1 : nil)
        guard let version else {
            throw APIError(
                .conflict,
                code: "schema_mismatch",
                message: "the batch from \(header.sender) names no schema version and its schema hash (\(header.schemaHash.prefix(12))) "
                    + "is not wave 1's: upgrade congress on \(header.sender) (this node runs release \(CongressRelease.current), schema v\(own.version))"
            )
        }
        if version > own.version {
            throw APIError(
                .conflict,
                code: "schema_mismatch",
                message: "the batch from \(header.sender) is written in replication schema v\(version), this node (\(node), release "
                    + "\(CongressRelease.current)) reads v\(schemas.oldestSpoken)–v\(own.version): upgrade congress on \(node)"
            )
        }
        guard version >= schemas.oldestSpoken else {
            throw APIError(
                .upgradeRequired,
                code: "schema_too_old",
                message: "the batch from \(header.sender) (release \(header.release ?? "wave 1")) is written in replication schema v\(version), "
                    + "this node (\(node)) reads v\(schemas.oldestSpoken)–v\(own.version): upgrade congress on \(header.sender)"
            )
        }
        guard let schema = schemas.schema(version), schema.hash == header.schemaHash else {
            throw APIError(
                .conflict,
                code: "schema_mismatch",
                message: "the batch from \(header.sender) says replication schema v\(version) but its hash (\(header.schemaHash.prefix(12))) is not "
                    + "this node's v\(version): \(header.sender) and \(node) run builds that disagree on it; install a released congress on both"
            )
        }
        return schema
    }

    /// What this node tells a child before it pushes (`GET /v1/sync/hello`): the release and replication schemas it reads.
    func hello() async throws -> SyncHello {
        let schemas = sync.schemas
        let path = try await pathSchemaVersion()
        return SyncHello(
            node: node,
            release: CongressRelease.current,
            protocol: SyncProtocol.version,
            schemaVersion: schemas.current.version,
            schemaHash: schemas.current.hash,
            oldestSchemaVersion: schemas.oldestSpoken,
            topologyHash: topology.topology.hash,
            pointsHash: sync.points.folder.hash,
            pathSchemaVersion: path
        )
    }

    /// The lowest replication schema version spoken from this node up to the root: its own at the root, else the
    /// lower of its own and what its parent last said (nil until it has heard its parent).
    func pathSchemaVersion() async throws -> Int? {
        let own = sync.schemas.current.version
        guard topology.topology.upstream(of: node) != nil else { return own }
        return try await sync.changeLog.upstreamState()?.pathSchemaVersion.map { min($0, own) }
    }

    /// What `child`'s batches last said of its audit log (SPEC §14).
    func auditWitness(of child: RegionCode) async throws -> AuditHead? {
        try await sync.applier.reports()[child]?.auditHead
    }

    /// This node's points rules folder, for a child to check and adopt (SPEC §12, §17).
    func pointsFolder() -> PointsBundle {
        let folder = sync.points.folder
        return PointsBundle(hash: folder.hash, files: folder.files)
    }

    /// The text of this node's topology file, for a child to follow (SPEC §17). Any enrolled child gets it, also one
    /// this topology no longer lists here: it learns why its batches are refused, and refuses a file without itself.
    func topologyFile(for child: RegionCode) throws -> String {
        guard let text = topology.topology.text else {
            throw APIError(.notFound, code: "not_found", message: "this node's topology was built in code, not read from a file")
        }
        return text
    }

    /// Trainings from here or above that concern `child`'s subtree, after `since` (this node's change-log seq), of the
    /// kinds the child's replication schema version carries (a wave-1 child names none: version 1; one newer than this
    /// node reads all this node has).
    func directives(for child: RegionCode, after since: Int64, schemaVersion: Int?) async throws -> String {
        _ = try topologyWhereSyncingHere(child)
        let schemas = sync.schemas
        let kinds = schemas.schema(min(schemaVersion ?? 1, schemas.current.version))?.kinds ?? []
        return try await sync.directiveFeed.directives(
            for: child,
            after: since,
            limit: Self.directivePageSize,
            kinds: kinds,
            handovers: (schemaVersion ?? 1) >= SchemaHistory.divisionChangesVersion
        )
    }

    /// Trainings carry their venues: a page of 500 stays well under a few MiB.
    static let directivePageSize = 500

    /// Each edge's state (`SyncStatus`, as `/metrics` reads it too), and the latest run started over the API.
    @dynamicMemberLookup
    struct Status: Encodable {
        var edges: SyncStatus
        /// The latest run started over the API (`POST /v1/sync/run`), if any since the node started.
        var run: SyncRuns.Run?

        subscript<Value>(dynamicMember path: KeyPath<SyncStatus, Value>) -> Value { edges[keyPath: path] }

        private enum CodingKeys: String, CodingKey { case run }

        /// The edges' fields and `run` side by side in one object.
        func encode(to encoder: any Encoder) throws {
            try edges.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(run, forKey: .run)
        }
    }

    /// The parent edge and each child's, as of `now` (the API, the dashboard and /metrics show the same).
    func status(now: Date) async throws -> Status {
        Status(edges: try await sync.status(now: now), run: runs.latest)
    }
}

/// Runs of this node's sync started over the API. A run outlives the request that started it, so a request is answered
/// within its wait whatever the parent does (an unreachable parent keeps a run retrying for minutes); a run asked for
/// while one is under way joins it.
final class SyncRuns: Service {
    struct Run: Encodable, Sendable {
        enum State: String, Encodable, Sendable { case running, finished }
        var state: State
        var startedAt: Timestamp
        var finishedAt: Timestamp?
        var report: SyncReport?
    }

    private struct State {
        var run: Run?
        var task: Task<SyncReport, Never>?
        /// Requests waiting for the run under way, resumed when it finishes or when their wait is over.
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    }

    private let sync: SyncClient
    private let state = Mutex(State())

    init(sync: SyncClient) { self.sync = sync }

    /// A service of the node so that a run under way ends with the node: cancelled when the node shuts down, before the
    /// pool it writes to closes (services stop in the reverse of their order).
    func run() async throws {
        try? await gracefulShutdown()
        state.withLock { $0.task }?.cancel()
    }

    var latest: Run? { state.withLock { $0.run } }

    /// Starts a run unless one is under way (then that one goes on).
    func start() {
        state.withLock { state in
            guard state.run?.state != .running else { return }
            state.run = Run(state: .running, startedAt: Timestamp(Date()))
            state.task = Task { [self] in
                let report = await sync.run()
                let waiters = self.state.withLock { state in
                    state.run?.state = .finished
                    state.run?.finishedAt = Timestamp(Date())
                    state.run?.report = report
                    defer { state.waiters = [:] }
                    return state.waiters.values
                }
                for waiter in waiters { waiter.resume() }
                return report
            }
        }
    }

    /// The latest run once it has finished, or as it stands after `wait`.
    func awaitLatest(within wait: Duration) async -> Run? {
        let id = UUID()
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let waiting = state.withLock { state in
                guard state.run?.state == .running else { return false }
                state.waiters[id] = waiter
                return true
            }
            guard waiting else { return waiter.resume() }
            Task { [self] in
                try? await Task.sleep(for: wait)
                self.state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
            }
        }
        return latest
    }
}
