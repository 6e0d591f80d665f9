import Testing

@testable import CongressCore

/// The real tree's wrinkles (SPEC §3): cities without counties, and regions without a congress of their own.
@Suite struct RegionWrinkleTests {
    static func errors(_ yaml: String) -> [String] {
        do {
            _ = try TopologyLoader.parse(yaml, file: "t.yaml")
            return []
        } catch {
            return error.diagnostics.filter { $0.severity == .error }.map(\.description)
        }
    }

    static func city(_ code: String, _ children: String) -> String {
        """
        version: 1
        root:
          code: "44"
          name: 广东省
          level: province
          url: http://127.0.0.1:9000
          children:
            - code: "\(code)"
              name: 市
              level: city
              children:
        \(children)
        """
    }

    @Test func aCityWithoutCountiesHoldsItsTownshipsDirectly() throws {
        let dongguan = Self.city(
            "4419",
            """
                    - { code: "441900003", name: 东城街道, level: township }
                    - { code: "441900101", name: 石碣镇, level: township }
            """
        )
        #expect(Self.errors(dongguan) == [])
        let topology = try TopologyLoader.parse(dongguan, file: "t.yaml").topology
        #expect(topology.node(RegionCode("441900101")!) != nil)
        #expect(topology.withoutCongressByLevel.map { "\($0.0.rawValue) \($0.1)" } == ["township 1"])
    }

    @Test func aTownshipOfACityWithCountiesStillNeedsItsCounty() {
        let shenzhen = Self.city("4403", "            - { code: \"440303001\", name: 桂园街道, level: township }")
        #expect(
            Self.errors(shenzhen) == [
                "t.yaml:12:55: error: a township cannot sit directly under a city (expected a county); only a township of a city without "
                    + "counties (coded CCCC00NNN, as 东莞's 441900003) sits under its city"
            ]
        )
        let misplaced = Self.city(
            "4419",
            """
                    - code: "441901"
                      name: 某区
                      level: county
                      children:
                        - { code: "441900003", name: 东城街道, level: township }
            """
        )
        #expect(Self.errors(misplaced).contains { $0.contains("belongs to a city without counties") })
    }

    @Test func streetsUnitsAndZonesHaveNoCongress() {
        #expect(RegionCode("420802001")!.withoutCongress?.contains("street") == true)
        #expect(RegionCode("420802099")!.withoutCongress != nil)
        #expect(RegionCode("420802100")!.withoutCongress == nil, "a town (镇)")
        #expect(RegionCode("420802200")!.withoutCongress == nil, "a township (乡)")
        #expect(RegionCode("420802400")!.withoutCongress?.contains("400–599") == true)
        #expect(RegionCode("420802599")!.withoutCongress != nil)
        #expect(RegionCode("420802600")!.withoutCongress == nil)
        #expect(RegionCode("420871")!.withoutCongress?.contains("xxxx7x") == true)
        #expect(RegionCode("420802")!.withoutCongress == nil)
        #expect(RegionCode("4208")!.withoutCongress == nil)
    }
}
