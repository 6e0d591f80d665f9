import CongressCore
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What to list of the audit log (`GET /v1/audit`): entries after a seq, oldest first, filtered.
public struct AuditQuery: Sendable {
    public var after: Int64 = 0
    public var limit = 100
    public var actor: String?
    /// Entries about this record or under this path (`/v1/deputies/…`).
    public var record: String?
    public var sinceMilliseconds: Int64?
    public var untilMilliseconds: Int64?

    public init() {}
}

/// A node's audit log in PostgreSQL (SPEC §14): appended one entry at a time under the head's lock, read in order,
/// pruned only by the audited command.
public struct AuditStore: Sendable {
    /// The node's pool, which replaces its client after an outage, or a client of the caller's.
    let source: any PostgresClientSource
    var client: PostgresClient { source.client }
    let logger: Logger

    public init(client: some PostgresClientSource, logger: Logger) {
        source = client
        self.logger = logger
    }

    /// At least this long an entry is kept (网络安全法 art. 21: six months).
    public static let retentionDays = 180

    /// Appends one entry, chained to the newest.
    @discardableResult
    public func append(actor: String, address: String? = nil, action: String, record: String? = nil, outcome: String) async throws -> AuditEntry {
        try await DatabaseError.translating("appending to the audit log") {
            try await client.transaction(logger: logger) { connection in
                try await Self.append(
                    actor: actor,
                    address: address,
                    action: action,
                    record: record,
                    outcome: outcome,
                    on: connection,
                    logger: logger
                )
            }
        }
    }

