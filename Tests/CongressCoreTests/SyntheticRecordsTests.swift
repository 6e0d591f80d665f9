import Foundation
import Testing

@testable import CongressCore

@Suite struct SyntheticRecordsTests {
    static let topology = try! TopologyLoader.load(
        contentsOf: Repository.root.appendingPathComponent("config/topology.yaml").path
    ).topology
    static let keys = PersonKeyDeriver(provinceKey: "test-province-key", rounds: 1)
    static let today = CalendarDate("2026-11-22")!

    static func records(_ node: String, seed: UInt64 = 1, shared: Double = 0.3) -> SyntheticRecords {
        SyntheticRecords(topology: topology, node: RegionCode(node)!, scale: .city, seed: seed, sharedPersons: shared, personKeys: keys, today: today)
    }

    @Test func seatsFollowTheElectoralLawFormulas() {
        #expect(SyntheticRecords.seats(.township, residents: 30_000) == 65)
        #expect(SyntheticRecords.seats(.township, residents: 900_000) == 160)
        #expect(SyntheticRecords.seats(.county, residents: 500_000) == 240)
        #expect(SyntheticRecords.seats(.city, residents: 3_000_000) == 360)
        #expect(SyntheticRecords.seats(.province, residents: 58_000_000) == 736)
    }

    @Test func theSameSeedGivesTheSameRecordsAndAnotherSeedOthers() {
        let once = Self.records("420802")
        let again = Self.records("420802")
        #expect(once.deputies.map(\.id) == again.deputies.map(\.id))
        #expect(once.deputies.map(\.body) == again.deputies.map(\.body))
        #expect(Self.records("420802", seed: 2).deputies.map(\.id) != once.deputies.map(\.id))
    }

    @Test func aNodeWritesItsOwnRegionsOnlyAndEveryRecordPassesItsChecks() throws {
        let county = Self.records("420802")
        // 龙泉街道 and 子陵铺镇 run nodes of their own: the county writes nothing there but its own congress's deputies living there.
        #expect(!county.units.contains { $0.body.code.rawValue.hasPrefix("420802001") || $0.body.code.rawValue.hasPrefix("420802100") })
        #expect(county.units.count == 4 * 21)
        // 泉口街道 (420802002) is a street: no congress, no seats (SPEC §3).
        #expect(Set(county.deputies.map(\.body.congressCode.rawValue)) == ["420802", "420802102", "420802104", "420802200"])
        for var deputy in county.deputies { _ = try deputy.body.validate(regionCode: deputy.regionCode, node: RegionCode("420802")!) }
        for var station in county.stations { _ = try station.body.validate(regionCode: station.regionCode, node: RegionCode("420802")!) }
        #expect(Set(county.stations.map(\.body.type)) == Set(Station.StationType.allCases))
        #expect(county.deputies.allSatisfy { $0.body.personKey?.count == 66 && $0.body.personKey?.hasPrefix("p2") == true })
        #expect(Self.records("4208").trainings.count == 1)
        #expect(county.trainings.isEmpty)
    }

    @Test func upperCongressesShareAPartOfTheirPersonsWithTheTownshipCongresses() {
        let township = Set(Self.records("420802100").deputies.compactMap(\.body.personKey))
        let county = Self.records("420802").deputies.filter { $0.body.level == .county && $0.regionCode!.rawValue.hasPrefix("420802100") }
        let shared = county.filter { township.contains($0.body.personKey!) }
        #expect(!shared.isEmpty && shared.count < county.count)
        #expect(Self.records("420802", shared: 0).deputies.filter { township.contains($0.body.personKey!) }.isEmpty)
    }
}
