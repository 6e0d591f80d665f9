import CongressCore
import CongressStore
import Logging
import ServiceLifecycle

/// Re-keys, once the database is migrated and while the node serves, the mandates this node owns whose `personKey` an
/// older release derived with the fast HMAC (SPEC §14), a few at a time (each key costs a slow derivation). The new keys
/// replicate up as new versions. Until every node below has done so, an upper node may hold one person under both
/// kinds of key and count them twice.
struct PersonKeyRekeyer: Service {
    let store: RecordStore
    let deriver: PersonKeyDeriver
    let audit: AuditTrail
    let startsAfter: ReadySignal
    let logger: Logger

    /// Mandates per transaction: their rows stay locked while their keys are derived.
    static let chunk = 10

    func run() async throws {
        await startsAfter.wait()
        await rekey()
        // A service that returns stops the node: this one waits for the node's shutdown instead.
        try? await gracefulShutdown()
    }

    private func rekey() async {
        var total = 0
        do {
            while !Task.isCancelled {
                let done = try await store.rekeyLegacyPersonKeys(limit: Self.chunk, using: deriver)
                if done == 0 { break }
                total += done
            }
        } catch {
            logger.error("re-keying person keys stopped; the next start goes on", metadata: ["error": "\(String(reflecting: error))"])
        }
        guard total > 0 else { return }
        logger.notice("person keys re-keyed with the slow derivation", metadata: ["mandates": "\(total)"])
        await audit.append(actor: "node", action: "personKey re-key", outcome: "\(total) mandates")
    }
}
