import CongressCore
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a sign-in checks of an account: its secrets, read under the account's lock.
public struct StoredCredentials: Sendable {
    public var account: Account
    public var passwordHash: String
    public var totpSecret: String?
}

/// How a sign-in went, as the account's lock decides it.
public enum SignInOutcome: Sendable, Equatable {
    case signedIn(Account)
    /// Wrong password or code; `locked` when this failure locked the account.
    case refused(locked: Bool)
    case locked(until: Timestamp)
    case disabled
    case unknown
    /// The password was right; the account asks for its TOTP code.
    case needsCode
}

/// The node's accounts (SPEC §14): people's names, roles, confinement, hashes of their passwords and tokens, their TOTP
/// secret, failures and locks, and their sessions.
public struct AccountStore: Sendable {
    /// The node's pool, which replaces its client after an outage, or a client of the caller's.
    let source: any PostgresClientSource
    var client: PostgresClient { source.client }
    let logger: Logger

    public init(client: some PostgresClientSource, logger: Logger) {
        source = client
        self.logger = logger
    }

    /// Failures in a row that lock an account, and for how long.
    public static let failuresBeforeLock = 5
    public static let lockDuration: Duration = .seconds(15 * 60)

    static let columns = "name, role, region, disabled, totp_enabled, password_expired, locked_until"

    public func add(name: String, role: AccountRole, region: RegionCode?, passwordHash: String, tokenHash: String) async throws {
        do {
            try await client.query(
                """
                INSERT INTO accounts (name, role, region, password_hash, token_hash)
                VALUES (\(name), \(role.rawValue), \(region?.rawValue), \(passwordHash), \(tokenHash))
                """,
                logger: logger
            )
        } catch {
            throw StoreError(databaseError: error).map { $0.reason == .conflict ? StoreError(.conflict, "an account named \(name) exists") : $0 }
                ?? DatabaseError.translated(error, while: "adding account \(name)")
        }
    }

    public func list() async throws -> [Account] {
        try await DatabaseError.translating("listing the accounts") {
            try await Self.accounts(try await client.query("SELECT \(unescaped: Self.columns) FROM accounts ORDER BY name", logger: logger))
        }
    }

    public func account(named name: String) async throws -> Account? {
        try await DatabaseError.translating("reading account \(name)") {
            try await Self.accounts(try await client.query("SELECT \(unescaped: Self.columns) FROM accounts WHERE name = \(name)", logger: logger))
                .first
        }
    }

    /// The live account whose API token or session has this SHA-256, if any.
    public func account(presenting tokenHash: String) async throws -> Account? {
        try await DatabaseError.translating("looking up a token") {
            try await Self.accounts(
                try await client.query(
                    """
                    SELECT \(unescaped: Self.columns) FROM accounts a
                    WHERE NOT disabled AND (token_hash = \(tokenHash)
                        OR EXISTS (SELECT FROM sessions s WHERE s.account = a.name AND s.token_hash = \(tokenHash) AND s.expires_at > now()))
                    """,
                    logger: logger
                )
            )
            .first
        }
    }

    /// Sets `disabled`; false when there is no such account.
    public func setDisabled(_ name: String, _ disabled: Bool) async throws -> Bool {
        try await changed("UPDATE accounts SET disabled = \(disabled) WHERE name = \(name) RETURNING 1", name)
    }

    /// A new one-time password and token, the lock lifted, the sessions ended; false when there is no such account.
    public func reset(_ name: String, passwordHash: String, tokenHash: String) async throws -> Bool {
        try await changed(
            """
            WITH ended AS (DELETE FROM sessions WHERE account = \(name))
            UPDATE accounts SET password_hash = \(passwordHash), token_hash = \(tokenHash), password_expired = true, failures = 0,
                locked_until = NULL
            WHERE name = \(name) RETURNING 1
            """,
            name
        )
    }

    public func setPassword(_ name: String, passwordHash: String) async throws {
        _ = try await changed("UPDATE accounts SET password_hash = \(passwordHash), password_expired = false WHERE name = \(name) RETURNING 1", name)
    }

    /// Keeps a TOTP secret not yet confirmed (`enabled` false), or confirms it.
    public func setTOTP(_ name: String, secret: String?, enabled: Bool) async throws {
        _ = try await changed("UPDATE accounts SET totp_secret = \(secret), totp_enabled = \(enabled) WHERE name = \(name) RETURNING 1", name)
    }

    public func totpSecret(_ name: String) async throws -> String? {
        try await DatabaseError.translating("reading account \(name)") {
            let rows = try await client.query("SELECT totp_secret FROM accounts WHERE name = \(name)", logger: logger)
            for try await secret in rows.decode(String?.self) { return secret }
            return nil
        }
    }

