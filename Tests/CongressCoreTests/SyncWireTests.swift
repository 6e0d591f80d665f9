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

    @Test func aHeaderCarriesARefusalOfTheParentsTopologyOnlyWhenThereIsOne() throws {
        var header = BatchHeader(protocol: 1, schemaHash: "s", topologyHash: "t", sender: RegionCode("420802001")!, fromSeq: 1, toSeq: 0)
        #expect(!String(decoding: try JSONEncoder().encode(header), as: UTF8.self).contains("topologyRefused"))
        header.topologyRefused = TopologyRefusal(hash: "h", at: Timestamp(Date(timeIntervalSince1970: 0)), errors: ["f:1:1: error: m"])
        let document = try SyncClientDocument.batch(header)
        #expect(try BatchHeader.read(fromBatch: Data(document.utf8)) == header)
    }
}

/// A batch document as senders lay it out: the header's fields, then the changes.
private enum SyncClientDocument {
    static func batch(_ header: BatchHeader) throws -> String {
        var json = String(decoding: try JSONEncoder().encode(header), as: UTF8.self)
        json.removeLast()
        return json + #","changes":[]}"#
    }
}
