import CongressCore
import CongressStore
import Hummingbird
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The coverage snapshot requests are answered from: made again only when what it counts has changed, from figures
/// maintained as changes arrive (`CoverageFigureStore`), so that neither a request nor a write recounts a subtree
/// (SPEC §11, issue 20).
final class CoverageCache: Sendable {
    private struct Entry: Sendable {
        var snapshot: CoverageSnapshot
        /// The figures the snapshot was made of, and how far they have read the maintained cells.
        var maintained: MaintainedCoverage
        var position: CoverageFigureStore.Position
        var version: CoverageStore.Version
        var today: CalendarDate
        /// The day in China the activities and cases are counted on (their year, cases overdue): it turns in China,
        /// whatever the topology's time zone.
        var chinaToday: CalendarDate
        var checkedAt: ContinuousClock.Instant
    }

    private struct State: Sendable {
        var entry: Entry?
        /// Answers rendered from `entry`'s snapshot, by request, with when they were rendered.
        var rendered: [String: (at: ContinuousClock.Instant, body: ByteBuffer)] = [:]
        /// Bumped by every write through this node: an entry checked before it must be checked again.
        var generation = 0
        var checkedGeneration = -1
        /// The refresh under way and the generation it started at; one at a time.
        var refresh: (generation: Int, task: Task<Entry, any Error>)?
        /// Refreshes started so far: a waiter names the one it waits for.
        var refreshes = 0
        /// Requests waiting for the refresh under way, resumed when it ends or at their deadline.
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var lastWaiter = 0
    }

    /// Writers outside this process (`congress sync` beside a serving node) are noticed within this long.
    static let recheckInterval: Duration = .seconds(1)
    /// How long a request waits for a refresh before it is answered from the snapshot in hand: a county's snapshot
    /// is rebuilt well within it (so its writers read what they wrote), a province's takes about a second.
    static let longestWait: Duration = .milliseconds(250)

    private let store: CoverageStore
    private let figures: CoverageFigureStore
    /// When each node below last delivered, for freshness.
    private let deliveries: BatchApplier
    private let topology: TopologyInForce
    private let node: RegionCode
    private let state = Mutex(State())
    private let metrics: NodeMetrics

    init(
        store: CoverageStore,
        figures: CoverageFigureStore,
        deliveries: BatchApplier,
        topology: TopologyInForce,
        node: RegionCode,
        metrics: NodeMetrics
    ) {
        self.metrics = metrics
        self.store = store
        self.figures = figures
        self.deliveries = deliveries
        self.topology = topology
        self.node = node
    }

    /// Something was written here: the next request checks the database before it answers.
    func invalidate() {
        state.withLock { $0.generation += 1 }
    }

    /// The current snapshot: refreshed first when something may have changed, but never waited for longer than
    /// `longestWait` while an older one can answer (its `generatedAt` tells how old it is).
    func snapshot() async throws -> CoverageSnapshot {
        let topology = topology.topology
        let now = ContinuousClock.now
        let (held, task): (Entry?, Task<Entry, any Error>?) = state.withLock { state in
            let entry = state.entry.flatMap { $0.snapshot.topology.hash == topology.hash ? $0 : nil }
            if let entry, state.checkedGeneration == state.generation, now - entry.checkedAt < Self.recheckInterval {
                return (entry, nil)
            }
            if let refresh = state.refresh { return (entry, refresh.task) }
            let generation = state.generation
            let task = Task { [self] in
                do {
                    let refreshed = try await Self.refreshed(
                        entry,
                        store: store,
                        figures: figures,
                        deliveries: deliveries,
                        topology: topology,
                        node: node,
                        metrics: metrics
                    )
                    let waiters = self.state.withLock { state in
                        if state.entry?.snapshot.builtAt != refreshed.snapshot.builtAt { state.rendered = [:] }
                        state.entry = refreshed
                        state.checkedGeneration = generation
                        return Self.endRefresh(&state)
                    }
                    for waiter in waiters { waiter.resume() }
                    return refreshed
                } catch {
                    for waiter in self.state.withLock({ Self.endRefresh(&$0) }) { waiter.resume() }
                    throw error
                }
            }
            state.refresh = (generation, task)
            state.refreshes += 1
            return (entry, task)
        }
        guard let task else { return held!.snapshot }
        guard let held else { return try await task.value.snapshot }
        await awaitRefresh(until: now + Self.longestWait)
        if let replaced = state.withLock({ $0.entry }), replaced.snapshot.builtAt != held.snapshot.builtAt || replaced.checkedAt != held.checkedAt {
            return replaced.snapshot
        }
        return held.snapshot
    }

