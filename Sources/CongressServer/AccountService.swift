import CongressCore
import CongressStore
import HummingbirdBcrypt
import HummingbirdOTP

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Who presented a token, and what they may do.
struct Principal: Sendable {
    /// As the audit log names them: `admin token`, `read token`, `user 张三`.
    var actor: String
    var grants: Set<Access>
    /// Set for a person's account.
    var account: Account?
}

/// The secrets of accounts as the node keeps them: passwords through a slow hash, tokens and sessions as SHA-256, TOTP
/// codes checked against the current 30-second step and its neighbours.
public enum Accounts {
    /// bcrypt takes at most 72 bytes: the password is hashed to 64 hex digits first, so that every character counts.
    public static func hashPassword(_ password: String) -> String { Bcrypt.hash(Hex.sha256(password), cost: 12) }

    public static func verifyPassword(_ password: String, hash: String) -> Bool { Bcrypt.verify(Hex.sha256(password), hash: hash) }

    public static func tokenHash(_ token: String) -> String { NodeSecrets.sha256Hex(token) }

    /// A code of six digits from the account's authenticator, one step either side for clocks that drift.
    public static func codeMatches(_ code: String, secret: String, at date: Date = Date()) -> Bool {
        guard code.count == 6, code.allSatisfy(\.isASCII), let value = Int(code) else { return false }
        let totp = TOTP(secret: secret)
        return [-30.0, 0, 30].contains { totp.compute(date: date.addingTimeInterval($0)) == value }
    }

    /// What an authenticator app scans to take the secret.
    public static func authenticatorURL(secret: String, account: String, node: RegionCode) -> String {
        TOTP(secret: secret).createAuthenticatorURL(label: "\(account)@\(node)", issuer: "congress")
    }
}

/// People's accounts at this node (SPEC §14): who a token names, signing in with lockout and a second factor, and what
/// an account does for itself. Accounts are added, reset and disabled by the operator (`congress users`).
struct AccountService: Sendable {
    let store: AccountStore
    let secrets: NodeSecrets
    let audit: AuditTrail
    /// Failed sign-ins and tokens per address, shared by every route of the node.
    let failures: FailedAuthentications

    /// How long a session lasts after its sign-in.
    static let sessionLength: Duration = .seconds(8 * 3600)

    /// The principal `token` names: the node's machine tokens (SPEC §6) or a person's API token or session.
    func principal(for token: String) async throws -> Principal? {
        switch Access.granted(to: token, by: secrets) {
        case .admin: return Principal(actor: "admin token", grants: [.read, .write, .admin, .audit], account: nil)
        case .read: return Principal(actor: "read token", grants: [.read], account: nil)
        default: break
        }
        guard let account = try await store.account(presenting: Accounts.tokenHash(token)) else { return nil }
        return Principal(actor: "user \(account.name)", grants: Self.grants(of: account.role), account: account)
    }

    static func grants(of role: AccountRole) -> Set<Access> {
        switch role {
        case .viewer: [.read, .own]
        case .editor: [.read, .write, .own]
        case .admin: [.read, .write, .admin, .audit, .own]
        case .auditor: [.audit, .own]
        }
    }

    /// What a sign-in answers: a session token (also set as the dashboard's cookie) and what the account must do first.
    struct Session: Encodable {
        var token: String
        var account: String
        var role: AccountRole
        var expiresAt: Timestamp
        var pending: [String]
    }

