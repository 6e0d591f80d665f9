import CongressCore
import CongressStore
import Foundation
import Testing

@testable import CongressServer
@testable import CongressSync

/// The topology travels down the tree (SPEC §17): a parent judges a batch by the sender's subtree in its own topology,
/// names the topology it holds in its answer, and hands its file to its children.
@Suite struct TopologyTravelTests {
    @Test func aParentTakesABatchCutFromAnotherTopologyAndNamesItsOwn() async throws {
        let federation = try await TestFederation.make()
        try await federation.run { _, county, township in
            _ = try await township.create("deputies", Fixture.deputy(name: "代表", region: "420802001", level: "township", congress: "420802001"))
            let batch = try await ReplicationTests.batch(from: federation.township, after: 0, topologyHash: "a-topology-edited-elsewhere")
            let childToken = APIClient.Token.custom("Bearer \(federation.township.secrets.parentToken!)")
            let reply = try await county.send(.post, "/v1/sync/batches", json: batch, token: childToken)
            #expect(reply.status == .ok)
            let ack = try reply.decode(BatchAck.self)
            #expect(ack.applied == 1)
            #expect(ack.topologyHash == Topology.hash(of: federation.yaml))

            let file = try await county.send(.get, "/v1/sync/topology", token: childToken)
            #expect(file.status == .ok)
            #expect(file.body == federation.yaml)
            #expect(try await county.send(.get, "/v1/sync/topology", token: .read).status == .unauthorized)
        }
    }
}
