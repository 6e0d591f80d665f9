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
    static let methods = ["get", "put", "post", "delete", "patch", "head"]

    static func documentedRoutes() throws -> Set<String> {
        let document = try #require(try Yams.load(yaml: OpenAPIDocument.text) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: Any])
        var routes = Set<String>()
        for (path, item) in paths {
            for method in (item as? [String: Any] ?? [:]).keys where methods.contains(method) {
                routes.insert("\(method.uppercased()) \(path)")
            }
        }
        return routes
    }

    @Test func everyServedRouteIsDocumentedAndEveryDocumentedRouteIsServed() async throws {
        let node = try await TestNode.make()
        let client = PostgresClient(configuration: node.database.clientConfiguration, backgroundLogger: Logger(label: "test"))
        let store = RecordStore(client: client, node: node.node, logger: Logger(label: "test"))
        let topology = TopologyInForce(node.configuration.topology)
        let sync = SyncClient(
            changeLog: ChangeLogReader(client: client, node: node.node, logger: Logger(label: "test")),
            applier: BatchApplier(client: client, node: node.node, logger: Logger(label: "test")),
            directiveFeed: DirectiveFeed(client: client, node: node.node, logger: Logger(label: "test")),
            topology: topology,
            token: nil,
            logger: Logger(label: "test")
        )
        let routes = buildRoutes(node.configuration, store: store, topology: topology, sync: sync)
        let served = Set(routes.served.map { "\($0.method.rawValue) \($0.path)" })
        let documented = try Self.documentedRoutes()
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
    }

    /// Not only the list: each documented route really answers (anything but "no such endpoint").
    @Test func documentedRoutesAnswerOverHTTP() async throws {
        let node = try await TestNode.make()
        let routes = try Self.documentedRoutes()
        // POST /v1/sync/run tries to reach a parent that is not running: one quick attempt is enough here.
        let quickSync: (inout AppConfiguration) -> Void = {
            $0.syncRetry = RetryPolicy(attempts: 1, firstDelay: .zero, maxDelay: .zero, requestTimeout: .milliseconds(200))
        }
        try await node.run(configure: quickSync) { api in
            for route in routes.sorted() {
                let parts = route.split(separator: " ")
                let method = HTTPRequest.Method(rawValue: String(parts[0]))!
                let path = String(parts[1]).replacingOccurrences(of: "{id}", with: UUID().uuidString)
                let reply = try await api.send(method, path, json: method == .get || method == .delete ? nil : "{}")
                #expect(reply.error?.code != "no_route", "\(route) is documented but not served")
            }
            let served = try await api.send(.get, "/openapi.yaml", token: Token.none)
            #expect(served.status == .ok)
            #expect(served.body == OpenAPIDocument.text)
        }
    }
}
