import CongressCore
import Hummingbird

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

/// Checks `Authorization: Bearer …` against the node's tokens, in constant time.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let secrets: NodeSecrets

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let needed: Access = request.method == .get || request.method == .head ? .read : .admin
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("missing bearer token (Authorization: Bearer TOKEN)")
        }
        guard header.hasPrefix("Bearer ") else { throw APIError.unauthorized("the Authorization header must be 'Bearer TOKEN'") }
        switch (needed, Access.granted(to: String(header.dropFirst("Bearer ".count)), by: secrets)) {
        case (_, .admin), (.read, .read):
            return try await next(request, context)
        case (.admin, .read):
            throw APIError.forbidden("the read token cannot change records; use the admin token")
        case (_, nil):
            throw APIError.unauthorized("invalid token")
        }
    }
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
