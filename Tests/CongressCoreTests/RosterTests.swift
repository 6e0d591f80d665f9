import Foundation
import Testing

@testable import CongressCore

@Suite struct RosterTests {
    static let main = UUID()
    static let county = UUID()
    static let township = UUID()

    static func training(mode: Training.Mode, main: Int = 2, county: Int = 1, township: Int = 1) -> Training {
        Training(
            title: "培训",
            startsOn: CalendarDate("2026-12-01")!,
            endsOn: CalendarDate("2026-12-01")!,
            mode: mode,
            audience: .init(levels: [.county, .township], regionPrefix: RegionCode("4208")!),
            venues: [
                .init(id: Self.main, kind: .main, regionCode: RegionCode("4208")!, name: "主会场", capacity: main),
                .init(id: Self.county, kind: .branch, regionCode: RegionCode("420802")!, name: "县分会场", capacity: county),
                .init(id: Self.township, kind: .branch, regionCode: RegionCode("420802001")!, name: "乡分会场", capacity: township),
            ]
        )
    }

    static func person(_ name: String, _ region: String, person: String? = nil) -> RosterCandidate {
        RosterCandidate(deputyId: UUID(), person: person ?? name, regionCode: RegionCode(region)!, name: name)
    }

    @Test func eachPersonOnceAtTheMostSpecificVenueThenUpTheTreeWhenFull() {
        let candidates = [
            Self.person("甲", "420802001001"), Self.person("乙", "420802001002"),
            Self.person("甲的县代表资格", "420802001", person: "甲"), Self.person("丙", "420802002"), Self.person("丁", "420804"),
        ]
        let roster = Roster.compute(for: Self.training(mode: .offline), candidates: candidates)
        #expect(roster.audience == 4)
        let venue = Dictionary(uniqueKeysWithValues: roster.entries.map { ($0.candidate.person, $0.venueId) })
        // 甲 is listed under the more specific of their mandates; the township venue has one seat (甲, first by region).
        #expect(venue["甲"] == Self.township)
        #expect(roster.entries.first { $0.candidate.person == "甲" }?.candidate.regionCode.rawValue == "420802001001")
        // 乙 overflows to the county venue; 丙 (county venue's own) finds it full and goes to the main venue with 丁.
        #expect(venue["乙"] == Self.county)
        #expect(venue["丙"] == Self.main)
        #expect(venue["丁"] == Self.main)
        #expect(roster.overflow.map(\.persons).reduce(0, +) == 2)
        #expect(roster.venues.map(\.expected) == [2, 1, 1])
        #expect(roster.unplaced == 0)
    }

    @Test func withoutSeatsAHybridTrainingGoesOnlineAndAnOfflineOneLeavesPersonsUnplaced() {
        let candidates = (0..<5).map { Self.person("代表\($0)", "420802001") }
        let hybrid = Roster.compute(for: Self.training(mode: .hybrid, main: 1), candidates: candidates)
        #expect(hybrid.entries.count { $0.online } == 2)
        #expect(hybrid.venues.map(\.online) == [0, 0, 2])
        #expect(hybrid.overflow.contains { $0.to == nil && $0.persons == 2 })
        let offline = Roster.compute(for: Self.training(mode: .offline, main: 1), candidates: candidates)
        #expect(offline.unplaced == 2)
        #expect(offline.entries.count { $0.venueId == nil } == 2)
        // Online: capacity does not bind; everyone is expected online at their own venue.
        let online = Roster.compute(for: Self.training(mode: .online, main: 1), candidates: candidates)
        #expect(online.venues.map(\.expected) == [0, 0, 5])
        #expect(online.overflow.isEmpty && online.unplaced == 0)
    }

    @Test func theSameInputGivesTheSameRoster() {
        let candidates = (0..<200).map { Self.person("代表\($0)", "4208020\(String(format: "%02d", $0 % 3 + 1))", person: "p\($0 % 150)") }
        let once = Roster.compute(for: Self.training(mode: .offline, main: 50, county: 40, township: 30), candidates: candidates)
        let again = Roster.compute(for: Self.training(mode: .offline, main: 50, county: 40, township: 30), candidates: candidates.reversed())
        #expect(once.entries == again.entries)
        #expect(once.audience == 150)
    }
}
