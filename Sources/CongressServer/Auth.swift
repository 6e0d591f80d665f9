import CongressCore
import Hummingbird
import Synchronization

/// Who may call: readers (dashboards) and the node's administrator (SPEC §10).
enum Access: Sendable, Hashable {
    case read
    /// Writes records (SPEC §14's editors).
    case write
    /// Runs the node: sync, division changes.
    case admin
    /// Reads the audit log.
    case audit
    /// An account acting on itself (its password, its second factor), allowed before its pending steps are done.
    case own

    /// What `token` may do at this node, or nil. Both tokens are compared every time, each in constant time, so the
    /// timing tells neither how much of a token was right nor which one it was.
    static func granted(to token: String, by secrets: NodeSecrets) -> Access? {
        let isAdmin = ConstantTime.equals(token, secrets.adminToken)
        let isReader = ConstantTime.equals(token, secrets.readToken)
        return isAdmin ? .admin : isReader ? .read : nil
    }
}

/// The token of `Authorization: Bearer TOKEN`, or the reason there is none.
enum BearerToken {
    static func presented(in request: Request, hint: String) throws -> String {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("missing bearer token (Authorization: Bearer TOKEN): \(hint)")
        }
        guard header.hasPrefix("Bearer ") else { throw APIError.unauthorized("the Authorization header must be 'Bearer TOKEN'") }
        return String(header.dropFirst("Bearer ".count))
    }
}

/// Lets through requests whose token grants `required`: the node's machine tokens (SPEC §6) or a person's API token or
/// session (SPEC §14), whose pending steps (a password of their own, an admin's second factor) must be done first.
/// Names the actor and the account's confinement in the context. Mounted on the router group of each access level.
struct TokenMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let required: Access
    let accounts: AccountService
    /// Where a refused request is recorded (SPEC §14).
    let audit: AuditTrail

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        do {
            let token = try BearerToken.presented(in: request, hint: "present a token (the node's, or your account's)")
            guard let principal = try await accounts.principal(for: token) else {
                try accounts.failures.failed(context.address)
                throw APIError.unauthorized("invalid token")
            }
            context.actor = principal.actor
            context.account = principal.account?.name
            context.confinedTo = principal.account?.region
            context.seesPersonKeys = principal.grants.contains(.write)
            if required != .own, let step = principal.account?.pending.first {
                throw APIError.forbidden(
                    step == "password"
                        ? "choose your own password first (POST /v1/account/password): the one you were given works once"
                        : "an admin enrols a second factor first (POST /v1/account/totp, then /v1/account/totp/confirm)"
                )
            }
            guard principal.grants.contains(required) else { throw APIError.forbidden(Self.refusal(required, principal)) }
        } catch {
            await audit.refused(request, context: context, error: error)
            throw error
        }
        return try await next(request, context)
    }

    private static func refusal(_ required: Access, _ principal: Principal) -> String {
        let what =
            switch required {
            case .read: "reading needs a viewer, editor or admin account, or the read token"
            case .write: "writing records needs an editor or admin account, or the admin token"
            case .admin: "this needs an admin account or the admin token"
            case .audit: "the audit log is read by admins and auditors"
            case .own: "this is for a person's own account: sign in as yourself"
            }
        return principal.account == nil && principal.grants == [.read] ? "the read token only reads: \(what)" : "\(principal.actor) may not: \(what)"
    }
}

/// Identifies the child node whose parent token is presented (by its SHA-256, compared in constant time) and records it
/// in the context; the sync routes children call sit behind it.
struct ChildTokenMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let secrets: NodeSecrets
    /// A child whose code a change file changed presents the token of its old code: it is the child under the new one.
    let recoded: RecodedNodes
    let audit: AuditTrail
    let failures: FailedAuthentications

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        do {
            let token = try BearerToken.presented(in: request, hint: "present this node's child token")
            let hash = NodeSecrets.sha256Hex(token)
            var match: RegionCode?
            for (code, expected) in secrets.childTokenHashes where ConstantTime.equals(hash, expected) { match = RegionCode(code) }
            guard let match else {
                try failures.failed(context.address)
                throw APIError.unauthorized("invalid token: not the token of any child of node \(secrets.node)")
            }
            context.child = recoded.current(match)
            context.actor = "child \(recoded.current(match))"
        } catch {
            await audit.refused(request, context: context, error: error)
            throw error
        }
        return try await next(request, context)
    }
}

