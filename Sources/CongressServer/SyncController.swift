import AsyncHTTPClient
import CongressCore
import CongressStore
import CongressSync
import Hummingbird
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Replication endpoints: children push batches here; operators read the status and start a run.
struct SyncController: Sendable {
    let sync: SyncClient
    let metrics: NodeMetrics
    let topology: TopologyInForce
    let secrets: NodeSecrets

    /// A batch of 5,000 changes is a few MiB; a child with very large records still fits.
    static let batchLimit = 256 << 20

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/v1/sync/batches", childToken: true, use: receive)
        api.add(.get, "/v1/sync/directives", childToken: true, use: directives)
        api.add(.get, "/v1/sync/status", use: status)
        api.add(.post, "/v1/sync/run", use: run)
    }

    /// The child whose parent token this is, compared by hash in constant time.
    private func authenticatedChild(_ request: Request) throws -> RegionCode {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("missing bearer token (Authorization: Bearer TOKEN): present this node's child token")
        }
        guard header.hasPrefix("Bearer ") else { throw APIError.unauthorized("the Authorization header must be 'Bearer TOKEN'") }
        let hash = NodeSecrets.sha256Hex(String(header.dropFirst("Bearer ".count)))
        var match: RegionCode?
        for (code, expected) in secrets.childTokenHashes where ConstantTime.equals(hash, expected) { match = RegionCode(code) }
        guard let match else { throw APIError.unauthorized("invalid token: not the token of any child of node \(sync.node)") }
        return match
    }

    /// The topology in force, if `child` syncs with this node in it (a token may outlive a move in the tree).
    private func topologyWhereSyncingHere(_ child: RegionCode) throws -> Topology {
        let current = topology.topology
        guard current.upstream(of: child)?.code == sync.node else {
            throw APIError.forbidden("node \(child) does not sync with \(sync.node) in the topology in force (hash \(current.hash.prefix(12)))")
        }
        return current
    }

    @Sendable func receive(_ request: Request, context: some RequestContext) async throws -> Response {
        let child = try authenticatedChild(request)
        let data: Data
        do {
            data = try await JSONBody.collect(request, limit: Self.batchLimit)
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
        let header: BatchHeader
        do {
            header = try BatchHeader.read(fromBatch: data)
        } catch {
            throw APIError(.badRequest, code: "bad_request", message: "not a sync batch: \(error)")
        }
        guard header.protocol == SyncProtocol.version else {
            let newer = header.protocol > SyncProtocol.version ? "this node (\(sync.node))" : "the sender (\(header.sender))"
            throw APIError(
                .upgradeRequired,
                code: "protocol_mismatch",
                message:
                    "sync protocol \(header.protocol) from \(header.sender), this node speaks \(SyncProtocol.version): upgrade congress on \(newer)"
            )
        }
        guard header.schemaHash == Migrations.schemaHash else {
            throw APIError(
                .conflict,
                code: "schema_mismatch",
                message:
                    "the sender's database schema (\(header.schemaHash.prefix(12))) differs from this node's (\(Migrations.schemaHash.prefix(12))): run the same congress release on both nodes"
            )
        }
        guard header.sender == child else {
            throw APIError.forbidden("the token is child \(child)'s, but the batch says it comes from \(header.sender)")
        }
        let current = try topologyWhereSyncingHere(child)
        guard header.topologyHash == current.hash else {
            throw APIError(
                .conflict,
                code: "topology_mismatch",
                message:
                    "the sender's topology (\(header.topologyHash.prefix(12))) differs from this node's (\(current.hash.prefix(12))): deploy the same config/topology.yaml to both"
            )
        }
        let changes: ChangeRows
        do {
            changes = try ChangeRows(document: data)
        } catch {
            throw APIError(.badRequest, code: "bad_request", message: "not a sync batch: \(error)")
        }
        switch try await sync.applier.apply(header, changes: changes) {
        case .acked(let ack):
            metrics.received(ack, from: child)
            return try JSONBody.response(.ok, ack)
        case .gap(let expected):
            throw APIError(
                .conflict,
                code: "gap",
                message: "batch starts at \(header.fromSeq) but \(expected) is expected next: resend from \(expected)",
                field: "fromSeq",
                expected: expected
            )
        }
    }

    @Sendable func status(_ request: Request, context: some RequestContext) async throws -> Response {
        try JSONBody.response(.ok, try await status(now: Date()))
    }

    /// The parent edge and each child's, as of `now` (the API, the dashboard and /metrics show the same).
    func status(now: Date) async throws -> SyncStatus {
        try await sync.status(now: now)
    }

    /// Trainings from here or above that concern the asking child's subtree, after `since` (this node's change-log seq).
    @Sendable func directives(_ request: Request, context: some RequestContext) async throws -> Response {
        let child = try authenticatedChild(request)
        _ = try topologyWhereSyncingHere(child)
        let since: Int64
        switch request.uri.queryParameters.get("since") {
        case nil: since = 0
        case let text?:
            guard let value = Int64(text), value >= 0 else {
                throw APIError(
                    .badRequest,
                    code: "bad_request",
                    message: "since must be a change-log seq (a whole number ≥ 0), not '\(text)'",
                    field: "since"
                )
            }
            since = value
        }
        let page = try await sync.directiveFeed.directives(for: child, after: since, limit: Self.directivePageSize)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    /// Trainings carry their venues: a page of 500 stays well under a few MiB.
    static let directivePageSize = 500

    @Sendable func run(_ request: Request, context: some RequestContext) async throws -> Response {
        let report = await sync.run()
        return try JSONBody.response(report.error == nil ? .ok : .badGateway, report)
    }
}
