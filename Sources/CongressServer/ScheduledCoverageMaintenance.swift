import CongressCore
import CongressStore
import Logging
import ServiceLifecycle

/// Brings the coverage figures up to date once the database is migrated and then every `interval` while the node serves
/// (issue 20), whether or not anyone reads them: the marks writes leave in `coverage_dirty` are taken while they are
/// few (a county that syncs every night and whose dashboard nobody opens would otherwise keep a mark per record
/// written), a new node's first full count is made before its first reader asks, and the next reader finds the cells
/// already counted. A pass with nothing marked and no day passed costs a few queries.
struct ScheduledCoverageMaintenance: Service {
    let figures: CoverageFigureStore
    let topology: TopologyInForce
    let node: RegionCode
    let interval: Duration
    let startsAfter: ReadySignal
    let logger: Logger

    func run() async throws {
        await startsAfter.wait()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await maintain()
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One pass; a failure is logged, and the next pass (or the next reader) retries.
    func maintain() async {
        do {
            try await figures.maintain(for: topology.topology, node: node)
        } catch is CancellationError {
            return
        } catch {
            logger.error("maintaining the coverage figures failed; the next pass retries", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
