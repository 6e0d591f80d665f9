import Foundation
import Testing

@testable import CongressCore

/// Change files (SPEC §15): the 湖北 sample made from the official lists, and the mistakes an operator makes, each
/// refused at its line and column.
@Suite struct DivisionChangesTests {
    static let jingmen = try! TopologyLoader.parse(
        """
        version: 1
        root:
          code: "4208"
          name: 荆门市
          level: city
          url: http://127.0.0.1:9000
          children:
            - code: "420802"
              name: 东宝区
              level: county
              children:
                - { code: "420802001", name: 龙泉街道, level: township }
                - { code: "420802100", name: 子陵铺镇, level: township }
                - { code: "420802102", name: 马河镇, level: township }
            - code: "420804"
              name: 掇刀区
              level: county
              children:
                - { code: "420804100", name: 团林铺镇, level: township }

        """,
        file: "t.yaml"
    ).topology

    static func problems(_ text: String, units: [RegionCode: Set<RegionCode>]? = nil) -> [String] {
        do {
            _ = try DivisionChangesLoader.parse(text, file: "c.yaml", topology: jingmen, units: units)
            return []
        } catch {
            return error.diagnostics.filter { $0.severity == .error }.map(\.description)
        }
    }

    @Test func theHubeiSampleChecksAgainstThe2021ListAndNotThe2022One() throws {
        let text = try String(contentsOf: Repository.root.appendingPathComponent("config/changes/2022-hubei.yaml"), encoding: .utf8)
        func hubei(_ edition: String) throws -> Topology {
            let list = try DivisionList.read(directory: Repository.root.appendingPathComponent("data/divisions-\(edition)").path)
            return try TopologyLoader.parse(try list.topology(of: RegionCode("42")!, source: edition).yaml, file: "\(edition).yaml").topology
        }
        let changes = try DivisionChangesLoader.parse(text, file: "2022-hubei.yaml", topology: try hubei("2021"))
        #expect(changes.entries.count == 10)
        guard case .merge(let sources, let into, let name) = changes.entries[8].change else {
            Issue.record("the ninth entry is 青山区's merge")
            return
        }
        #expect(sources.count == 6 && into == RegionCode("420107013") && name == "钢都花园街道")
        // Every code it takes away is gone from the 2022 list, every code it gives is in it, and its names are 2022's.
        let after = try hubei("2022")
        for entry in changes.entries {
            for code in DivisionChanges.removed(by: entry.change) { #expect(after.node(code) == nil, "\(code)") }
            switch entry.change {
            case .rename(let code, let name): #expect(after.node(code)?.name == name)
            case .recode(_, let to, let name): #expect(after.node(to)?.name == name)
            case .merge(_, let into, let name): #expect(after.node(into)?.name == name)
            default: Issue.record("the sample has renames, a recode and a merge")
            }
        }
        #expect(throws: ConfigFileError.self) { try DivisionChangesLoader.parse(text, file: "2022-hubei.yaml", topology: after) }
    }

    @Test func badChangeFilesAreRefusedAtTheirLineAndColumn() {
        let text = """
            version: 1
            changes:
              - rename: "420802199"
                name: 某镇
              - merge: ["420802100", "420802102"]
                into: "420802"
                name: 合并镇
              - split: "420802001"
                into:
                  - { code: "420802001", name: 甲, units: ["420802001001", "420802001002"] }
                  - { code: "420802010", name: 乙, units: ["420802001002"] }
              - move: "420804100"
                to: "4208"
                as: "420802150"
              - renam: "420802100"

            """
        let villages: Set<RegionCode> = Set(["420802001001", "420802001002", "420802001003"].map { RegionCode($0)! })
        #expect(
            Self.problems(text, units: [RegionCode("420802001")!: villages]) == [
                "c.yaml:3:13: error: 420802199 is not in the topology in force",
                "c.yaml:6:11: error: 420802 is a county code: a merge of townships goes into a township code",
                "c.yaml:8:12: error: the split gives no part 1 of 420802001's villages: 420802001003",
                "c.yaml:11:46: error: village 420802001002 is given to two parts (first at line 10)",
                "c.yaml:13:9: error: a township moves under a county, not a city (4208)",
                "c.yaml:15:5: error: unknown change 'renam'; did you mean 'rename'?",
            ]
        )
    }

    @Test func twoEntriesNeverTouchOneRegion() {
        let text = """
            version: 1
            changes:
              - rename: "420802100"
                name: 子陵镇
              - recode: "420802100"
                to: "420802110"

            """
        #expect(Self.problems(text) == ["c.yaml:5:13: error: 420802100 is changed by two entries (first at line 3): one change per region a file"])
    }

    @Test func aRecodeKeepsItsParentAndAMoveLandsUnderItsNewParent() {
        let recode = "version: 1\nchanges:\n  - recode: \"420802100\"\n    to: \"420804110\"\n"
        #expect(
            Self.problems(recode) == [
                "c.yaml:4:9: error: 420804110 does not lie under 420802100's parent 420802: a region that changes parent is a move"
            ]
        )
        let move = "version: 1\nchanges:\n  - move: \"420802100\"\n    to: \"420804\"\n    as: \"420802150\"\n"
        #expect(Self.problems(move) == ["c.yaml:5:9: error: 420802150 does not lie under its new parent 420804"])
        let good = "version: 1\nchanges:\n  - move: \"420802100\"\n    to: \"420804\"\n    as: \"420804150\"\n"
        #expect(Self.problems(good) == [])
    }
}
