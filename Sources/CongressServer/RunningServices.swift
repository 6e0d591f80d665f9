import Logging
import ServiceLifecycle

/// Runs `services` in the background while `body` runs, then shuts them down gracefully and waits for them: how tests
/// and benchmarks run nodes inside one process.
public func whileRunning<Value: Sendable>(_ services: [any Service], logger: Logger, _ body: () async throws -> Value) async throws -> Value {
    let group = ServiceGroup(services: services, gracefulShutdownSignals: [], logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            let value = try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return value
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}
