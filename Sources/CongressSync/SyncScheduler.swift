import CongressCore
import CongressStore
import Logging
import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Runs this node's sync (push, then pull) on its edge's schedule from the topology in force (default nightly, in
/// its time zone). A failed run is tried again sooner — after 5 minutes, doubling to at most an hour — but never later
/// than the next scheduled run.
public struct SyncScheduler: Service {
    let sync: SyncClient
    let topology: TopologyInForce
    let node: RegionCode
    let logger: Logger
    /// What must have happened before the first run (the node's migrations), if anything.
    let startsAfter: ReadySignal?

    public init(sync: SyncClient, topology: TopologyInForce, node: RegionCode, logger: Logger, startsAfter: ReadySignal? = nil) {
        self.sync = sync
        self.topology = topology
        self.node = node
        self.logger = logger
        self.startsAfter = startsAfter
    }

    /// When to try again after `failures` failed runs in a row.
    static func retryDelay(afterFailures failures: Int) -> TimeInterval {
        min(3600, 300 * Double(1 << min(failures - 1, 4)))
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await startsAfter?.wait()
            var failures = 0
            var retryAt: Date?
            while !Task.isCancelled {
                // Re-read each minute at most: a reloaded topology may move the schedule.
                let current = topology.topology
                guard current.upstream(of: node) != nil, let schedule = current.node(node)?.sync,
                    let scheduled = schedule.nextRun(after: Date())
                else {
                    try? await Task.sleep(for: .seconds(60))
                    continue
                }
                let next = retryAt.map { min($0, scheduled) } ?? scheduled
                let wait = next.timeIntervalSinceNow
                if wait > 60 {
                    try? await Task.sleep(for: .seconds(60))
                    continue
                }
                try? await Task.sleep(for: .seconds(max(0, wait)))
                guard !Task.isCancelled else { break }
                logger.info("scheduled sync starts", metadata: ["schedule": "\(schedule)", "retry": "\(failures > 0)"])
                let report = await sync.run()
                if report.error == nil {
                    failures = 0
                    retryAt = nil
                } else {
                    failures += 1
                    retryAt = Date().addingTimeInterval(Self.retryDelay(afterFailures: failures))
                }
                logger.info(
                    "scheduled sync done",
                    metadata: [
                        "changes": "\(report.changes)", "acked": "\(report.ackedSeq)", "directives": "\(report.directives)",
                        "error": "\(report.error ?? "none")", "nextRetry": "\(retryAt.map { "\($0)" } ?? "none")",
                    ]
                )
            }
        }
    }
}
