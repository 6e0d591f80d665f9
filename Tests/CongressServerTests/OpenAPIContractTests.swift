import CongressCore
import CongressStore
import CongressSync
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Testing
import Yams

@testable import CongressServer

/// /openapi.yaml documents exactly the routes the node serves.
@Suite struct OpenAPIContractTests {
    static let methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    static func documentedRoutes(_ yaml: String) throws -> Set<String> {
        let document = try #require(try Yams.load(yaml: yaml) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: Any])
        var routes = Set<String>()
        for (path, item) in paths {
            for method in (item as? [String: Any] ?? [:]).keys where methods.contains(method) {
                routes.insert("\(method.uppercased()) \(path)")
            }
        }
        return routes
    }

    /// The document against Hummingbird's own list of what the router serves, both ways.
    @Test func everyServedRouteIsDocumentedAndEveryDocumentedRouteIsServed() async throws {
        let node = try await TestNode.make()
        // Never run: building the router issues no query.
        let client = PostgresClient(configuration: node.database.clientConfiguration, backgroundLogger: Logger(label: "test"))
        let topology = TopologyInForce(node.configuration.topology)
        let sync = SyncClient(
            changeLog: ChangeLogReader(client: client, node: node.node, logger: Logger(label: "test")),
            applier: BatchApplier(client: client, node: node.node, logger: Logger(label: "test")),
            directiveFeed: DirectiveFeed(client: client, node: node.node, logger: Logger(label: "test")),
            topology: topology,
            token: nil,
            logger: Logger(label: "test")
        )
        let router = buildRouter(
            node.configuration,
            store: RecordStore(client: client, node: node.node, logger: Logger(label: "test")),
            coverageStore: CoverageStore(client: client, logger: Logger(label: "test")),
            topology: topology,
            sync: sync,
            runs: SyncRuns(sync: sync)
        )
        let served = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })
        let documented = try Self.documentedRoutes(OpenAPIDocument.yaml(node: node.node))
        #expect(served.count > 30)
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
    }

    /// Not only the list: each documented route really answers (anything but "no such endpoint" or "method not allowed").
    @Test func documentedRoutesAnswerOverHTTP() async throws {
        let node = try await TestNode.make()
        // POST /v1/sync/run tries to reach a parent that is not running: one quick attempt is enough here.
        let quickSync: (inout AppConfiguration) -> Void = {
            $0.syncRetry = RetryPolicy(attempts: 1, firstDelay: .zero, maxDelay: .zero, requestTimeout: .milliseconds(200))
        }
        try await node.run(configure: quickSync) { api in
            let served = try await api.send(.get, "/openapi.yaml", token: Token.none)
            #expect(served.status == .ok)
            #expect(served.body == OpenAPIDocument.yaml(node: node.node))
            let routes = try Self.documentedRoutes(served.body)
            for route in routes.sorted() {
                let parts = route.split(separator: " ")
                let method = HTTPRequest.Method(rawValue: String(parts[0]))!
                let path = String(parts[1]).replacingOccurrences(of: "{id}", with: UUID().uuidString)
                let reply = try await api.send(method, path, json: method == .get || method == .delete ? nil : "{}")
                #expect(reply.error?.code != "no_route", "\(route) is documented but not served")
                #expect(reply.status != .methodNotAllowed, "\(route) is documented but not served")
            }
        }
    }

    /// A known path asked with a method it does not serve is 405 with the methods it does, before any token is asked for.
    /// An optional member may be sent as null (the decoder takes it as absent): where the member is an enum, null is one
    /// of its values, so that a validator takes what the node takes (the fuzzer found `"urbanRuralClass": null` refused
    /// by the document and accepted by the node).
    @Test func anOptionalEnumMemberListsNullAmongItsValues() throws {
        let unit = try #require(APISchemas(node: RegionCode("420802")!).input(.unit).objectContext?.properties["urbanRuralClass"])
        let values = try #require(unit.allowedValues)
        #expect(values.contains(nil))
        #expect(values.filter { $0 != nil }.count == Unit.urbanRuralClasses.count)
        #expect(unit.nullable)
        let name = try #require(APISchemas(node: RegionCode("420802")!).input(.unit).objectContext?.properties["name"])
        #expect(name.allowedValues == nil && !name.nullable, "a required member stays as it was")
    }

    @Test func aKnownPathWithAnUnknownMethodIsMethodNotAllowed() async throws {
        let node = try await TestNode.make()
        try await node.run { api in
            for (method, path, allowed) in [
                (HTTPRequest.Method.trace, "/v1/deputies", "GET, POST"),
                (.patch, "/v1/deputies/\(UUID())", "DELETE, GET, PUT"),
                (.delete, "/health", "GET"),
                (.put, "/v1/sync/run", "GET, POST"),
            ] {
                let reply = try await api.send(method, path, token: Token.none)
                #expect(reply.status == .methodNotAllowed, "\(method) \(path): \(reply.body)")
                #expect(reply.error?.code == "method_not_allowed")
                #expect(reply.headers[.allow] == allowed, "\(method) \(path)")
            }
            let unknown = try await api.send(.trace, "/v1/villages")
            #expect(unknown.status == .notFound)
            #expect(unknown.error?.code == "no_route")
        }
    }
}
