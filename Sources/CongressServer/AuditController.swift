import CongressCore
import CongressStore
import HTTPTypes
import Hummingbird
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Writes the node's audit entries (SPEC §14). An entry that cannot be written is logged as an error: the request it
/// records has already been answered.
struct AuditTrail: Sendable {
    let store: AuditStore
    let logger: Logger

    /// A request that was answered `status`, by `context.actor`.
    func record(_ request: Request, context: AppRequestContext, status: HTTPResponse.Status, record: String? = nil) async {
        await append(
            actor: context.actor ?? "anonymous",
            address: context.address,
            action: "\(request.method.rawValue) \(request.uri.path)",
            record: record,
            outcome: "\(status.code)"
        )
    }

    /// A request refused for its credentials or rights, before or after a token middleware let it in.
    func refused(_ request: Request, context: AppRequestContext, error: any Error) async {
        await record(request, context: context, status: Self.status(of: error))
    }

    /// The status a thrown error is answered with.
    static func status(of error: any Error) -> HTTPResponse.Status {
        (error as? any HTTPResponseError)?.status ?? .internalServerError
    }

    func append(actor: String, address: String? = nil, action: String, record: String? = nil, outcome: String) async {
        do {
            try await store.append(actor: actor, address: address, action: action, record: record, outcome: outcome)
        } catch {
            logger.error("could not write an audit entry", metadata: ["action": "\(action)", "error": "\(String(reflecting: error))"])
        }
    }
}

/// Records every request that changes something (any method but GET and HEAD), and every request refused for lack of
/// rights, with the actor the token middleware before it named. Mounted on each group after its token middleware.
struct AuditMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let audit: AuditTrail

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let writes = request.method != .get && request.method != .head
        do {
            let response = try await next(request, context)
            if writes { await audit.record(request, context: context, status: response.status, record: Self.record(request, response)) }
            return response
        } catch {
            let status = AuditTrail.status(of: error)
            if writes || status == .unauthorized || status == .forbidden { await audit.record(request, context: context, status: status) }
            throw error
        }
    }

    /// The record a write concerns: the one a form's answer names (`Content-Location`: its redirect leads to a page), the
    /// one it created (its `Location`), else the one its path names.
    private static func record(_ request: Request, _ response: Response) -> String? {
        if let named = response.headers[.contentLocation] { return named }
        if let location = response.headers[.location], location != request.uri.path { return location }
        let segments = request.uri.path.split(separator: "/")
        return segments.count >= 3 && UUID(uuidString: String(segments[2])) != nil ? segments.prefix(3).map { "/" + $0 }.joined() : nil
    }
}

/// `GET /v1/audit`: the node's audit log, oldest first, filtered (SPEC §14).
struct AuditController: Sendable {
    let audit: AuditTrail

    static let parameters = [
        QueryParameter("after", .integer(0...Int(Int64.max)), summary: "the seq of the last entry already read (the `next` of the previous page)"),
        QueryParameter("limit", .integer(1...1000), summary: "entries per page (default 100)"),
        QueryParameter("actor", .text(maxLength: 200), summary: "only this actor's entries (`admin token`, `child 420802001`, `user 张三`)"),
        QueryParameter("record", .text(maxLength: 300), summary: "only entries about records under this path (`/v1/deputies/…`)"),
        QueryParameter("since", .date, summary: "only entries from this day on (UTC)"),
        QueryParameter("until", .date, summary: "only entries before this day (UTC)"),
    ]

    /// A page of the log and where the next starts.
    struct Page: Encodable {
        var items: [AuditEntry]
        var next: Int64?
    }

    var reads: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self).get(use: list)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let values = try request.query(accepting: Self.parameters)
        var query = AuditQuery()
        query.after = Int64(values.integer("after") ?? 0)
        query.limit = values.integer("limit") ?? 100
        query.actor = values.text("actor")
        query.record = values.text("record")
        query.sinceMilliseconds = values.date("since").map(Self.milliseconds)
        query.untilMilliseconds = values.date("until").map(Self.milliseconds)
        let page = try await audit.store.page(query)
        return try JSONBody.response(.ok, Page(items: page.entries, next: page.next))
    }

    private static func milliseconds(_ day: CalendarDate) -> Int64 {
        Int64((Timestamp("\(day)T00:00:00Z")?.date.timeIntervalSince1970 ?? 0) * 1000)
    }
}
