import Foundation
import Testing

@testable import CongressCore

/// `congress topology import` on the official 2022 list (SPEC §3, §15): any province, and the whole country, load as
/// one topology with the official names and the real wrinkles.
@Suite struct DivisionListTests {
    static let directory = Repository.root.appendingPathComponent("data/divisions-2022").path

    @Test func theWholeCountryImportsAndPassesTheCheck() throws {
        let list = try DivisionList.read(directory: Self.directory)
        #expect(list.streets.count == 41_352)
        let imported = try list.topology(of: .nation, urls: [.province], source: "divisions-2022")
        // 金门县 350527000 is a placeholder whose code no region may have; every other township is in.
        #expect(imported.skipped == ["350527000 金门县: not a region code (its last segment is all zeros)"])
        let topology = try TopologyLoader.parse(imported.yaml, file: "cn.yaml").topology
        let counts = Dictionary(uniqueKeysWithValues: topology.countsByLevel)
        #expect(counts[.township] == 41_351)
        #expect(counts[.province] == 31)
        // Placeholder cities (市辖区, 县, 省直辖县级行政区划) are no cities: 342 listed, 9 placeholders.
        #expect(counts[.city] == 342 - 9)
        // Placeholder counties of cities without counties (441900, 442000, 460400) are no counties either.
        #expect(counts[.county] == 2_978 - 3)
        #expect(topology.runningNodes.count == 31)
        #expect(Dictionary(uniqueKeysWithValues: topology.withoutCongressByLevel)[.county] == 124)
    }

    @Test func theWrinklesLandWhereSPECSaysTheyDo() throws {
        let list = try DivisionList.read(directory: Self.directory)
        let guangdong = try TopologyLoader.parse(try list.topology(of: RegionCode("44")!, source: "2022").yaml, file: "44.yaml").topology
        // 东莞's townships sit directly under the city, with their official names.
        let dongcheng = try #require(guangdong.node(RegionCode("441900003")!))
        #expect(dongcheng.name == "东城街道")
        #expect(guangdong.parent(of: dongcheng.code)?.code == RegionCode("4419"))
        #expect(RegionCode("441900") == nil, "the placeholder county is no region")
        let hubei = try TopologyLoader.parse(try list.topology(of: RegionCode("42")!, source: "2022").yaml, file: "42.yaml").topology
        // 仙桃 is a province-direct county; the placeholder city 4290 is not in the tree.
        let xiantao = try #require(hubei.node(RegionCode("429004")!))
        #expect(xiantao.direct && xiantao.name == "仙桃市")
        #expect(hubei.parent(of: xiantao.code)?.code == RegionCode("42"))
        #expect(hubei.node(RegionCode("4290")!) == nil)
        let beijing = try TopologyLoader.parse(try list.topology(of: RegionCode("11")!, source: "2022").yaml, file: "11.yaml").topology
        #expect(beijing.node(RegionCode("110101")!)?.direct == true)
        #expect(beijing.countsByLevel.map(\.0) == [.province, .county, .township])
    }

    @Test func urlsGoToTheLevelsAsked() throws {
        let list = try DivisionList.read(directory: Self.directory)
        let imported = try list.topology(of: RegionCode("42")!, urls: [.province, .county], urlPattern: "http://{code}.example:8400", source: "2022")
        let topology = try TopologyLoader.parse(imported.yaml, file: "42.yaml").topology
        #expect(topology.node(RegionCode("420802")!)?.url == "http://420802.example:8400")
        #expect(topology.node(RegionCode("4208")!)?.url == nil)
        #expect(topology.runningNodes.count == 1 + (imported.counts[.county] ?? 0))
        #expect(throws: InputError.self) { try list.topology(of: RegionCode("4208")!, source: "2022") }
    }

    @Test func aMalformedListIsRefusedAtItsLine() {
        #expect(throws: ConfigFileError.self) {
            try DivisionList.parse(
                "code,name,areaCode\n110101001,\"东华门街道\",110101\n11010x002,\"景山\",110101\n",
                file: "s.csv",
                parentColumn: "areaCode"
            )
        }
        do {
            _ = try DivisionList.parse(
                "code,name,cityCode\n110101,\"东城区\",1101\n120101,\"和平区\",1101\n",
                file: "a.csv",
                parentColumn: "cityCode"
            )
        } catch {
            #expect(error.diagnostics.map(\.description) == ["a.csv:3:14: error: 120101 does not start with its parent's code 1101"])
        }
    }
}
