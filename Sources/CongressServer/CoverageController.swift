import CongressCore
import CongressStore
import Hummingbird
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Coverage as the API and the dashboard ask for it (SPEC §8): the region asked for must be one this node holds; the
/// answer comes from the cache's snapshot.
struct CoverageService: Sendable {
    let cache: CoverageCache
    let topology: TopologyInForce
    let node: RegionCode

    /// The report a query asks for, or the reason it cannot have one.
    func report(_ query: CoverageQuery) async throws -> CoverageReport {
        let region = try checkedRegion(query.region)
        return try Self.report(of: try await cache.snapshot(), region: region, depth: query.depth)
    }

    /// The report rendered as the query's format, reused from a moment ago when the same was asked.
    func rendered(_ query: CoverageQuery) async throws -> (region: RegionCode, body: ByteBuffer) {
        let region = try checkedRegion(query.region)
        let body = try await cache.rendered("\(region) \(query.depth) \(query.format)") { snapshot in
            let report = try Self.report(of: snapshot, region: region, depth: query.depth)
            switch query.format {
            case .json: return try JSONBody.encoded(report)
            case .csv: return CSVBody.bytes(report.csv)
            }
        }
        return (region, body)
    }

    /// The region asked for (this node's own by default), if this node holds it.
    private func checkedRegion(_ asked: RegionCode?) throws -> RegionCode {
        let region = asked ?? node
        let current = topology.topology
        guard let regionNode = current.node(region) else {
            throw APIError(
                .notFound,
                code: "not_found",
                message: "region \(region) is not in the topology in force (hash \(current.hash.prefix(12)))",
                field: "region"
            )
        }
        guard node.contains(region) else {
            let holder = current.allNodes.last { $0.url != nil && $0.code.contains(region) && $0.code.contains(node) }
            let ask = holder.map { ": ask node \($0.code) (\($0.name))" } ?? ""
            throw APIError(
                .forbidden,
                code: "out_of_scope",
                message: "region \(region) (\(regionNode.name)) is outside this node's subtree (\(node))\(ask)",
                field: "region"
            )
        }
        return region
    }

    private static func report(of snapshot: CoverageSnapshot, region: RegionCode, depth: Int) throws -> CoverageReport {
        guard let report = snapshot.report(region: region, depth: depth, now: Date()) else {
            throw APIError(.notFound, code: "not_found", message: "region \(region) is not in this node's subtree", field: "region")
        }
        return report
    }
}

/// `GET /v1/coverage` (SPEC §8), mounted in the read group.
struct CoverageController: Sendable {
    let coverage: CoverageService

    var reads: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("coverage", use: coverage)
    }

    @Sendable func coverage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = CoverageQuery(try request.query(accepting: CoverageQuery.parameters))
        let (region, body) = try await coverage.rendered(query)
        let headers: HTTPFields =
            switch query.format {
            case .json: [.contentType: "application/json; charset=utf-8"]
            case .csv: CSVBody.headers(file: "coverage-\(region).csv")
            }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}