    private func changed(_ query: PostgresQuery, _ name: String) async throws -> Bool {
        try await DatabaseError.translating("changing account \(name)") {
            var found = false
            for try await _ in try await client.query(query, logger: logger) { found = true }
            return found
        }
    }

    /// A sign-in, in one transaction under the account's row lock: a locked or disabled account is refused before its
    /// password is looked at; `check` (the password's slow hash, the TOTP code) decides; each failure counts, the fifth in
    /// a row locks the account for 15 minutes; a success clears the count, ends the account's expired sessions and opens
    /// one of `session` (none: the password was only confirmed, as before a change of it).
    public func signIn(
        _ name: String,
        session: (hash: String, length: Duration)?,
        check: @escaping @Sendable (StoredCredentials) -> SignInOutcome
    ) async throws -> SignInOutcome {
        try await DatabaseError.translating("signing in \(name)") {
            try await client.transaction(logger: logger) { connection in
                let rows = try await connection.query(
                    "SELECT \(unescaped: Self.columns), password_hash, totp_secret FROM accounts WHERE name = \(name) FOR UPDATE",
                    logger: logger
                )
                var stored: StoredCredentials?
                for try await (name, role, region, disabled, totp, expired, locked, hash, secret) in rows.decode(
                    (String, String, String?, Bool, Bool, Bool, Date?, String, String?).self
                ) {
                    guard let account = Self.account((name, role, region, disabled, totp, expired, locked)) else { continue }
                    stored = StoredCredentials(account: account, passwordHash: hash, totpSecret: secret)
                }
                guard let stored else { return .unknown }
                if stored.account.disabled { return .disabled }
                if let until = stored.account.lockedUntil, until.date > Date() { return .locked(until: until) }
                let outcome = check(stored)
                switch outcome {
                case .signedIn:
                    try await connection.query("UPDATE accounts SET failures = 0, locked_until = NULL WHERE name = \(name)", logger: logger)
                    guard let session else { return outcome }
                    try await connection.query("DELETE FROM sessions WHERE account = \(name) AND expires_at < now()", logger: logger)
                    let seconds = Double(session.length.components.seconds)
                    try await connection.query(
                        """
                        INSERT INTO sessions (token_hash, account, expires_at)
                        VALUES (\(session.hash), \(name), now() + make_interval(secs => \(seconds)))
                        """,
                        logger: logger
                    )
                    return outcome
                case .refused:
                    let lockSeconds = Double(Self.lockDuration.components.seconds)
                    let counted = try await connection.query(
                        """
                        UPDATE accounts SET failures = CASE WHEN failures + 1 >= \(Self.failuresBeforeLock) THEN 0 ELSE failures + 1 END,
                            locked_until = CASE WHEN failures + 1 >= \(Self.failuresBeforeLock)
                                THEN now() + make_interval(secs => \(lockSeconds)) ELSE locked_until END
                        WHERE name = \(name) RETURNING locked_until IS NOT NULL AND locked_until > now()
                        """,
                        logger: logger
                    )
                    var locked = false
                    for try await value in counted.decode(Bool.self) { locked = value }
                    return .refused(locked: locked)
                default:
                    return outcome
                }
            }
        }
    }

    /// Ends a session.
    public func signOut(sessionHash: String) async throws {
        try await DatabaseError.translating("ending a session") {
            try await client.query("DELETE FROM sessions WHERE token_hash = \(sessionHash)", logger: logger)
        }
    }

    static func accounts(_ rows: PostgresRowSequence) async throws -> [Account] {
        var accounts: [Account] = []
        for try await row in rows.decode((String, String, String?, Bool, Bool, Bool, Date?).self) {
            if let account = account(row) { accounts.append(account) }
        }
        return accounts
    }

    /// An account from `columns` as read (nil for a role this build does not know).
    private static func account(_ row: (String, String, String?, Bool, Bool, Bool, Date?)) -> Account? {
        let (name, role, region, disabled, totp, expired, locked) = row
        guard let role = AccountRole(rawValue: role) else { return nil }
        return Account(
            name: name,
            role: role,
            region: region.flatMap(RegionCode.init),
            disabled: disabled,
            totpEnabled: totp,
            passwordExpired: expired,
            lockedUntil: locked.map(Timestamp.init)
        )
    }
}

extension RecordStore {
    /// The accounts of this node's database.
    public var accounts: AccountStore { AccountStore(client: source, logger: logger) }
}