    static func append(
        actor: String,
        address: String?,
        action: String,
        record: String?,
        outcome: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> AuditEntry {
        var head = AuditHead(seq: 0, hash: AuditEntry.genesis)
        let rows = try await connection.query("SELECT seq, hash FROM audit_head FOR UPDATE", logger: logger)
        for try await (seq, hash) in rows.decode((Int64, String).self) { head = AuditHead(seq: seq, hash: hash) }
        let entry = AuditEntry(
            seq: head.seq + 1,
            atMilliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)),
            actor: actor,
            address: address,
            action: action,
            record: record,
            outcome: outcome,
            previousHash: head.hash
        )
        try await connection.query(
            """
            INSERT INTO audit_log (seq, at_ms, actor, address, action, record, outcome, previous_hash, hash)
            VALUES (\(entry.seq), \(entry.atMilliseconds), \(entry.actor), \(entry.address), \(entry.action), \(entry.record),
                \(entry.outcome), \(entry.previousHash), \(entry.hash))
            """,
            logger: logger
        )
        try await connection.query("UPDATE audit_head SET seq = \(entry.seq), hash = \(entry.hash)", logger: logger)
        return entry
    }

    /// The newest entry's seq and hash.
    public func head() async throws -> AuditHead {
        try await DatabaseError.translating("reading the audit log's head") {
            let rows = try await client.query("SELECT seq, hash FROM audit_head", logger: logger)
            for try await (seq, hash) in rows.decode((Int64, String).self) { return AuditHead(seq: seq, hash: hash) }
            return AuditHead(seq: 0, hash: AuditEntry.genesis)
        }
    }

    static let columns = "seq, at_ms, actor, address, action, record, outcome, previous_hash, hash"

    /// A page of entries as `query` asks, oldest first, and the seq the next page starts after (nil at the end).
    public func page(_ query: AuditQuery) async throws -> (entries: [AuditEntry], next: Int64?) {
        var conditions = ["seq > $1"]
        var bindings = PostgresBindings()
        bindings.append(query.after)
        func bind(_ value: some PostgresNonThrowingEncodable & Sendable, _ condition: (String) -> String) {
            bindings.append(value)
            conditions.append(condition("$\(bindings.count)"))
        }
        if let actor = query.actor { bind(actor) { "actor = \($0)" } }
        if let record = query.record { bind(record) { "record LIKE \($0) || '%'" } }
        if let since = query.sinceMilliseconds { bind(since) { "at_ms >= \($0)" } }
        if let until = query.untilMilliseconds { bind(until) { "at_ms < \($0)" } }
        bindings.append(Int64(query.limit + 1))
        let sql = "SELECT \(Self.columns) FROM audit_log WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq LIMIT $\(bindings.count)"
        let entries = try await DatabaseError.translating("reading the audit log") {
            try await Self.entries(try await client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger))
        }
        guard entries.count > query.limit else { return (entries, nil) }
        let page = Array(entries.prefix(query.limit))
        return (page, page.last?.seq)
    }

    /// Every entry in order, a chunk at a time, for `congress audit verify`; `body` returns false to stop.
    public func walk(_ body: (AuditEntry) -> Bool) async throws {
        var after: Int64 = -1
        while true {
            let chunk = try await DatabaseError.translating("reading the audit log") {
                try await Self.entries(
                    try await client.query(
                        "SELECT \(unescaped: Self.columns) FROM audit_log WHERE seq > \(after) ORDER BY seq LIMIT 10000",
                        logger: logger
                    )
                )
            }
            for entry in chunk where !body(entry) { return }
            guard let last = chunk.last, chunk.count == 10000 else { return }
            after = last.seq
        }
    }

    /// Where the log starts after the latest prune: the last removed entry (nil: nothing was ever pruned).
    public func prunedThrough() async throws -> AuditHead? {
        try await DatabaseError.translating("reading the audit log's prunes") {
            let rows = try await client.query("SELECT through_seq, through_hash FROM audit_pruned ORDER BY through_seq DESC LIMIT 1", logger: logger)
            for try await (seq, hash) in rows.decode((Int64, String).self) { return AuditHead(seq: seq, hash: hash) }
            return nil
        }
    }

    /// Removes the entries older than `before` (which must lie at least `retentionDays` back), keeping where the chain
    /// goes on from, and records the prune itself as an entry of `actor`, in one transaction. Returns how many went.
    public func prune(beforeMilliseconds before: Int64, actor: String) async throws -> Int {
        let oldest = Int64(Date().addingTimeInterval(-Double(Self.retentionDays) * 86_400).timeIntervalSince1970 * 1000)
        guard before <= oldest else {
            throw StoreError(
                .unprocessable,
                "audit entries are kept at least \(Self.retentionDays) days: prune only before \(AuditEntry.day(oldest))"
            )
        }
        return try await DatabaseError.translating("pruning the audit log") {
            try await client.transaction(logger: logger) { connection in
                var through: AuditHead?
                let rows = try await connection.query(
                    "SELECT seq, hash FROM audit_log WHERE at_ms < \(before) ORDER BY seq DESC LIMIT 1",
                    logger: logger
                )
                for try await (seq, hash) in rows.decode((Int64, String).self) { through = AuditHead(seq: seq, hash: hash) }
                guard let through else { return 0 }
                try await connection.query("SELECT set_config('congress.audit_prune', 'on', true)", logger: logger)
                try await connection.query(
                    "INSERT INTO audit_pruned (through_seq, through_hash) VALUES (\(through.seq), \(through.hash))",
                    logger: logger
                )
                let deleted = try await connection.query(
                    "WITH gone AS (DELETE FROM audit_log WHERE seq <= \(through.seq) RETURNING 1) SELECT count(*)::bigint FROM gone",
                    logger: logger
                )
                var count: Int64 = 0
                for try await value in deleted.decode(Int64.self) { count = value }
                try await connection.query("SELECT set_config('congress.audit_prune', 'off', true)", logger: logger)
                _ = try await Self.append(
                    actor: actor,
                    address: nil,
                    action: "audit prune",
                    record: nil,
                    outcome: "removed entries up to \(through.seq) (\(count))",
                    on: connection,
                    logger: logger
                )
                return Int(count)
            }
        }
    }

    static func entries(_ rows: PostgresRowSequence) async throws -> [AuditEntry] {
        var entries: [AuditEntry] = []
        for try await (seq, at, actor, address, action, record, outcome, previous, hash) in rows.decode(
            (Int64, Int64, String, String?, String, String?, String, String, String).self
        ) {
            var entry = AuditEntry(
                seq: seq,
                atMilliseconds: at,
                actor: actor,
                address: address,
                action: action,
                record: record,
                outcome: outcome,
                previousHash: previous
            )
            // As stored, not as recomputed: the check compares them.
            entry.hash = hash
            entries.append(entry)
        }
        return entries
    }
}

extension ChangeLogReader {
    /// This node's newest audit entry, which each batch carries for the parent to witness.
    public func auditHead() async throws -> AuditHead {
        try await AuditStore(client: source, logger: logger).head()
    }
}

extension RecordStore {
    /// The audit log of this node's database.
    public var audit: AuditStore { AuditStore(client: source, logger: logger) }
}
