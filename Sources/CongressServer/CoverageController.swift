import CongressCore
import CongressStore
import Hummingbird
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The coverage snapshot requests are answered from: rebuilt only when what it counts has changed, so a request walks
/// a small tree instead of recounting a province's rows (SPEC §11).
final class CoverageCache: Sendable {
    private struct Entry: Sendable {
        var snapshot: CoverageSnapshot
        var version: CoverageStore.Version
        var today: CalendarDate
        var checkedAt: ContinuousClock.Instant
    }

    private struct State: Sendable {
        var entry: Entry?
        /// Bumped by every write through this node: an entry checked before it must be checked again.
        var generation = 0
        var checkedGeneration = -1
        var refresh: (generation: Int, task: Task<Entry, any Error>)?
    }

    /// Writers outside this process (`congress sync` beside a serving node) are noticed within this long.
    static let recheckInterval: Duration = .seconds(1)

    private let store: CoverageStore
    private let sync: SyncStore
    private let topology: TopologyInForce
    private let node: RegionCode
    private let state = Mutex(State())

    init(store: CoverageStore, sync: SyncStore, topology: TopologyInForce, node: RegionCode) {
        self.store = store
        self.sync = sync
        self.topology = topology
        self.node = node
    }

    /// Something was written here: the next request checks the database before it answers.
    func invalidate() {
        state.withLock { $0.generation += 1 }
    }

    func snapshot() async throws -> CoverageSnapshot {
        let topology = topology.topology
        let now = ContinuousClock.now
        enum Next { case ready(CoverageSnapshot), wait(Task<Entry, any Error>) }
        let next: Next = state.withLock { state in
            if let entry = state.entry, state.checkedGeneration == state.generation, now - entry.checkedAt < Self.recheckInterval,
                entry.snapshot.topology.hash == topology.hash
            {
                return .ready(entry.snapshot)
            }
            if let refresh = state.refresh, refresh.generation == state.generation { return .wait(refresh.task) }
            let previous = state.entry
            let task = Task { [store, sync, node] in try await Self.refreshed(previous, store: store, sync: sync, topology: topology, node: node) }
            state.refresh = (state.generation, task)
            return .wait(task)
        }
        guard case .wait(let task) = next else {
            if case .ready(let snapshot) = next { return snapshot }
            preconditionFailure()
        }
        do {
            let entry = try await task.value
            state.withLock { state in
                guard let refresh = state.refresh, refresh.task == task else { return }
                state.refresh = nil
                state.entry = entry
                state.checkedGeneration = refresh.generation
            }
            return entry.snapshot
        } catch {
            // The next request tries again rather than sharing this failure.
            state.withLock { state in
                if state.refresh?.task == task { state.refresh = nil }
            }
            throw error
        }
    }

    /// The previous entry if nothing it counts has changed, else a new snapshot.
    private static func refreshed(
        _ previous: Entry?, store: CoverageStore, sync: SyncStore, topology: Topology, node: RegionCode
    ) async throws -> Entry {
        let version = try await store.version()
        let today = CalendarDate(Date(), timeZone: topology.defaultSync.timezone)
        if var entry = previous, entry.version == version, entry.today == today, entry.snapshot.topology.hash == topology.hash {
            entry.checkedAt = .now
            return entry
        }
        let counts = try await store.counts(widths: CoverageSnapshot.prefixWidths(topology: topology, node: node), today: today)
        let snapshot = CoverageSnapshot(topology: topology, node: node, countsByPrefix: counts, edges: try await sync.edges(), builtAt: Date())
        return Entry(snapshot: snapshot, version: version, today: today, checkedAt: .now)
    }
}

/// Tells the coverage cache about every request that may have written (anything but GET and HEAD), once it is answered.
struct WriteNoticeMiddleware<Context: RequestContext>: RouterMiddleware {
    let cache: CoverageCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get && request.method != .head else { return try await next(request, context) }
        defer { cache.invalidate() }
        return try await next(request, context)
    }
}

/// `GET /v1/coverage` (SPEC §8).
struct CoverageController: Sendable {
    let cache: CoverageCache
    let topology: TopologyInForce
    let node: RegionCode

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/v1/coverage", use: coverage)
    }

    @Sendable func coverage(_ request: Request, context: some RequestContext) async throws -> Response {
        let query = try CoverageQuery(parameters: request.uri.queryParameters.map { (String($0.key), String($0.value)) })
        let report = try await report(query)
        switch query.format {
        case .json:
            return try JSONBody.response(.ok, report)
        case .csv:
            return Response(
                status: .ok,
                headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"coverage-\(report.region).csv\""],
                body: .init(byteBuffer: ByteBuffer(string: report.csv))
            )
        }
    }

    /// The report a query asks for, or the reason it cannot have one.
    func report(_ query: CoverageQuery) async throws -> CoverageReport {
        let region = query.region ?? node
        let current = topology.topology
        guard let regionNode = current.node(region) else {
            throw APIError(.notFound, code: "not_found", message: "region \(region) is not in the topology in force (hash \(current.hash.prefix(12)))", field: "region")
        }
        guard node.contains(region) else {
            let holder = current.allNodes.last { $0.url != nil && $0.code.contains(region) && $0.code.contains(node) }
            let ask = holder.map { ": ask node \($0.code) (\($0.name))" } ?? ""
            throw APIError(
                .forbidden, code: "out_of_scope",
                message: "region \(region) (\(regionNode.name)) is outside this node's subtree (\(node))\(ask)", field: "region"
            )
        }
        let snapshot = try await cache.snapshot()
        guard let report = snapshot.report(region: region, depth: query.depth, now: Date()) else {
            throw APIError(.notFound, code: "not_found", message: "region \(region) is not in this node's subtree", field: "region")
        }
        return report
    }
}