    /// Signs `name` in with `password` (and `code` once TOTP is enabled); every attempt is an audit entry.
    func signIn(name: String, password: String, code: String?, address: String?) async throws -> Session {
        guard password.count <= AccountRules.passwordLength.upperBound else {
            throw InputError(field: "password", message: "a password has at most \(AccountRules.passwordLength.upperBound) characters")
        }
        if let code, !(code.count == 6 && code.allSatisfy(\.isASCII) && code.allSatisfy(\.isNumber)) {
            throw InputError(field: "code", message: "a TOTP code is 6 digits")
        }
        try failures.check(address)
        let token = AccountRules.generated(length: 40)
        let outcome = try await store.signIn(name, session: (Accounts.tokenHash(token), Self.sessionLength)) { stored in
            guard Accounts.verifyPassword(password, hash: stored.passwordHash) else { return .refused(locked: false) }
            guard stored.account.totpEnabled, let secret = stored.totpSecret else { return .signedIn(stored.account) }
            guard let code else { return .needsCode }
            return Accounts.codeMatches(code, secret: secret) ? .signedIn(stored.account) : .refused(locked: false)
        }
        var refusal: APIError
        switch outcome {
        case .signedIn(let account):
            await audit.append(actor: "user \(name)", address: address, action: "sign in", outcome: "signed in")
            return Session(
                token: token,
                account: account.name,
                role: account.role,
                expiresAt: Timestamp(Date().addingTimeInterval(Double(Self.sessionLength.components.seconds))),
                pending: account.pending
            )
        case .needsCode:
            refusal = APIError(
                .unauthorized,
                code: "code_required",
                message: "this account signs in with a TOTP code too: send `code`",
                field: "code"
            )
        case .refused(let locked):
            refusal = APIError.unauthorized(
                locked ? "wrong name, password or code: the account is locked for 15 minutes after 5 failures" : "wrong name, password or code"
            )
        case .locked(let until):
            refusal = APIError(.tooManyRequests, code: "locked", message: "the account is locked after 5 failures until \(until)")
            refusal.headers[.retryAfter] = "\(max(1, Int(until.date.timeIntervalSinceNow.rounded(.up))))"
        case .disabled, .unknown:
            // The same answer as a wrong password: a name is not confirmed to exist.
            refusal = APIError.unauthorized("wrong name, password or code")
        }
        await audit.append(actor: "user \(name)", address: address, action: "sign in", outcome: "refused (\(Self.reason(outcome)))")
        failures.record(address)
        throw refusal
    }

    private static func reason(_ outcome: SignInOutcome) -> String {
        switch outcome {
        case .refused(let locked): locked ? "wrong credentials, now locked" : "wrong credentials"
        case .locked: "locked"
        case .disabled: "disabled"
        case .unknown: "no such account"
        case .needsCode: "no TOTP code"
        case .signedIn: "signed in"
        }
    }

    func signOut(token: String, address: String?) async throws {
        let account = try await store.account(presenting: Accounts.tokenHash(token))
        try await store.signOut(sessionHash: Accounts.tokenHash(token))
        if let account { await audit.append(actor: "user \(account.name)", address: address, action: "sign out", outcome: "signed out") }
    }

    /// The account chooses its own password (the one-time password it was given, or a new one).
    func changePassword(_ account: Account, current: String, new: String) async throws {
        try AccountRules.checkPassword(new, field: "new")
        let verified = try await store.signIn(account.name, session: nil) {
            Accounts.verifyPassword(current, hash: $0.passwordHash) ? .signedIn($0.account) : .refused(locked: false)
        }
        guard case .signedIn = verified else {
            throw APIError(.forbidden, code: "forbidden", message: "the current password is wrong", field: "current")
        }
        try await store.setPassword(account.name, passwordHash: Accounts.hashPassword(new))
    }

    /// A new TOTP secret for the account, not in force until a code from it is confirmed.
    func startTOTP(_ account: Account) async throws -> (secret: String, url: String) {
        guard !account.totpEnabled else {
            throw APIError(.conflict, code: "conflict", message: "TOTP is enabled for this account; an operator resets it (congress users reset)")
        }
        let secret = AccountRules.generated(length: 20)
        try await store.setTOTP(account.name, secret: secret, enabled: false)
        return (secret, Accounts.authenticatorURL(secret: secret, account: account.name, node: secrets.node))
    }

    func confirmTOTP(_ account: Account, code: String) async throws {
        guard !account.totpEnabled, let secret = try await store.totpSecret(account.name) else {
            throw APIError(.conflict, code: "conflict", message: "start with POST /v1/account/totp: there is no secret to confirm")
        }
        guard Accounts.codeMatches(code, secret: secret) else {
            throw APIError(
                .unprocessableContent,
                code: "invalid",
                message: "the code does not match the secret: check the authenticator's clock",
                field: "code"
            )
        }
        try await store.setTOTP(account.name, secret: secret, enabled: true)
    }
}
