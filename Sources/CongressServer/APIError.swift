import CongressCore
import CongressStore
import Hummingbird
import Logging
import NIOCore
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The one error type the API answers with: SPEC §10's `{"error": {"code", "message", "field"}}`.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var field: String?
    /// For a sync gap: the seq the parent expects next, beside the error so the child can rewind.
    public var expected: Int64?
    /// Headers the status calls for (`Allow` on a 405).
    var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, message: String, field: String? = nil, expected: Int64? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.expected = expected
    }

    public static func unauthorized(_ message: String) -> APIError { APIError(.unauthorized, code: "unauthorized", message: message) }
    public static func forbidden(_ message: String) -> APIError { APIError(.forbidden, code: "forbidden", message: message) }
    /// 429 with the seconds to wait in `Retry-After` (at least one).
    static func tooManyRequests(_ message: String, retryAfter wait: Duration) -> APIError {
        var refusal = APIError(.tooManyRequests, code: "too_many_requests", message: message)
        refusal.headers[.retryAfter] = "\(max(1, wait.components.seconds + 1))"
        return refusal
    }

    static func tooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "too_large", message: "the request body is larger than \(limit / 1024) KiB")
    }

    private struct Envelope: Encodable {
        struct Body: Encodable {
            var code: String
            var message: String
            var field: String?
        }

        var error: Body
        var expected: Int64?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONBody.response(status, Envelope(error: .init(code: code, message: message, field: field), expected: expected))
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        response.headers.append(contentsOf: headers)
        return response
    }
}

extension APIError {
    /// Translates what handlers and the store throw; nil for errors nobody anticipated (answered as 500).
    init?(translating error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as InputError:
            let status: HTTPResponse.Status =
                switch error.code {
                case .badRequest: .badRequest
                case .invalid: .unprocessableContent
                case .outOfScope: .forbidden
                }
            self.init(status, code: error.code.rawValue, message: error.message, field: error.field)
        case let error as StoreError:
            self.init(storeError: error)
        case let error as HTTPError:
            let code =
                switch error.status {
                case .notFound: "no_route"
                case .contentTooLarge: "too_large"
                case .methodNotAllowed: "method_not_allowed"
                default: "http_\(error.status.code)"
                }
            let message =
                switch error.status {
                case .notFound: "no such endpoint; see /openapi.yaml"
                case .contentTooLarge: "the request body is too large"
                default: error.body ?? error.status.reasonPhrase
                }
            self.init(error.status, code: code, message: message)
        case let error where DatabaseError.meansUnreachable(error):
            self.init(.serviceUnavailable, code: "unavailable", message: "the database is unreachable; try again shortly")
        default:
            return nil
        }
    }

    private init(storeError error: StoreError) {
        switch error.reason {
        case .notFound: self.init(.notFound, code: "not_found", message: error.message, field: error.field)
        case .conflict: self.init(.conflict, code: "conflict", message: error.message, field: error.field)
        case .unprocessable: self.init(.unprocessableContent, code: "invalid", message: error.message, field: error.field)
        case .forbidden: self.init(.forbidden, code: "out_of_scope", message: error.message, field: error.field)
        }
    }
}

/// Renders every error as JSON and logs the unexpected ones at error level with their full detail
/// (`PSQLError`'s description is redacted; `String(reflecting:)` is not). Never logs request bodies. A known path asked
/// with a method it does not serve answers 405 with `Allow`, not 404.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = routes.methods(servingPath: request.uri.path)
            guard !allowed.isEmpty else { return try APIError(translating: error)!.response(from: request, context: context) }
            let list = allowed.map(\.rawValue).joined(separator: ", ")
            var refusal = APIError(
                .methodNotAllowed,
                code: "method_not_allowed",
                message: "\(request.uri.path) answers \(list), not \(request.method)"
            )
            refusal.headers[.allow] = list
            return try refusal.response(from: request, context: context)
        } catch {
            if let apiError = APIError(translating: error) {
                return try apiError.response(from: request, context: context)
            }
            context.logger.error(
                "request failed",
                metadata: ["method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(String(reflecting: error))"]
            )
            return try APIError(.internalServerError, code: "internal", message: "internal error; the node's log has the details")
                .response(from: request, context: context)
        }
    }
}

/// The routes the router serves, by path template, read from Hummingbird's own `router.routes` once they are all added.
final class RouteTable: Sendable {
    private let routes = Mutex<[(path: RouterPath, methods: [HTTPRequest.Method])]>([])

    func fill<Context>(from router: Router<Context>) {
        let grouped = Dictionary(grouping: router.routes, by: \.path.description)
        let table = grouped.values.map { routes in (routes[0].path, routes.map(\.method).sorted { $0.rawValue < $1.rawValue }) }
        routes.withLock { $0 = table }
    }

    private func constants(in path: RouterPath) -> Int { path.count { !$0.description.hasPrefix("{") } }

    /// The methods served at the path a request names (none for an unknown path).
    func methods(servingPath path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.withLock { routes in
            // As the router does: a constant segment (`import`) before a capture (`{id}`).
            let matching = routes.filter { route in
                route.path.count == segments.count && zip(route.path, segments).allSatisfy { element, segment in element ~= segment }
            }
            return matching.max { constants(in: $0.path) < constants(in: $1.path) }?.methods ?? []
        }
    }
}

/// CSV out: a table offered for download, opened as it is by Excel as used in China.
enum CSVBody {
    static func headers(file: String) -> HTTPFields {
        [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(file)\""]
    }

    /// The text with a UTF-8 byte-order mark first: without one, Excel reads a CSV in the computer's code page (GB18030
    /// in China) whatever the `charset`, and every name comes out garbled.
    static func bytes(_ text: String) -> ByteBuffer {
        ByteBuffer(string: "\u{FEFF}" + text)
    }

    static func response(_ rows: [[String]], file: String) -> Response {
        Response(status: .ok, headers: headers(file: file), body: .init(byteBuffer: bytes(CSVText.table(rows))))
    }
}

/// JSON in and out, one configuration for the whole API.
enum JSONBody {
    static func response(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        response(status, encoded: try encoded(value))
    }

    /// A body `encoded` already.
    static func response(_ status: HTTPResponse.Status, encoded body: ByteBuffer) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
    }

    static func encoded(_ value: some Encodable) throws -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return ByteBuffer(bytes: try encoder.encode(value))
    }

    /// The request's body, refused with 413 beyond `limit` bytes.
    static func collect(_ request: Request, limit: Int) async throws -> Data {
        do {
            var buffer = try await request.body.collect(upTo: limit)
            return buffer.readData(length: buffer.readableBytes) ?? Data()
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.tooLarge(limit: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.tooLarge(limit: limit)
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        let data = try await collect(request, limit: limit)
        guard !data.isEmpty else { throw InputError(.badRequest, message: "the request has no body; send a JSON object") }
        return try StrictDecoder().decode(type, from: data)
    }
}
