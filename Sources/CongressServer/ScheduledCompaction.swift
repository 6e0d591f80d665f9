import CongressCore
import CongressStore
import Logging
import ServiceLifecycle

/// Compacts the change log once the database is migrated and then every `interval` while the node serves (issue 20): at
/// a root, which never pushes, this is what compacts it; elsewhere it drops the tombstones that came past their retention
/// since the last push, which compacts too. A pass reads only what was logged since the last one.
struct ScheduledCompaction: Service {
    let compactor: ChangeLogCompactor
    /// The parent in force bounds what may go: its acknowledgement (none at a root).
    let topology: TopologyInForce
    let interval: Duration
    let startsAfter: ReadySignal
    let logger: Logger

    func run() async throws {
        await startsAfter.wait()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await compact()
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One pass; a failure is logged, and the next pass goes on from where this one stopped.
    func compact() async {
        do {
            _ = try await compactor.compact(parent: topology.topology.upstream(of: compactor.node)?.code)
        } catch is CancellationError {
            return
        } catch {
            logger.error("compacting the change log failed; the next pass retries", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
