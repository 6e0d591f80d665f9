import Logging
import ServiceLifecycle

/// Runs `services` in the background while `body` runs, then shuts them down gracefully and waits for them: how tests
/// and benchmarks run nodes inside one process.
public func whileRunning<Value: Sendable>(_ services: [any Service], logger: Logger, _ body: () async throws -> Value) async throws -> Value {
    var configuration = ServiceGroupConfiguration(services: services.map { .init(service: $0) }, logger: logger)
    // The end of a test or an operator's Ctrl-C stops the nodes even if one lingers in its graceful shutdown (once, the
    // demo's did with keep-alive connections between its nodes open): what is left is then cancelled.
    configuration.maximumGracefulShutdownDuration = .seconds(20)
    let group = ServiceGroup(configuration: configuration)
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
