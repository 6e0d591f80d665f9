import PostgresNIO
import ServiceLifecycle

/// A node's PostgreSQL connection pool run as a service, and the moment it runs. A query leased before the pool's
/// `run()` has begun waits for it, but PostgresNIO warns about each one ("`run()` hasn't been called yet"): work that
/// starts together with the node (migrations, a scheduled sync) waits for `running()` first.
public struct ConnectionPool: Service {
    public let client: PostgresClient
    private let started = ReadySignal()

    public init(_ client: PostgresClient) {
        self.client = client
    }

    public func run() async {
        // PostgresClient offers no "running" event. Its `run()` marks the client running as its very first step, with no
        // suspension before it; a waiter resumed here is scheduled on another thread and reaches its first lease
        // microseconds later — after that mark, where before this it could come whole milliseconds early.
        started.signal()
        await client.run()
    }

    /// Returns once the pool runs.
    public func running() async {
        await started.wait()
    }
}
