import PostgresNIO

extension StoreError {
    /// What a PostgreSQL error means in the store's words, by SQLSTATE; nil for errors nobody anticipated (a broken
    /// connection, a bug), which callers report as internal errors with their full detail.
    init?(databaseError error: any Error) {
        guard let error = error as? PSQLError else { return nil }
        switch error.serverInfo?[.sqlState] {
        case "23505":
            self.init(.conflict, "a record with the same key exists: \(error.serverInfo?[.detail] ?? "duplicate")")
        case "23503":
            self.init(.unprocessable, "a referenced record does not exist")
        case let state? where state.hasPrefix("22"):
            // Data exceptions: a value PostgreSQL could not take (a malformed uuid or time in a pushed batch).
            self.init(.unprocessable, "a value was refused: \(error.serverInfo?[.message] ?? "malformed")")
        default:
            return nil
        }
    }
}
