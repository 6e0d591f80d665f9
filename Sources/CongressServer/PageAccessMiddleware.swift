import CongressCore
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The access rule of the pages people open in the browser — the dashboard, the dossiers, the staff's forms (SPEC §10,
/// §12, §14): a page opened with `?token=` keeps it as a cookie; then the session cookie or a bearer token whose
/// principal grants `required`, answered as pages (the sign-in page for 401, as the dashboard does). Names the actor in
/// the context for the audit that follows it; records its own refusals, as `TokenMiddleware` does. What the pages behind
/// it throw is answered as a page too.
///
/// Cross-site request forgery: a form posted with the cookie must come from this node's own pages, which the browser
/// states in `Origin` (every current browser sends it on a POST; `Referer` stands in for an older one). This is stateless,
/// needs no token kept per session nor a hidden field in every form, and also refuses another site on the same host
/// (another port), which the cookie's `SameSite=Strict` lets through. A bearer token is no ambient credential: a page
/// elsewhere cannot make the browser send it, so requests carrying one are not checked.
struct PageAccessMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let required: Access
    let accounts: AccountService
    let audit: AuditTrail

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .get, let cookie = try await DashboardController.tokenToCookie(request, accounts: accounts) { return cookie }
        var context = context
        let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        func refused(_ status: HTTPResponse.Status, _ page: DashboardTemplates.Page) async -> Response {
            await audit.record(request, context: context, status: status)
            return DashboardController.html(status, DashboardTemplates.render(page))
        }
        guard let presented = bearer ?? request.cookies[DashboardController.cookie]?.value else {
            return await refused(.unauthorized, .signIn(message: "请先登录。"))
        }
        let principal: Principal
        do {
            guard let found = try await accounts.principal(for: presented) else {
                try accounts.failures.failed(context.address)
                return await refused(.unauthorized, .signIn(message: "登录已失效，请重新登录。"))
            }
            principal = found
        } catch let refusal as APIError {
            return await refused(refusal.status, .failure(status: Int(refusal.status.code), message: "失败次数过多，请稍后再试。"))
        }
        context.actor = principal.actor
        context.account = principal.account?.name
        context.confinedTo = principal.account?.region
        context.seesPersonKeys = principal.grants.contains(.write)
        if let step = principal.account?.pending.first {
            return await refused(.forbidden, .signIn(message: DashboardController.pendingMessage(step)))
        }
        guard principal.grants.contains(required) else {
            return await refused(.forbidden, .failure(status: 403, message: "\(principal.actor) 无权录入：需要编辑或管理员账号。"))
        }
        if bearer == nil, request.method != .get, request.method != .head, !Self.comesFromThisNode(request) {
            return await refused(.forbidden, .failure(status: 403, message: "拒绝跨站提交：请从本节点的页面提交表单。"))
        }
        do {
            return try await next(request, context)
        } catch {
            // A page answers its failures as a page (a record that is not there, a malformed parameter, a body too large).
            guard let failure = APIError(translating: error) else { throw error }
            return DashboardController.html(
                failure.status,
                DashboardTemplates.render(.failure(status: Int(failure.status.code), message: failure.message))
            )
        }
    }

    /// Whether the page that sent the request was served by the host the request is addressed to.
    static func comesFromThisNode(_ request: Request) -> Bool {
        guard let host = request.head.authority,
            let source = request.headers[.origin] ?? request.headers[.referer],
            let url = URL(string: source), let sourceHost = url.host, ["http", "https"].contains(url.scheme)
        else { return false }
        let sourceAuthority = url.port.map { "\(sourceHost):\($0)" } ?? sourceHost
        return sourceAuthority.lowercased() == host.lowercased()
    }
}
