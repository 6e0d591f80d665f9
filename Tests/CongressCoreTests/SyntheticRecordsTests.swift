import Foundation
import Testing

@testable import CongressCore

@Suite struct SyntheticRecordsTests {
    static let topology = try! TopologyLoader.load(
        contentsOf: Repository.root.appendingPathComponent("config/topology.yaml").path
    ).topology
    static let keys = PersonKeyDeriver(provinceKey: "test-province-key", rounds: 1)
    static let today = CalendarDate("2026-11-22")!

    static func records(
        _ node: String,
        seed: UInt64 = 1,
        shared: Double = 0.3,
        today: CalendarDate = today,
        activityYears: Int = 2
    ) -> SyntheticRecords {
        SyntheticRecords(
            topology: topology,
            node: RegionCode(node)!,
            scale: .city,
            seed: seed,
            sharedPersons: shared,
            personKeys: keys,
            today: today,
            activityYears: activityYears
        )
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
        #expect(once.groups.map(\.body) == again.groups.map(\.body) && once.activities.map(\.body) == again.activities.map(\.body))
        #expect(!once.activities.isEmpty && once.activities.map(\.id) == again.activities.map(\.id))
        // Records seeded before groups and activities existed keep their ids: those come from streams of their own.
        let without = Self.records("420802", activityYears: 0)
        #expect(without.activities.isEmpty && without.deputies.map(\.id) == once.deputies.map(\.id))
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

    /// Every running node's records of the example federation, as `congress demo` seeds them.
    static let federation = topology.runningNodes.map { (node: $0.code, records: records($0.code.rawValue)) }

    @Test func groupsAreShapedAsJinchengsWithInOfficeMembersOfTheirCongress() throws {
        let city = Self.records("4208")
        #expect(city.groups.count { $0.body.kind == .professional } == 6)
        // 荆门's 22 townships each have a geographic group of the city congress; 东宝区's six, one of the county's.
        #expect(city.groups.count { $0.body.kind == .geographic } == 22)
        #expect(Self.records("420802").groups.filter { $0.body.congressCode.rawValue == "420802" }.count == 6)
        for (node, records) in Self.federation {
            let inOffice = Dictionary(
                records.deputies.filter { $0.body.status == .inOffice }.map { ($0.id, $0.body.congressCode) },
                uniquingKeysWith: { first, _ in first }
            )
            var grouped = Set<UUID>()
            for var group in records.groups {
                let roles = group.body.members.map(\.role)
                #expect(roles.count { $0 == .leader } == 1 && roles.count { $0 == .liaison } == 1)
                #expect((1...2).contains(roles.count { $0 == .deputyLeader }))
                #expect(group.body.members.allSatisfy { inOffice[$0.deputyId] == group.body.congressCode })
                #expect(group.body.members.allSatisfy { grouped.insert($0.deputyId).inserted }, "a mandate is in one group at most")
                _ = try group.body.validate(regionCode: group.regionCode, node: node)
            }
        }
    }

    @Test func activitiesComeInTheSeedsProportionsAndPassTheirChecks() throws {
        var deputies = 0
        var participations: [Activity.Kind: Int] = [:]
        var counts: [Activity.Kind: Int] = [:]
        var meetings: [Int: [UUID: Int]] = [:]
        var groups: [UUID] = []
        for (node, records) in Self.federation {
            let inOffice = Set(records.deputies.filter { $0.body.status == .inOffice }.map(\.id))
            deputies += inOffice.count
            groups += records.groups.map(\.id)
            for var activity in records.activities {
                let body = activity.body
                #expect(body.participants.allSatisfy(inOffice.contains), "participants are in-office mandates this node owns")
                #expect(body.confirmed == false || body.on <= Self.today, "no confirmed activity in the future")
                if body.kind == .reception || body.kind == .visit { #expect((3...30).contains(body.constituentsMet ?? 0)) }
                if let group = body.groupId { meetings[body.on.year, default: [:]][group, default: 0] += 1 }
                if body.on.year == 2025 {
                    participations[body.kind, default: 0] += body.participants.count
                    counts[body.kind, default: 0] += 1
                }
                _ = try activity.body.validate(regionCode: activity.regionCode, node: node)
            }
        }
        // 荆门: about 8,200 participations a year for 5,200 deputies besides the session (2025, a whole year).
        let between = participations.filter { $0.key != .session }.map(\.value).reduce(0, +)
        let perDeputy = Double(between) / Double(deputies)
        #expect((1.45...1.75).contains(perDeputy), "\(perDeputy) participations a deputy in 2025")
        #expect(Double(participations[.session] ?? 0) / Double(deputies) > 0.95, "most deputies sit in their congress's session")
        let byCount = counts.sorted { $0.value > $1.value }.map(\.key)
        #expect(Set(byCount.prefix(2)) == [.reception, .visit])
        #expect((1...deputies / 20).contains(counts[.absence] ?? 0) && (1...20).contains(counts[.legislation] ?? 0))
        let all = Self.federation.flatMap(\.records.activities)
        let confirmed = Double(all.count { $0.body.confirmed == true }) / Double(all.count)
        #expect((0.85...0.91).contains(confirmed), "\(confirmed) confirmed")
        let short = all.filter { $0.body.kind != .session }
        #expect(Double(short.count { ($0.body.halfDays ?? 1) <= 2 }) / Double(short.count) > 0.99)
        #expect(all.filter { $0.body.kind == .reception }.allSatisfy { $0.body.stationId != nil }, "deputies receive constituents at a station")
        // 晋城's rule: most groups meet four times a year or more, a few do not, so the rule shows; 2026 up to 22 November.
        for year in [2025, 2026] {
            let meetingRule = groups.count { meetings[year]?[$0] ?? 0 >= DeputyGroup.activitiesExpectedPerYear }
            #expect((groups.count * 8 / 10..<groups.count).contains(meetingRule), "\(meetingRule) of \(groups.count) groups in \(year)")
        }
        #expect(all.allSatisfy { $0.body.on.year >= 2025 })
        print("synthetic federation, 2025: \(deputies) in-office deputies, \(between) participations besides the session", terminator: "")
        print(" (\(perDeputy) each), \(all.count) activities over two years, \(groups.count) groups, \(confirmed) confirmed")
    }
    /// Every case of the example federation with its events from every node, each checked by the workflow as written
    /// by its node, in its order; and the statuses they lead to, in 荆门's proportions.
    @Test func casesComeInJingmensProportionsAndEveryEventFollowsTheWorkflow() throws {
        var events: [UUID: [SyntheticCaseEvent]] = [:]
        for (_, records) in Self.federation {
            for event in records.caseEvents { events[event.record.body.caseId, default: []].append(event) }
        }
        var statuses: [(body: Case, status: CaseStatus)] = []
        for (node, records) in Self.federation {
            #expect(records.caseEventsAbove.allSatisfy { $0.writer == Self.topology.upstream(of: node)?.code })
            for record in records.cases {
                var body = record.body
                _ = try body.validate(regionCode: record.regionCode, node: node)
                let workflow = record.body.workflow(origin: node, deadlines: .standard)
                let own = (events.removeValue(forKey: record.id) ?? []).sorted { $0.position < $1.position }
                #expect(own.map(\.position) == Array(own.indices), "every event of the case, once, in its order")
                var steps: [CaseStep] = []
                for event in own {
                    var step = event.record.body.step(id: event.record.id, node: event.writer)
                    step.at = Timestamp(Date(timeIntervalSince1970: Double(event.position)))
                    try workflow.check(step, after: workflow.status(after: steps, today: Self.today))
                    var written = event.record.body
                    _ = try written.validate(regionCode: nil, node: event.writer)
                    #expect(step.on >= record.body.registeredOn! && step.on <= Self.today)
                    steps.append(step)
                }
                statuses.append((record.body, workflow.status(after: steps, today: Self.today)))
            }
        }
        #expect(events.isEmpty, "events of no case: \(events.keys)")

        let deputies = Self.federation.map { $0.records.deputies.count { $0.body.status == .inOffice } }.reduce(0, +)
        let opinions = statuses.filter { $0.body.kind == .opinion }
        // 荆门: 3,300 opinions a year for 5,200 deputies (2025, a whole year).
        let perDeputy = Double(opinions.count { $0.body.registeredOn!.year == 2025 }) / Double(deputies)
        #expect((0.5...0.7).contains(perDeputy), "\(perDeputy) opinions a deputy in 2025")
        let closed = Double(opinions.count { $0.status.state == .closed }) / Double(opinions.count)
        #expect((0.75...0.88).contains(closed), "\(closed) of the opinions closed")
        let endings = Set(opinions.compactMap(\.status.closedAs))
        #expect(endings == Set(CaseClosing.allCases))
        #expect(opinions.contains { $0.status.overdue && $0.status.supervised } && opinions.contains { $0.status.overdue && !$0.status.supervised })
        let transferred = opinions.filter { $0.status.transferredTo != nil }
        #expect(!transferred.isEmpty && transferred.contains { $0.status.state == .closed }, "handled where they were transferred")
        let channels = Dictionary(grouping: opinions, by: \.body.channel).mapValues(\.count).sorted { $0.value > $1.value }.map(\.key)
        #expect(Set(channels.prefix(3)) == [.qr, .reception, .visit])
        // Every feedback, the first on a reply and the one after reopening.
        let all = Self.federation.flatMap(\.records.caseEvents).map(\.record.body)
        let fedBack = all.compactMap(\.satisfaction)
        let satisfied = Double(fedBack.count { $0 != .unsatisfied }) / Double(fedBack.count)
        #expect((0.85...0.97).contains(satisfied), "\(satisfied) satisfied or basically")
        let reopened = all.count { $0.action == .reopen }
        #expect(reopened > 0 && reopened < fedBack.count / 8, "a few reopened after an unsatisfied feedback")
        #expect(opinions.allSatisfy { $0.body.category.map { category in CaseTopic.all.contains { $0.category == category } } == true })

        // A few suggestions per congress and year at its node, by its own deputies, graded, some consulted, some complex.
        let suggestions = statuses.filter { $0.body.kind == .suggestion }
        let congresses = Set(Self.federation.flatMap { $0.records.deputies.map(\.body.congressCode) })
        let atNodes = congresses.filter { Self.topology.node($0)?.url != nil }
        #expect(suggestions.count >= atNodes.count * 3 * 2)
        #expect(Set(suggestions.compactMap(\.status.grade)) == Set(SuggestionGrade.allCases))
        #expect(suggestions.contains { $0.status.consultedOn != nil } && suggestions.contains { $0.body.complex == true })
        print(
            "synthetic federation: \(deputies) in-office deputies, \(opinions.count) opinions over two years (\(perDeputy) each in 2025),",
            terminator: ""
        )
        print(" \(closed) closed, \(transferred.count) transferred up, \(suggestions.count) suggestions, \(satisfied) satisfied")
    }

    @Test func aLaterDayOnlyAddsCasesAndEvents() {
        let earlier = Self.records("420802100", today: CalendarDate("2026-06-30")!)
        let later = Self.records("420802100")
        let laterCases = Dictionary(uniqueKeysWithValues: later.cases.map { ($0.id, $0.body) })
        #expect(!earlier.cases.isEmpty && earlier.cases.count < later.cases.count)
        #expect(earlier.cases.allSatisfy { laterCases[$0.id] == $0.body })
        let laterEvents = Dictionary(uniqueKeysWithValues: (later.caseEvents + later.caseEventsAbove).map { ($0.record.id, $0) })
        #expect((earlier.caseEvents + earlier.caseEventsAbove).allSatisfy { laterEvents[$0.record.id]?.record.body == $0.record.body })
        // The county handles what the township transferred up: the same events, from its own generator.
        let county = Set(Self.records("420802").caseEvents.map(\.record.id))
        #expect(!later.caseEventsAbove.isEmpty && later.caseEventsAbove.allSatisfy { county.contains($0.record.id) })
    }
}
