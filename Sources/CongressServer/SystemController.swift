import CongressCore
import CongressStore
import Hummingbird
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Health, metrics, the API document, and the topology and points rules in force.
struct SystemController: Sendable {
    let store: RecordStore
    let topology: TopologyInForce
    let points: PointsInForce
    let nodeMetrics: NodeMetrics
    /// How long `/health` waits for the database.
    let healthLimit: Duration
    /// This node's API document (it states the node's own region codes), rendered once.
    let document: String

    /// Open to anyone who can reach the node: probes, Prometheus, API clients.
    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("health", use: health)
            .get("metrics", use: metrics)
            .get("openapi.yaml", use: openAPI)
    }

    /// Mounted in the read group at `/v1`.
    var reads: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("topology", use: topologyInForce)
            .get("points/rules", use: pointsRulesInForce)
    }

    private struct PointsRulesView: Encodable {
        var node: String
        var hash: String
        var directory: String?
        var loadedAt: Timestamp
        var warnings: [Diagnostic]
        var lastRejected: ConfigRejection?
        var files: [File]

        struct File: Encodable {
            var path: String
            var rules: PointsRules
        }
    }

    /// `GET /v1/points/rules`: the points rules in force (SPEC §12), file by file, and the last refused reload or
    /// folder from the parent.
    @Sendable func pointsRulesInForce(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try request.query(accepting: [])
        let state = points.current
        let files = state.content.rules.map { rules in
            PointsRulesView.File(path: "\(rules.congress)/\(rules.year).yaml", rules: rules)
        }
        let view = PointsRulesView(
            node: store.node.rawValue,
            hash: state.content.hash,
            directory: points.directory,
            loadedAt: state.loadedAt,
            warnings: state.content.warnings,
            lastRejected: state.lastRejected,
            files: files
        )
        return try JSONBody.response(.ok, view)
    }

    private struct Health: Encodable {
        var status: String
        var node: String
        var database: String
        var schemaVersion: Int
    }

    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try request.query(accepting: [])
        do {
            try await store.checkReachable(within: healthLimit)
            return try JSONBody.response(
                .ok,
                Health(status: "ok", node: store.node.rawValue, database: "ok", schemaVersion: Migrations.latestVersion)
            )
        } catch {
            context.logger.warning("health check: database unreachable", metadata: ["error": "\(String(reflecting: error))"])
            return try JSONBody.response(
                .serviceUnavailable,
                Health(status: "degraded", node: store.node.rawValue, database: "unreachable", schemaVersion: Migrations.latestVersion)
            )
        }
    }

    /// Prometheus text: what the node counted, then its records and sync edges read now from the database.
    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try request.query(accepting: [])
        return Response(
            status: .ok,
            headers: [.contentType: NodeMetrics.contentType],
            body: .init(byteBuffer: ByteBuffer(string: try await nodeMetrics.text(now: Date())))
        )
    }

    @Sendable func openAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try request.query(accepting: [])
        return Response(
            status: .ok,
            headers: [.contentType: "application/yaml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: document))
        )
    }

    private struct TopologyView: Encodable {
        struct Node: Encodable {
            var code: String
            var name: String
            var level: String
            var url: String?
            var direct: Bool
            var schedule: String
            var children: [Node]
        }

        var node: String
        var hash: String
        var file: String?
        var loadedAt: Timestamp
        var warnings: [Diagnostic]
        var lastRejected: ConfigRejection?
        var root: Node

        enum CodingKeys: String, CodingKey { case node, hash, file, loadedAt, warnings, lastRejected, root }

        /// `lastRejected` is written as null rather than left out, so dashboards can tell "none" from "unknown".
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(node, forKey: .node)
            try container.encode(hash, forKey: .hash)
            try container.encode(file, forKey: .file)
            try container.encode(loadedAt, forKey: .loadedAt)
            try container.encode(warnings, forKey: .warnings)
            try container.encode(lastRejected, forKey: .lastRejected)
            try container.encode(root, forKey: .root)
        }
    }

    @Sendable func topologyInForce(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try request.query(accepting: [])
        func view(_ node: TopologyNode) -> TopologyView.Node {
            .init(
                code: node.code.rawValue,
                name: node.name,
                level: node.level.rawValue,
                url: node.url,
                direct: node.direct,
                schedule: node.sync.description,
                children: node.children.map(view)
            )
        }
        let state = topology.current
        let body = TopologyView(
            node: store.node.rawValue,
            hash: state.content.topology.hash,
            file: topology.file,
            loadedAt: state.loadedAt,
            warnings: state.content.warnings,
            lastRejected: state.lastRejected,
            root: view(state.content.topology.root)
        )
        return try JSONBody.response(.ok, body)
    }
}
