import CongressCore
import Logging
import NIOSSL
import PostgresNIO
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Logger {
    /// This logger at error level, for connection pools and what uses them first: a pool warns about a query queued a
    /// moment before its `run()` has started, which is how services started together use it.
    public var errorsOnly: Logger {
        var quiet = self
        quiet.logLevel = .error
        return quiet
    }

    /// A logger that logs from `level` up, as a command's or benchmark's.
    public init(label: String, level: Logger.Level) {
        self.init(label: label)
        logLevel = level
    }
}

/// Where a node's PostgreSQL is and how to log in.
public struct DatabaseAddress: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// TLS to the server, as the url's `?sslmode=` asks (SPEC §14).
    public var sslMode: SSLMode = .disable

    /// libpq's `sslmode` values this node honours. `require` encrypts without checking the server's certificate (as
    /// libpq does without a root certificate); `verify-ca` checks it against `sslrootcert` (else the system's roots),
    /// `verify-full` also checks the server's name against the url's host.
    public enum SSLMode: Sendable, Equatable {
        case disable
        case prefer
        case require
        case verifyCA(rootCertificate: String?)
        case verifyFull(rootCertificate: String?)
    }

    public init(host: String, port: Int, username: String, password: String?, database: String) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses `postgres://user[:password]@host[:port]/database[?sslmode=MODE[&sslrootcert=FILE]]`.
    public init(url: String) throws(InputError) {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, !host.isEmpty
        else {
            throw InputError(field: "database", message: "'\(url)' is not a PostgreSQL URL (postgres://user@host:port/db)")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.init(
            host: host,
            port: components.port ?? 5432,
            username: components.user ?? "postgres",
            password: components.password?.removingPercentEncoding,
            database: database.isEmpty ? "postgres" : database
        )
        sslMode = try Self.sslMode(in: components.queryItems ?? [])
    }

    private static func sslMode(in items: [URLQueryItem]) throws(InputError) -> SSLMode {
        let root = items.last { $0.name == "sslrootcert" }?.value
        switch items.last(where: { $0.name == "sslmode" })?.value {
        case nil, "disable": return .disable
        case "allow", "prefer": return .prefer
        case "require": return root == nil ? .require : .verifyCA(rootCertificate: root)
        case "verify-ca": return .verifyCA(rootCertificate: root)
        case "verify-full": return .verifyFull(rootCertificate: root)
        case let other?:
            throw InputError(
                field: "database",
                message: "sslmode '\(other)' is not one of disable, allow, prefer, require, verify-ca, verify-full"
            )
        }
    }

    /// The same server, another database.
    public func with(database: String) -> DatabaseAddress {
        var copy = self
        copy.database = database
        return copy
    }

    /// For logs: never shows the password.
    public var redacted: String { "postgres://\(username)@\(host):\(port)/\(database)" + (sslMode == .disable ? "" : "?sslmode=\(sslModeName)") }

    private var sslModeName: String {
        switch sslMode {
        case .disable: "disable"
        case .prefer: "prefer"
        case .require: "require"
        case .verifyCA: "verify-ca"
        case .verifyFull: "verify-full"
        }
    }

    /// The TLS asked of the server, nil without: the pool's and the watch's connections alike.
    private var tlsConfiguration: TLSConfiguration? {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable:
            return nil
        case .prefer, .require:
            tls.certificateVerification = .none
        case .verifyCA(let root), .verifyFull(let root):
            if let root { tls.trustRoots = .file(root) }
            if case .verifyCA = sslMode { tls.certificateVerification = .noHostnameVerification }
        }
        return tls
    }

    /// The TLS the client asks of the server.
    public var clientTLS: PostgresClient.Configuration.TLS {
        guard let tls = tlsConfiguration else { return .disable }
        return sslMode == .prefer ? .prefer(tls) : .require(tls)
    }

    /// The same for a connection of its own (the pool's watch).
    var connectionTLS: PostgresConnection.Configuration.TLS {
        get throws {
            guard let tls = tlsConfiguration else { return .disable }
            let context = try NIOSSLContext(configuration: tls)
            return sslMode == .prefer ? .prefer(context) : .require(context)
        }
    }

    public var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: clientTLS
        )
        configuration.options.minimumConnections = 0
        configuration.options.maximumConnections = 10
        return configuration
    }
}

