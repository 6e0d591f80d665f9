import Logging
import ServiceLifecycle

/// Runs `services` in the background while `body` runs, then shuts them down gracefully and waits for them: how tests
/// and benchmarks run nodes inside one process. Services that stop while `body` runs (a port in use, a start that
/// failed) end `body` too, and their error is thrown: a caller waiting for a node learns at once why it never came.
public func whileRunning<Value: Sendable>(
    _ services: [any Service],
    logger: Logger,
    _ body: @Sendable () async throws -> Value
) async throws -> Value {
    var configuration = ServiceGroupConfiguration(services: services.map { .init(service: $0) }, logger: logger)
    // The end of a test or an operator's Ctrl-C stops the nodes even if one lingers in its graceful shutdown (once, the
    // demo's did with keep-alive connections between its nodes open): what is left is then cancelled.
    configuration.maximumGracefulShutdownDuration = .seconds(20)
    let group = ServiceGroup(configuration: configuration)
    return try await withoutActuallyEscaping(body) { body in
        try await withThrowingTaskGroup(of: RunEnding<Value>.self) { tasks in
            tasks.addTask {
                do { try await group.run() } catch { return .services(error) }
                return .services(nil)
            }
            tasks.addTask { .body(try await body()) }
            let first: RunEnding<Value>
            do {
                first = try await tasks.next()!
            } catch {
                await group.triggerGracefulShutdown()
                while case .some = try? await tasks.next() {}
                throw error
            }
            switch first {
            case .body(let value):
                await group.triggerGracefulShutdown()
                if case .services(let error?) = try await tasks.next() { throw error }
                return value
            case .services(let error):
                tasks.cancelAll()
                while case .some = try? await tasks.next() {}
                throw error ?? ServicesStopped()
            }
        }
    }
}

/// Which of `whileRunning`'s two tasks ended first.
private enum RunEnding<Value: Sendable>: Sendable {
    case body(Value)
    case services((any Error)?)
}

/// The services ended on their own while the work that needs them still ran.
public struct ServicesStopped: Error, CustomStringConvertible {
    public var description: String { "the services stopped before the work that needs them ended" }
}
