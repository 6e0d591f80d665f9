import CongressCore
import CongressStore
import Logging
import ServiceLifecycle

/// Erases, once the database is migrated and then every `interval` while the node serves, the constituents' contacts
/// past their retention (SPEC §13). Each pass that erases something is one audit entry, a count without a case.
struct ContactEraser: Service {
    let store: ContactStore
    let audit: AuditTrail
    let interval: Duration
    let startsAfter: ReadySignal
    let logger: Logger
    /// Days a closed case keeps its contact (`contactRetentionDays`).
    var retentionDays = NodeConfig.defaultContactRetentionDays

    func run() async throws {
        await startsAfter.wait()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await eraseDue(today: Activity.today())
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One pass: erases what is due on `today`.
    func eraseDue(today: CalendarDate) async {
        do {
            let erased = try await store.eraseDue(today: today, closedBefore: today.adding(days: -retentionDays))
            guard erased > 0 else { return }
            logger.notice("constituents' contacts erased past their retention", metadata: ["contacts": "\(erased)"])
            await audit.append(actor: "node", action: "erase contacts past retention", outcome: "\(erased) contacts")
        } catch {
            logger.error("erasing contacts past their retention failed; the next pass retries", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
