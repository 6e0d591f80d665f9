import CongressCore
import CongressServer
import CongressStore
import Foundation
import Testing

/// How a node starts when its surroundings are not ready: a database not yet up waits to be, a port already taken
/// fails the start at once with why.
@Suite struct NodeStartTests {
    /// A node started before its database (a machine booting, or one too busy to connect in time) waits for it, then
    /// migrates and serves, instead of exiting.
    @Test func aNodeStartedBeforeItsDatabaseServesOnceTheDatabaseAnswers() async throws {
        try await DatabaseOutageTests.withNodeOnItsOwnCluster { cluster, address, node in
            try cluster.stop()
            async let databaseBack: Void = {
                try await Task.sleep(for: .seconds(5))
                _ = try await cluster.start()
            }()
            let created = try await node.serve(configure: TestFederation.live) { api in
                try await api.create("deputies", Fixture.deputy(name: "开机后"))
            }
            try await databaseBack
            #expect(try await TestDatabase.texts("SELECT body->>'name' || ' ' || id FROM deputies", on: address) == ["开机后 \(created.lowercased())"])
            #expect(node.logs.text.contains("the database went away while starting the node"), "\(node.logs.text.suffix(2000))")
        }
    }

    /// A node whose port another process holds ends its start with the socket's error, which reaches whoever waits
    /// for the node (here: the test's wait for `/health`) at once instead of after its patience runs out.
    @Test func aNodeWhosePortIsTakenFailsWithWhy() async throws {
        let yaml = TestTopology.city(ports: ["420802": try LoopbackPort.free()]).yaml
        let first = try await TestNode.make(node: "420802", topologyYAML: yaml)
        let second = try await TestNode.make(node: "420802", topologyYAML: yaml)
        try await first.serve(configure: TestFederation.live) { _ in
            let failure = await #expect(throws: (any Error).self) {
                try await second.serve(configure: TestFederation.live) { _ in }
            }
            #expect(!(failure is TestSetupError), "\(String(describing: failure))")
            #expect(String(describing: failure).contains("Address already in use"), "\(String(describing: failure))")
        }
    }
}
