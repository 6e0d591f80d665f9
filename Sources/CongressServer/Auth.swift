import CongressCore
import Hummingbird
import Synchronization

/// Who may call: readers (dashboards) and the node's administrator (SPEC §10).
enum Access: Sendable {
    case read
    case admin

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

/// Lets through requests carrying a token that grants `required`: the read token for the read group, the admin token
/// for both. Mounted on the router group of each access level.
struct TokenMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let required: Access
    let secrets: NodeSecrets
    /// Where a refused request is recorded (SPEC §14).
    let audit: AuditTrail

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        do {
            let token = try BearerToken.presented(in: request, hint: required == .admin ? "present the admin token" : "present the read token")
            switch (required, Access.granted(to: token, by: secrets)) {
            case (_, .admin), (.read, .read):
                context.actor = Access.granted(to: token, by: secrets) == .admin ? "admin token" : "read token"
            case (.admin, .read):
                context.actor = "read token"
                throw APIError.forbidden("the read token only reads: this needs the admin token")
            case (_, nil):
                throw APIError.unauthorized("invalid token")
            }
        } catch {
            await audit.refused(request, context: context, error: error)
            throw error
        }
        return try await next(request, context)
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

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        do {
            let token = try BearerToken.presented(in: request, hint: "present this node's child token")
            let hash = NodeSecrets.sha256Hex(token)
            var match: RegionCode?
            for (code, expected) in secrets.childTokenHashes where ConstantTime.equals(hash, expected) { match = RegionCode(code) }
            guard let match else { throw APIError.unauthorized("invalid token: not the token of any child of node \(secrets.node)") }
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