/// A failure the client can act on, raised by the store and rendered by the server.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Reason: Sendable { case notFound, conflict, unprocessable, forbidden }

    public var reason: Reason
    public var message: String
    public var field: String?

    public init(_ reason: Reason, _ message: String, field: String? = nil) {
        self.reason = reason
        self.message = message
        self.field = field
    }

    public var description: String { message }
}

/// Runs `work` (a whole transaction) again when PostgreSQL gave it up for another's sake, up to 5 times: a serialization
/// failure (two coverage maintainers at once: the later one's snapshot missed what the other consumed) or a deadlock it
/// broke (two batches landing at once in different orders).
func retryingConflicts<Result>(_ work: () async throws -> Result) async throws -> Result {
    for attempt in 1... {
        do {
            return try await work()
        } catch let error as PSQLError where ["40001", "40P01"].contains(error.serverInfo?[.sqlState]) && attempt < 5 {
            try await Task.sleep(for: .milliseconds(20 * attempt))
        }
    }
    fatalError("unreachable")
}

extension PostgresClient {
    /// Runs `work` in one transaction and lets the closure's own error through unwrapped,
    /// so a refused write reaches the client as what it is rather than as a transaction failure; a refusal of
    /// PostgreSQL's that means something to the client (a duplicate key, a malformed value) becomes a `StoreError`.
    /// `file` and `line` are the caller's: a failed BEGIN or COMMIT names the store method it served.
    ///
    /// The transaction ends with an error as soon as its connection closes (the database stopped): PostgresNIO 1.33.2 never
    /// answers a query sent on a connection already closed, so the work, left waiting, is not awaited.
    func transaction<Result: Sendable>(
        logger: Logger,
        file: String = #fileID,
        line: Int = #line,
        _ work: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await withOpenConnection { connection in
                try await connection.withTransaction(logger: logger, file: file, line: line) { connection in try await work(connection) }
            }
        } catch let error as PostgresTransactionError {
            guard let closureError = error.closureError else { throw error }
            throw StoreError(databaseError: closureError) ?? closureError
        }
    }

    /// Runs `work` on one of the pool's connections, ending with `ConnectionClosed` as soon as that connection closes
    /// (see `transaction`): the way to hold a connection outside a transaction.
    func withOpenConnection<Result: Sendable>(_ work: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        try await withConnection { connection in try await connection.untilClosed { try await work(connection) } }
    }
}

extension PostgresConnection {
    /// The result of `operation`, or `ConnectionClosed` once this connection closes first; `operation` is then
    /// left to end on its own, if ever (see `PostgresClient.transaction`).
    func untilClosed<Value: Sendable>(_ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let answer = FirstAnswer(continuation)
            let waiter = CloseWaiters.shared.add(on: self) { answer.give(.failure(ConnectionClosed())) }
            answer.run {
                defer { CloseWaiters.shared.remove(waiter, on: self) }
                return try await operation()
            }
        }
    }
}

/// Who waits on each open connection's close. A pooled connection serves transaction after transaction for hours, and
/// a future keeps every callback given it until it completes: so each connection gets one callback on its
/// `closeFuture`, and the waiters of the moment are kept here.
final class CloseWaiters: Sendable {
    static let shared = CloseWaiters()

    private struct State {
        var lastWaiter = 0
        /// The waiters of each connection whose close is watched, until it closes.
        var waiters: [ObjectIdentifier: [Int: @Sendable () -> Void]] = [:]
    }

    private let state = Mutex(State())

    /// Calls `closed` once `connection` closes, unless removed first; returns the waiter to remove.
    func add(on connection: PostgresConnection, _ closed: @escaping @Sendable () -> Void) -> Int {
        let key = ObjectIdentifier(connection)
        let (waiter, firstOnConnection) = state.withLock { state in
            state.lastWaiter += 1
            let first = state.waiters[key] == nil
            state.waiters[key, default: [:]][state.lastWaiter] = closed
            return (state.lastWaiter, first)
        }
        if firstOnConnection {
            connection.closeFuture.whenComplete { _ in
                for closed in (self.state.withLock { $0.waiters.removeValue(forKey: key) } ?? [:]).values { closed() }
            }
        }
        return waiter
    }

    func remove(_ waiter: Int, on connection: PostgresConnection) {
        state.withLock { _ = $0.waiters[ObjectIdentifier(connection)]?.removeValue(forKey: waiter) }
    }
}
