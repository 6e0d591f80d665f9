import CongressCore
import CongressStore
import Foundation
import Testing

/// `congress units import` as a county office runs it: the list it keeps in Excel, saved as CSV in GB18030, into its
/// running node.
@Suite struct ExcelFileImportTests {
    /// A village list saved by Excel (GB18030, CRLF) imports; a code the node refuses is pointed at its line, with the
    /// field named.
    @Test func aVillageListInGB18030ImportsAndTheNodesRefusalPointsAtTheLine() async throws {
        let yaml = TestTopology.city(ports: ["4208": try LoopbackPort.free(), "420802": try LoopbackPort.free()]).yaml
        let node = try await TestNode.make(node: "420802", topologyYAML: yaml)
        let files = try NodeProcess(node, topologyYAML: yaml)
        let villages = "code,name,urbanRuralClass\r\n420802001001,龙泉社区,111\r\n420802001002,象山村,220\r\n"
        let file = try await ExcelCSV.writeGB18030(villages, to: files.folder.appendingPathComponent("村居.csv"))
        let elsewhere = try await ExcelCSV.writeGB18030(
            villages.replacingOccurrences(of: "420802001002", with: "420804001002"),
            to: files.folder.appendingPathComponent("村居-外区.csv")
        )

        let (refused, imported, units) = try await node.serve(configure: TestFederation.live) { api in
            let before = try await node.snapshot()
            let refused = try await files.command(["units", "import", elsewhere])
            #expect(try await node.snapshot() == before)
            let imported = try await files.command(["units", "import", file])
            return (refused, imported, try await api.list(CongressCore.Unit.self).items)
        }
        #expect(refused.status != 0)
        #expect(refused.output.contains("\(elsewhere):3:1: error: code: 420804001002 lies outside this node's subtree (420802)"), "\(refused.output)")
        #expect(imported.status == 0, "\(imported.output)")
        #expect(imported.output.contains("2 units: 2 created, 0 updated, 0 unchanged"), "\(imported.output)")
        #expect(units.map(\.body.name).sorted() == ["象山村", "龙泉社区"].sorted())
    }
}

/// CSV files as Excel on a computer set up for China saves them.
enum ExcelCSV {
    /// Writes `text` in GB18030, encoded by iconv; returns the path.
    static func writeGB18030(_ text: String, to url: URL) async throws -> String {
        let encoded = try await ChildProcess.run("/usr/bin/iconv", ["-f", "UTF-8", "-t", "GB18030"], input: Data(text.utf8), mergingErrors: false)
        #expect(encoded.terminationStatus == 0)
        #expect(String(data: encoded.output, encoding: .utf8) == nil, "GB18030 Chinese is not UTF-8")
        try encoded.output.write(to: url)
        return url.path
    }
}
