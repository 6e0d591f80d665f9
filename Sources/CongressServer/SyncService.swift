import CongressCore
import CongressStore
import CongressSync
import Metrics
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
    let records: RecordStore
    let topology: TopologyInForce
    let runs: SyncRuns

    var store: SyncStore { sync.store }
    var node: RegionCode { store.node }

    init(sync: SyncClient, records: RecordStore, topology: TopologyInForce) {
        self.sync = sync
        self.records = records
        self.topology = topology
        self.runs = SyncRuns(sync: sync)
    }

    /// The topology in force, if `child` syncs with this node in it (a token may outlive a move in the tree).
    func topologyWhereSyncingHere(_ child: RegionCode) throws -> Topology {
        let current = topology.topology
        guard current.upstream(of: child)?.code == node else {
            throw APIError.forbidden("node \(child) does not sync with \(node) in the topology in force (hash \(current.hash.prefix(12)))")
        }
        return current
    }

    /// Applies a child's batch all or nothing, after checking that it speaks this node's protocol and schema, comes from
    /// the child whose token it carries, and was cut from the same topology.
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
        guard header.schemaHash == Migrations.schemaHash else {
            throw APIError(
                .conflict,
                code: "schema_mismatch",
                message:
                    "the sender's database schema (\(header.schemaHash.prefix(12))) differs from this node's (\(Migrations.schemaHash.prefix(12))): run the same congress release on both nodes"
            )
        }
        guard header.sender == child else {
            throw APIError.forbidden("the token is child \(child)'s, but the batch says it comes from \(header.sender)")
        }
        let current = try topologyWhereSyncingHere(child)
        guard header.topologyHash == current.hash else {
            throw APIError(
                .conflict,
                code: "topology_mismatch",
                message:
                    "the sender's topology (\(header.topologyHash.prefix(12))) differs from this node's (\(current.hash.prefix(12))): deploy the same config/topology.yaml to both"
            )
        }
        let changes: ChangeRows
        do {
            changes = try ChangeRows(document: data)
        } catch {
            throw APIError(.badRequest, code: "bad_request", message: "not a sync batch: \(error)")
        }
        switch try await store.apply(header, changes: changes) {
        case .acked(let ack):
            Counter(label: "congress_sync_batches_received_total", dimensions: [("sender", child.rawValue)]).increment()
            Counter(label: "congress_sync_changes_applied_total", dimensions: [("sender", child.rawValue)]).increment(by: ack.applied)
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

    /// Trainings from here or above that concern `child`'s subtree, after `since` (this node's change-log seq).
    func directives(for child: RegionCode, after since: Int64) async throws -> String {
        _ = try topologyWhereSyncingHere(child)
        return try await store.directives(for: child, after: since, limit: Self.directivePageSize)
    }

    /// Trainings carry their venues: a page of 500 stays well under a few MiB.
    static let directivePageSize = 500

    struct Status: Encodable {
        struct Parent: Encodable {
            var code: String
            var url: String?
            var schedule: String
            var nextRunAt: Timestamp?
            var ackedSeq: Int64
            var pending: Int64
            var lastAttemptAt: Timestamp?
            var lastSuccessAt: Timestamp?
            var lastError: String?
        }

        struct Child: Encodable {
            var code: String
            var name: String
            var schedule: String
            var checkpoint: Int64
            var lastBatchAt: Timestamp?
            var batches: Int64
            var changes: Int64
            var stale: Bool
        }

        var node: String
        var lastSeq: Int64
        var parent: Parent?
        var children: [Child]
        /// The latest run started over the API (`POST /v1/sync/run`), if any since the node started.
        var run: SyncRuns.Run?
    }

    /// The parent edge and each child's, as of `now` (the API and the dashboard show the same).
    func status(now: Date) async throws -> Status {
        let current = topology.topology
        var parent: Status.Parent?
        if let upstream = current.upstream(of: node), let own = current.node(node) {
            let state = try await store.upstreamState().flatMap { $0.parent == upstream.code ? $0 : nil }
            let acked = state?.ackedSeq ?? 0
            parent = Status.Parent(
                code: upstream.code.rawValue,
                url: upstream.url,
                schedule: own.sync.description,
                nextRunAt: own.sync.nextRun(after: now).map(Timestamp.init),
                ackedSeq: acked,
                pending: try await store.pendingCount(after: acked),
                lastAttemptAt: state?.lastAttemptAt,
                lastSuccessAt: state?.lastSuccessAt,
                lastError: state?.lastError
            )
        }
        let checkpoints = Dictionary(uniqueKeysWithValues: try await store.checkpoints().map { ($0.sender, $0) })
        let children = current.downstream(of: node).map { child in
            let checkpoint = checkpoints[child.code]
            return Status.Child(
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
        return Status(node: node.rawValue, lastSeq: try await records.lastSeq(), parent: parent, children: children, run: runs.latest)
    }
}

/// Runs of this node's sync started over the API. A run outlives the request that started it, so a request is answered
/// within its wait whatever the parent does (an unreachable parent keeps a run retrying for minutes); a run asked for
/// while one is under way joins it.
final class SyncRuns: Sendable {
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
