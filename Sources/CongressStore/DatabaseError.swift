import Logging
import PostgresNIO
import _ConnectionPoolModule

/// A database failure that is no refusal of the caller's request: what the store was doing, and what PostgreSQL or
/// the connection said — never the query's bound values (they may hold personal data) nor the connection's password.
///
/// PostgresNIO's own errors describe themselves with a deliberately generic text; this one says what happened, so
/// that it can be logged, shown in the sync status and on the dashboard as it is.
public struct DatabaseError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What the store was doing, in domain words ("reading the change log").
    public var operation: String
    /// PostgreSQL's error code, when the server answered with one.
    public var sqlState: String?
    /// PostgreSQL's message, or what went wrong with the connection.
    public var reason: String
    /// More for the node's log: PostgreSQL's detail and hint, and where the failing request was made.
    public var context: String
    /// The database could not be reached, or the connection broke under the work (the server ended it, or the network
    /// did): whatever the statement wrote is rolled back; answered 503, try again later.
    public var unreachable = false

    public var description: String {
        unreachable ? "the database connection was lost while \(operation): \(reason)" : "database error while \(operation): \(reason)"
    }
    public var debugDescription: String { context.isEmpty ? description : "\(description) [\(context)]" }

    init(_ operation: String, _ error: PSQLError) {
        self.operation = operation
        unreachable = Self.meansUnreachable(error)
        if let server = error.serverInfo {
            sqlState = server[.sqlState]
            reason = "PostgreSQL \(server[.sqlState] ?? "error"): \(server[.message] ?? "(no message)")"
        } else {
            sqlState = nil
            // The connection's trouble: refused, closed, timed out… (its description names no credential).
            reason = error.underlying.map { "\(error.code): \(String(describing: $0))" } ?? "\(error.code)"
        }
        var context: [String] = []
        if let detail = error.serverInfo?[.detail] { context.append("detail: \(detail)") }
        if let hint = error.serverInfo?[.hint] { context.append("hint: \(hint)") }
        if let file = error.file { context.append("at \(file):\(error.line ?? 0)") }
        self.context = context.joined(separator: "; ")
    }

    init(_ operation: String, _ error: ConnectionClosed) {
        self.operation = operation
        sqlState = nil
        reason = error.description
        context = ""
        unreachable = true
    }

    init(_ operation: String, _ error: PostgresDecodingError) {
        self.operation = operation
        sqlState = nil
        reason = "column \(error.columnName) (\(error.postgresType)) could not be read as \(error.targetType): \(error.code)"
        context = "at \(error.file):\(error.line)"
    }

    /// Whether `error` says the database could not be reached or went away, rather than refused the work: the connection
    /// failed or closed, the node's pool is shut down while the database is gone, PostgreSQL is shutting down or starting
    /// (SQLSTATE class 08, 57P01–57P03), or it did not answer in time.
    public static func meansUnreachable(_ error: any Error) -> Bool {
        switch error {
        case let error as DatabaseError:
            return error.unreachable
        case is DatabaseTimeout, is ConnectionClosed, is DatabaseGone:
            return true
        case let error as ConnectionPoolError:
            return error == .poolShutdown || error == .connectionCreationCircuitBreakerTripped
        case let error as PostgresTransactionError:
            let failure = error.beginError ?? error.commitError ?? error.closureError ?? error.rollbackError
            return failure.map(meansUnreachable) ?? false
        case let error as PSQLError:
            if let state = error.serverInfo?[.sqlState] { return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state) }
            return [.connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed].contains(error.code)
        default:
            return false
        }
    }

    /// PostgresNIO's errors as ours, others (a store's own `StoreError`, cancellation) as they are.
    static func translated(_ error: any Error, while operation: String) -> any Error {
        switch error {
        case let error as PSQLError:
            return DatabaseError(operation, error)
        case let error as PostgresDecodingError:
            return DatabaseError(operation, error)
        case let error as ConnectionClosed:
            return DatabaseError(operation, error)
        case let error as PostgresTransactionError:
            // BEGIN, COMMIT or ROLLBACK failed (the closure's own error is let through by `PostgresClient.transaction`).
            let failure = error.beginError ?? error.commitError ?? error.closureError ?? error.rollbackError
            return failure.map { translated($0, while: operation) } ?? error
        default:
            return error
        }
    }

    /// Runs `work`, throwing PostgresNIO's errors as `DatabaseError`s that say they happened while `operation`.
    @discardableResult
    public static func translating<Result>(_ operation: @autoclosure () -> String, _ work: () async throws -> Result) async throws -> Result {
        do {
            return try await work()
        } catch {
            throw translated(error, while: operation())
        }
    }
}
