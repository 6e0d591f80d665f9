import CongressCore
import CongressStore
import CongressSync
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Replication endpoints, mounted at `/v1/sync`: children push batches and pull directives (child token); operators read
/// the status (read token) and start a run (admin token).
struct SyncController: Sendable {
    let sync: SyncService

    /// A batch of 5,000 changes is a few MiB; a child with very large records still fits.
    static let batchLimit = 256 << 20
    /// `?since=` and `?schemaVersion=` of the directive feed.
    static let directiveParameters = [
        QueryParameter(
            "since",
            .integer(0...Int(Int64.max)),
            summary: "this node's change-log seq already received (default 0)",
            refusal: .badRequest
        ),
        QueryParameter(
            "schemaVersion",
            .integer(1...Int(Int32.max)),
            summary: "the newest replication schema version the child reads (default 1, as wave-1 children, which do not say): "
                + "directives of kinds it lacks are left out",
            refusal: .badRequest
        ),
    ]
    /// `?wait=` of a run: how long the request waits for the run to finish before it answers that it is still running.
    static let runParameters = [
        QueryParameter("wait", .integer(0...maximumWait), summary: "seconds to wait for the run to finish (default \(defaultWait))")
    ]
    static let defaultWait = 10
    static let maximumWait = 60

    /// Called by child nodes with their parent token.
    var children: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("hello", use: hello)
            .post("batches", use: receive)
            .get("directives", use: directives)
            .get("topology", use: topologyFile)
            .get("audit", use: auditWitness)
            .get("points", use: pointsFolder)
    }

    var reads: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("status", use: status)
            .get("run", use: latestRun)
    }

    var writes: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .post("run", use: run)
    }

    /// `POST /v1/sync/batches`: a child's batch, once `BatchAdmission` lets it in (its body is read only then); 503
    /// `busy` with `Retry-After` when other children's batches kept every place for the admission wait.
    @Sendable func receive(_ request: Request, context: AppRequestContext) async throws -> Response {
        let child = try context.authenticatedChild()
        let ack = try await sync.admission.whenAdmitted {
            try await sync.receive(try await Self.batch(of: request, from: child, context: context), from: child)
        }
        guard let ack else {
            var busy = APIError(
                .serviceUnavailable,
                code: "busy",
                message: "this node is applying \(sync.admission.limit) children's batches and more wait: send the batch again shortly"
            )
            busy.headers[.retryAfter] = "1"
            throw busy
        }
        return try JSONBody.response(.ok, ack)
    }

    private static func batch(of request: Request, from child: RegionCode, context: AppRequestContext) async throws -> Data {
        do {
            return try await JSONBody.collect(request, limit: Self.batchLimit)
        } catch let error as APIError {
            throw error
        } catch {
            // The child gave up on this upload (it restarts its push after a gap, or it was stopped): nothing of it was
            // applied, and the child sends the batch again. Not a failure of this node.
            context.logger.info(
                "batch upload from a child ended before its end; it will be sent again",
                metadata: ["child": "\(child)", "reason": "\(String(reflecting: error))"]
            )
            throw APIError(.badRequest, code: "bad_request", message: "the batch ended before its end: the upload was cut off")
        }
    }

    @Sendable func directives(_ request: Request, context: AppRequestContext) async throws -> Response {
        let child = try context.authenticatedChild()
        let query = try request.query(accepting: Self.directiveParameters)
        let page = try await sync.directives(for: child, after: Int64(query.integer("since") ?? 0), schemaVersion: query.integer("schemaVersion"))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    /// `GET /v1/sync/hello`: the release and replication schemas this node reads, asked by a child before it pushes.
    @Sendable func hello(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.authenticatedChild()
        _ = try request.query(accepting: [])
        return try JSONBody.response(.ok, try await sync.hello())
    }

    /// `GET /v1/sync/topology`: the topology file this node holds, as its children adopt it.
    @Sendable func topologyFile(_ request: Request, context: AppRequestContext) async throws -> Response {
        let child = try context.authenticatedChild()
        _ = try request.query(accepting: [])
        return Response(
            status: .ok,
            headers: [.contentType: "application/yaml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: try sync.topologyFile(for: child)))
        )
    }

    /// `GET /v1/sync/audit`: the child's newest audit entry as its batches told this node, for `congress audit verify`
    /// at the child to check its log against a witness outside it.
    @Sendable func auditWitness(_ request: Request, context: AppRequestContext) async throws -> Response {
        let child = try context.authenticatedChild()
        _ = try request.query(accepting: [])
        guard let head = try await sync.auditWitness(of: child) else {
            throw APIError(.notFound, code: "not_found", message: "no batch from \(child) has named its audit log's head here yet")
        }
        return try JSONBody.response(.ok, head)
    }

    /// `GET /v1/sync/points`: the points rules folder this node holds, as its children adopt it.
    @Sendable func pointsFolder(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.authenticatedChild()
        _ = try request.query(accepting: [])
        return try JSONBody.response(.ok, sync.pointsFolder())
    }

    @Sendable func status(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try request.query(accepting: [])
        return try JSONBody.response(.ok, try await sync.status(now: Date()))
    }

    /// `POST /v1/sync/run`: starts a push and pull now (or joins the one under way) and waits up to `?wait=` seconds for
    /// it: 200 with the report when it succeeded, 502 with the report when the parent refused or could not be reached,
    /// 202 with the run's state when it is still going (watch it at `GET /v1/sync/run`).
    @Sendable func run(_ request: Request, context: AppRequestContext) async throws -> Response {
        let wait = try Self.wait(request)
        sync.runs.start()
        return try Self.respond(await sync.runs.awaitLatest(within: wait))
    }

    /// `GET /v1/sync/run`: the latest run started over the API, waiting up to `?wait=` seconds for it to finish; 404 when
    /// none was started since the node started.
    @Sendable func latestRun(_ request: Request, context: AppRequestContext) async throws -> Response {
        let wait = try Self.wait(request)
        return try Self.respond(await sync.runs.awaitLatest(within: wait))
    }

    private static func wait(_ request: Request) throws -> Duration {
        .seconds(try request.query(accepting: runParameters).integer("wait") ?? defaultWait)
    }

    private static func respond(_ run: SyncRuns.Run?) throws -> Response {
        guard let run else { throw APIError(.notFound, code: "not_found", message: "no sync run was started over the API since this node started") }
        guard let report = run.report else {
            var response = try JSONBody.response(.accepted, run)
            response.headers[.location] = "/v1/sync/run"
            return response
        }
        return try JSONBody.response(report.error == nil ? .ok : .badGateway, report)
    }
}