/// The nodes a change file recoded, as this node applied it (SPEC §15): kept in the database, read at start and after
/// each apply, so that a recoded child's token and checkpoint carry over without an edit of this node's secrets.
final class RecodedNodes: Sendable {
    private let codes = Mutex<[RegionCode: RegionCode]>([:])

    init() {}

    func current(_ code: RegionCode) -> RegionCode { codes.withLock { $0[code] ?? code } }

    func replace(with recoded: [RegionCode: RegionCode]) { codes.withLock { $0 = recoded } }
}

enum ConstantTime {
    /// Compares without returning early, so timing does not reveal how much of a token was right.
    static func equals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = x.count ^ y.count
        for index in 0..<max(x.count, y.count) {
            difference |= Int((index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0))
        }
        return difference == 0
    }
}

/// Failed authentication per client address (SPEC §14): past `limit` failures within `window`, an address's further
/// attempts with a wrong token or password are answered 429 with `Retry-After`, before any password is looked at.
/// Requests with valid credentials are never held back. Kept in memory: a restart forgives.
final class FailedAuthentications: Sendable {
    private let failures: SlidingWindow

    init(limit: Int = 20, window: Duration = .seconds(300)) {
        failures = SlidingWindow(limit: limit, window: window)
    }

    /// Throws 429 when `address` is over the limit.
    func check(_ address: String?) throws {
        guard let address, let wait = failures.wait(before: address) else { return }
        throw APIError.tooManyRequests("too many failed sign-ins or tokens from \(address): wait and try again", retryAfter: wait)
    }

    /// A token that names nobody: 429 when `address` is already over the limit, else counted.
    func failed(_ address: String?) throws {
        try check(address)
        record(address)
    }

    func record(_ address: String?) {
        guard let address else { return }
        failures.record(address)
    }
}

/// Events per key (an address, an address and a page) within a sliding window: how long until one more is allowed.
/// Kept in memory: a restart forgives.
final class SlidingWindow: Sendable {
    let limit: Int
    let window: Duration
    private let events = Mutex<[String: [ContinuousClock.Instant]]>([:])

    init(limit: Int, window: Duration) {
        self.limit = limit
        self.window = window
    }

    /// How long `key` must wait before its next event is allowed; nil when it may go on now.
    func wait(before key: String) -> Duration? {
        let now = ContinuousClock.now
        return events.withLock { all in
            let recent = (all[key] ?? []).filter { now - $0 < window }
            all[key] = recent
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return window - (now - oldest)
        }
    }

    func record(_ key: String) {
        let now = ContinuousClock.now
        events.withLock { all in Self.append(now, to: key, in: &all, window: window) }
    }

    /// Counts one event for `key` unless it is over the limit; then, how long it must wait. One step, so that
    /// concurrent requests cannot all slip under the limit.
    func admit(_ key: String) -> Duration? {
        let now = ContinuousClock.now
        return events.withLock { all in
            let recent = (all[key] ?? []).filter { now - $0 < window }
            if recent.count >= limit, let oldest = recent.first {
                all[key] = recent
                return window - (now - oldest)
            }
            Self.append(now, to: key, in: &all, window: window)
            return nil
        }
    }

    private static func append(_ now: ContinuousClock.Instant, to key: String, in all: inout [String: [ContinuousClock.Instant]], window: Duration) {
        var recent = (all[key] ?? []).filter { now - $0 < window }
        recent.append(now)
        all[key] = recent
        // Keys that went quiet are forgotten now and then, so the map stays small.
        if all.count > 10_000 { all = all.filter { $0.value.contains { now - $0 < window } } }
    }
}
