import Logging
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Where a store gets its PostgreSQL client: a client of its own (commands, tools, tests), or a node's `ConnectionPool`,
/// which replaces its client when the database comes back from an outage.
public protocol PostgresClientSource: Sendable {
    var client: PostgresClient { get }
    /// False while the source knows the database is gone (a node's pool during an outage).
    var reachable: Bool { get }
}

extension PostgresClient: PostgresClientSource {
    public var client: PostgresClient { self }
    public var reachable: Bool { true }
}

/// A node's PostgreSQL connection pool run as a service, and a watch on the database behind it.
///
/// PostgresNIO's pool copes badly with a database that goes away: requests queue for a minute before its circuit breaker
/// trips, and after the database returns it keeps failing until its next retry, whose backoff grows with the outage (to a
/// minute). So the pool watches the database over a connection of its own: once a new connection cannot be made, it shuts
/// its client down (every query, waiting or new, then fails at once and is answered 503) and tries the database again
/// every `retryInterval`; once one succeeds, it serves with a new client.
public final class ConnectionPool: Service, PostgresClientSource {
    /// How the pool watches its database.
    public struct Watch: Sendable {
        /// How often the watch pings the database while it answers.
        public var pingInterval: Duration = .milliseconds(500)
        /// How long a ping, then a new connection, may take: the database counts as unreachable when a connection is
        /// refused, or when two in a row take longer.
        public var timeout: Duration = .milliseconds(1500)
        /// How often an unreachable database is tried again.
        public var retryInterval: Duration = .milliseconds(250)
        /// How long `/health` waits for the database before it answers 503. While the watch knows the database is gone,
        /// `/health` answers 503 at once; this bounds a database that hangs before the watch has noticed, and leaves a
        /// slow answer under load (a busy machine) counted as healthy.
        public var healthLimit: Duration = .seconds(2)

        public init() {}
    }

    private struct Current {
        var client: PostgresClient
        var reachable = true
    }

    private let address: DatabaseAddress
    private let watch: Watch
    private let logger: Logger
    private let current: Mutex<Current>
    private let started = ReadySignal()

    /// `logger` is the pool's background logger as well: give commands run beside a node a quiet one.
    public init(_ address: DatabaseAddress, watch: Watch = Watch(), logger: Logger) {
        self.address = address
        self.watch = watch
        self.logger = logger
        current = Mutex(Current(client: PostgresClient(configuration: address.clientConfiguration, backgroundLogger: logger)))
    }

    /// The client in service: after an outage, a new one.
    public var client: PostgresClient { current.withLock { $0.client } }

    /// Whether the database answered the watch last time it looked.
    public var reachable: Bool { current.withLock { $0.reachable } }

    public func run() async {
        let first = await start(client)
        let last = await cancelWhenGracefulShutdown { await self.watchDatabase(serving: first) }
        last.cancel()
        await last.value
    }

    /// Pings the database while it answers; once a new connection cannot be made, shuts the client `serving` down; once
    /// one can again, serves with a new client. Returns the client running at the end (graceful shutdown, cancellation).
    private func watchDatabase(serving first: Task<Void, Never>) async -> Task<Void, Never> {
        var serving = first
        var connection: PostgresConnection?
        var slowAttempts = 0
        while !Task.isCancelled {
            if let open = connection {
                try? await Task.sleep(for: watch.pingInterval)
                if (try? await firstOf(within: watch.timeout, { try await open.query("SELECT 1", logger: self.logger).collect().count })) != nil {
                    continue
                }
                // No answer: a new connection tells a slow database from one that is gone.
                try? await open.close()
                connection = nil
            }
            do {
                connection = try await firstOf(within: watch.timeout) { try await self.connect() }
                slowAttempts = 0
                if !reachable { serving = await recover() }
            } catch {
                // A refused connection means the database is gone; one merely slow may be a busy machine: twice in a row.
                slowAttempts = error is DatabaseTimeout ? slowAttempts + 1 : 2
                if reachable, slowAttempts >= 2 { lose(serving, error) }
                try? await Task.sleep(for: watch.retryInterval)
            }
        }
        try? await connection?.close()
        return serving
    }

    /// Returns once the pool runs. A query leased before the client's `run()` has begun waits for it, but PostgresNIO
    /// warns about each one ("`run()` hasn't been called yet"): work that starts together with the node (migrations, a
    /// scheduled sync) waits for this first.
    public func running() async {
        await started.wait()
    }

