import CongressStore
import Logging
import ServiceLifecycle

/// Work a node does on its own, once the database is migrated and then every `interval` while it serves (issue 20):
/// compacting the change log (at a root, which never pushes, this is what compacts it; elsewhere it drops the
/// tombstones that came past their retention since the last push) and bringing the coverage figures up to date whether
/// or not anyone reads them (so that the marks writes leave do not pile up at a node whose dashboard nobody opens, and
/// a new node's first full count is made before its first reader asks). Each pass reads only what changed since the
/// last; a failure is logged and the next pass retries.
struct ScheduledPass: Service {
    /// What the pass does, for the log: "compacting the change log".
    let doing: String
    let interval: Duration
    let startsAfter: ReadySignal
    let logger: Logger
    let pass: @Sendable () async throws -> Void

    func run() async throws {
        await startsAfter.wait()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await pass()
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("\(doing) failed; the next pass retries", metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
