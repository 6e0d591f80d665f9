import CongressCore
import Hummingbird

/// The node's router plus the list of what it serves, so the OpenAPI document can be checked against it.
final class APIRoutes: @unchecked Sendable {
    // Only mutated while the application is being built, on one task.
    typealias Handler = @Sendable (Request, AppRequestContext) async throws -> Response

    let router: Router<AppRequestContext>
    private let authenticated: RouterGroup<AppRequestContext>
    private(set) var served: [(method: HTTPRequest.Method, path: String)] = []

    init(secrets: NodeSecrets) {
        router = Router(context: AppRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: MetricsMiddleware())
        authenticated = router.group("v1").add(middleware: TokenMiddleware(secrets: secrets))
    }

    /// Routes under `/v1` need a token; the others (health, metrics, the API document) are open.
    /// `childToken` routes are for child nodes: their handler checks the child's token itself.
    func add(_ method: HTTPRequest.Method, _ path: String, childToken: Bool = false, use handler: @escaping Handler) {
        served.append((method, path))
        if path.hasPrefix("/v1/") && !childToken {
            authenticated.on(RouterPath(String(path.dropFirst("/v1/".count))), method: method, use: handler)
        } else {
            router.on(RouterPath(path), method: method, use: handler)
        }
    }
}