    /// Runs `work` once the pool runs, and again each time the watch finds the database gone while it ran: a node
    /// started before its database, or on a machine too busy to connect in time (the watch then shuts the client down
    /// under the work), starts once the database answers instead of exiting. Other errors are thrown.
    public func onceReachable<Value: Sendable>(_ doing: String, _ work: () async throws -> Value) async throws -> Value {
        await running()
        while true {
            if reachable {
                do {
                    return try await work()
                } catch  where !reachable {
                    logger.notice(
                        "the database went away while \(doing): trying again once it returns",
                        metadata: ["error": "\(String(reflecting: error))"]
                    )
                }
            }
            try await Task.sleep(for: watch.retryInterval)
        }
    }

    /// Runs `client` until it is cancelled, returning once its `run()` has begun.
    private func start(_ client: PostgresClient) async -> Task<Void, Never> {
        let begun = ReadySignal()
        let task = Task {
            // PostgresClient offers no "running" event. Its `run()` marks the client running as its very first step, with
            // no suspension before it; a waiter resumed here reaches its first lease microseconds later, after that mark.
            begun.signal()
            await client.run()
        }
        await begun.wait()
        started.signal()
        return task
    }

    private func lose(_ serving: Task<Void, Never>, _ error: any Error) {
        current.withLock { $0.reachable = false }
        // Shut down, the client fails what waits for a connection and what asks for one from now on, at once.
        serving.cancel()
        logger.error("database unreachable: answering 503 until it returns", metadata: ["error": "\(String(reflecting: error))"])
    }

    /// Serves with a new client: the one shut down at the outage has ended (or soon will) on its own.
    private func recover() async -> Task<Void, Never> {
        let fresh = PostgresClient(configuration: address.clientConfiguration, backgroundLogger: logger)
        let task = await start(fresh)
        current.withLock { $0 = Current(client: fresh, reachable: true) }
        logger.notice("database reachable again: serving")
        return task
    }

    private func connect() async throws -> PostgresConnection {
        let configuration = PostgresConnection.Configuration(
            host: address.host,
            port: address.port,
            username: address.username,
            password: address.password,
            database: address.database,
            tls: try address.connectionTLS
        )
        return try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
    }
}

/// The database did not answer within the time allowed.
public struct DatabaseTimeout: Error, Sendable, CustomStringConvertible {
    public var limit: Duration
    public var description: String { "the database did not answer within \(limit)" }
}

/// The node's watch found the database gone: answered at once, until it returns.
public struct DatabaseGone: Error, Sendable, CustomStringConvertible {
    public var description: String { "the database is unreachable: the node's watch cannot connect to it" }
}

/// The connection closed under the work (the database stopped or the network broke).
public struct ConnectionClosed: Error, Sendable, CustomStringConvertible {
    public var description: String { "the database connection closed" }
}

/// The result of `operation`, or `DatabaseTimeout` once `limit` has passed; the operation is then cancelled and left to
/// end on its own (a query already sent cannot be taken back, and a connection still being made cannot be waited for).
public func firstOf<Value: Sendable>(
    within limit: Duration,
    _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        let answer = FirstAnswer(continuation)
        let work = answer.run(operation)
        Task {
            try? await Task.sleep(for: limit)
            if answer.give(.failure(DatabaseTimeout(limit: limit))) { work.cancel() }
        }
    }
}

/// A continuation resumed once, by whichever answer comes first.
final class FirstAnswer<Value: Sendable>: Sendable {
    private let waiting: Mutex<CheckedContinuation<Value, any Error>?>

    init(_ continuation: CheckedContinuation<Value, any Error>) {
        waiting = Mutex(continuation)
    }

    /// Runs `operation` in a task of its own, its outcome an answer.
    @discardableResult
    func run(_ operation: @escaping @Sendable () async throws -> Value) -> Task<Void, Never> {
        Task {
            do {
                give(.success(try await operation()))
            } catch {
                give(.failure(error))
            }
        }
    }

    /// Resumes the waiter with `result` unless an earlier answer has; true if this one did.
    @discardableResult
    func give(_ result: Result<Value, any Error>) -> Bool {
        guard let continuation = waiting.withLock({ $0.take() }) else { return false }
        continuation.resume(with: result)
        return true
    }
}