    /// Marks the refresh under way as ended and hands back who waited for it, to be resumed outside the lock.
    private static func endRefresh(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        state.refresh = nil
        defer { state.waiters = [:] }
        return Array(state.waiters.values)
    }

    /// Returns when the refresh under way ends, or at `deadline` if that comes first.
    private func awaitRefresh(until deadline: ContinuousClock.Instant) async {
        let waiting: (waiter: Int, refresh: Int)? = state.withLock { state in
            guard state.refresh != nil else { return nil }
            state.lastWaiter += 1
            return (state.lastWaiter, state.refreshes)
        }
        guard let waiting else { return }
        // The deadline's own wake-up: it resumes the waiter unless the refresh has already (then it is cancelled).
        let timer = Task { [self] in
            try? await Task.sleep(until: deadline)
            let waiter = self.state.withLock { $0.waiters.removeValue(forKey: waiting.waiter) }
            waiter?.resume()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                // Already over: the refresh waited for has ended, or the deadline has passed (the timer found nobody).
                guard state.refresh != nil, state.refreshes == waiting.refresh, ContinuousClock.now < deadline else { return true }
                state.waiters[waiting.waiter] = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        timer.cancel()
    }

    /// Rendering JSON costs far more than walking the snapshot, so an answer is reused for up to this long (its
    /// staleness verdicts are that much older at most).
    static let renderedLifetime: Duration = .seconds(1)

    /// The answer `key` names, rendered from the current snapshot by `render` or reused from a moment ago.
    func rendered(_ key: String, _ render: (CoverageSnapshot) throws -> ByteBuffer) async throws -> ByteBuffer {
        let snapshot = try await snapshot()
        let now = ContinuousClock.now
        let reused: ByteBuffer? = state.withLock { state in
            guard state.entry?.snapshot.builtAt == snapshot.builtAt, let kept = state.rendered[key], now - kept.at < Self.renderedLifetime else {
                return nil
            }
            return kept.body
        }
        if let reused { return reused }
        let body = try render(snapshot)
        state.withLock { state in
            guard state.entry?.snapshot.builtAt == snapshot.builtAt else { return }
            // Bounded: a province has about 1,500 regions, each asked at a few depths.
            if state.rendered.count >= 10_000 { state.rendered = [:] }
            state.rendered[key] = (now, body)
        }
        return body
    }

    /// The previous entry if nothing it counts has changed, else a new snapshot of the figures brought up to date.
    private static func refreshed(
        _ previous: Entry?,
        store: CoverageStore,
        figures: CoverageFigureStore,
        deliveries: BatchApplier,
        topology: Topology,
        node: RegionCode,
        metrics: NodeMetrics
    ) async throws -> Entry {
        let version = try await store.version()
        let day = CoverageFigureStore.Day.now(in: topology)
        let (today, chinaToday) = (day.today, day.chinaToday)
        if var entry = previous, entry.version == version, entry.today == today, entry.chinaToday == chinaToday,
            entry.snapshot.topology.hash == topology.hash
        {
            entry.checkedAt = .now
            return entry
        }
        let started = ContinuousClock.now
        let widths = CoverageSnapshot.prefixWidths(topology: topology, node: node)
        var maintained = previous.map(\.maintained).flatMap { $0.widths == widths ? $0 : nil } ?? MaintainedCoverage(widths: widths)
        try await figures.maintain(cellWidth: maintained.cellWidth, day: day)
        let changes = try await figures.changes(since: previous?.maintained.widths == widths ? previous?.position : nil)
        if changes.complete { maintained = MaintainedCoverage(widths: widths) }
        for (cell, counts) in changes.cells { maintained.setCell(cell, counts) }
        for (person, entry) in changes.persons { maintained.setPerson(person, entry) }
        let snapshot = CoverageSnapshot(
            topology: topology,
            node: node,
            countsByPrefix: maintained.countsByPrefix,
            edges: try await deliveries.edges(),
            builtAt: Date(),
            activityYear: chinaToday.year
        )
        metrics.coverageRecounted(in: ContinuousClock.now - started)
        return Entry(
            snapshot: snapshot,
            maintained: maintained,
            position: changes.position,
            version: version,
            today: today,
            chinaToday: chinaToday,
            checkedAt: .now
        )
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
