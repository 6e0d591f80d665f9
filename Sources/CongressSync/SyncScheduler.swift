import CongressCore
import Logging
import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Runs this node's sync (push, then pull) on its edge's schedule from the topology in force (default nightly, in its time zone).
public struct SyncScheduler: Service {
    let sync: SyncClient
    let topology: TopologyInForce
    let node: RegionCode
    let logger: Logger

    public init(sync: SyncClient, topology: TopologyInForce, node: RegionCode, logger: Logger) {
        self.sync = sync
        self.topology = topology
        self.node = node
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                // Re-read each minute at most: a reloaded topology may move the schedule.
                let current = topology.topology
                guard current.upstream(of: node) != nil, let schedule = current.node(node)?.sync,
                    let next = schedule.nextRun(after: Date())
                else {
                    try? await Task.sleep(for: .seconds(60))
                    continue
                }
                let wait = next.timeIntervalSinceNow
                if wait > 60 {
                    try? await Task.sleep(for: .seconds(60))
                    continue
                }
                try? await Task.sleep(for: .seconds(max(0, wait)))
                guard !Task.isCancelled else { break }
                logger.info("scheduled sync starts", metadata: ["schedule": "\(schedule)"])
                let report = await sync.run()
                logger.info(
                    "scheduled sync done",
                    metadata: [
                        "changes": "\(report.changes)", "acked": "\(report.ackedSeq)", "directives": "\(report.directives)",
                        "error": "\(report.error ?? "none")",
                    ]
                )
            }
        }
    }
}
