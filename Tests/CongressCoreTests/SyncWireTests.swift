import CongressCore
import Foundation
import Testing

/// The sync messages stay readable across releases: fields added for SPEC §17 are optional both ways.
@Suite struct SyncWireTests {
    @Test func anAckWithoutATopologyHashStillDecodes() throws {
        let old = try JSONDecoder().decode(BatchAck.self, from: Data(#"{"acked":7,"applied":3}"#.utf8))
        #expect(old == BatchAck(acked: 7, applied: 3))
        #expect(old.topologyHash == nil)
        let new = try JSONDecoder().decode(BatchAck.self, from: Data(#"{"acked":7,"applied":3,"topologyHash":"ab"}"#.utf8))
        #expect(new.topologyHash == "ab")
    }
}
