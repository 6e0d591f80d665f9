#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An in-office mandate of a congress as the duty-record generator sees it: where it lives and the station it works
/// at, if this node holds one.
struct SyntheticMandate: Sendable {
    var id: UUID
    var township: RegionCode
    var home: RegionCode
    var station: (id: UUID, region: RegionCode)?
}

/// Deputy groups and a year's activities of one congress (SPEC §12), in the seeds' proportions: 晋城's groups (25
/// geographic and 6 professional at the city, one per township at a county; a leader, one or two deputy leaders and a
/// liaison each), and 荆门's volume (about 8,200 participations a year for 5,200 deputies of five levels, ≈1.6 each
/// outside the session) with receptions and visits the most common, each group meeting four times or more in most
/// cases, a session once a year with a few deputies on leave, and about 87 % of the records confirmed.
extension SyntheticRecords {
    /// Participations a deputy of this level takes part in a year outside the session, group meetings included; a
    /// township congress has most of 荆门's deputies and no groups, so the average over the levels comes to ≈1.6.
    static func participationsPerYear(_ level: Level) -> Double {
        switch level {
        case .province: 1.1
        case .city: 2.3
        case .county: 1.8
        case .township, .national: 1.3
        }
    }

    /// Share of the records an editor has confirmed, sessions and leave aside (always confirmed): the rest wait for verification (竹山).
    static let confirmedShare = 0.86
    static let geographicGroupsAtCity = 25
    static let professionalGroups = ["经济工作", "农业农村", "教科文卫", "法治建设", "社会建设", "生态环境"]

    /// Appends the congress's groups, then its activities for each year up to `cutoff` (none after it: a re-run on a
    /// later day adds the days between, and changes nothing already written). Streams of their own, so the records
    /// seeded before groups and activities existed keep their ids.
    mutating func appendDutyRecords(
        congress: TopologyNode,
        townships: [TopologyNode],
        mandates: [SyntheticMandate],
        centre: (id: UUID, region: RegionCode)?,
        seed: UInt64,
        years: [Int],
        cutoff: CalendarDate
    ) {
        guard !mandates.isEmpty else { return }
        var random = SeededRandom("\(seed)", "groups", congress.code.rawValue)
        let groups = Self.groups(of: congress, townships: townships, mandates: mandates, &random)
        self.groups += groups.map(\.record)
        for year in years {
            var random = SeededRandom("\(seed)", "activities", congress.code.rawValue, "\(year)")
            var generator = ActivityGenerator(congress: congress, year: year, centre: centre)
            generator.session(mandates, &random)
            let atSession = generator.participations
            generator.groupMeetings(groups, &random)
            let grouped = generator.participations - atSession
            let budget = Self.participationsPerYear(congress.level) * Double(mandates.count)
            generator.fill(mandates, participations: max(budget - Double(grouped), 0.4 * Double(mandates.count)), &random)
            activities += generator.activities.filter { $0.body.on <= cutoff }
        }
    }

    /// The congress's groups with their members' mandates: geographic ones over contiguous runs of its townships (one
    /// township each where there are few), professional ones at a city from a fifth of its deputies. A mandate is in
    /// one group at most; a run with too few deputies for the four roles forms none.
    private static func groups(
        of congress: TopologyNode,
        townships: [TopologyNode],
        mandates: [SyntheticMandate],
        _ random: inout SeededRandom
    ) -> [(record: SyntheticRecord<DeputyGroup>, members: [SyntheticMandate])] {
        guard congress.level == .city || congress.level == .county else { return [] }
        var geographic = mandates
        var groups: [(record: SyntheticRecord<DeputyGroup>, members: [SyntheticMandate])] = []
        func add(_ name: String, _ kind: DeputyGroup.Kind, _ region: RegionCode, _ members: [SyntheticMandate]) {
            guard members.count >= 4 else { return }
            let members = members.shuffled(using: &random)
            let deputyLeaders = members.count >= 8 && Bool.random(using: &random) ? 2 : 1
            let roles: [DeputyGroup.Member.Role] = [.leader] + Array(repeating: .deputyLeader, count: deputyLeaders) + [.liaison]
            let group = DeputyGroup(
                name: name,
                kind: kind,
                congressCode: congress.code,
                members: members.enumerated().map { DeputyGroup.Member(deputyId: $1.id, role: $0 < roles.count ? roles[$0] : .member) }
            )
            groups.append((SyntheticRecord(id: random.uuid(), regionCode: region, body: group), members))
        }
        if congress.level == .city {
            let professional = Set(mandates.filter { _ in Int.random(in: 0..<5, using: &random) == 0 }.map(\.id))
            geographic.removeAll { professional.contains($0.id) }
            let members = mandates.filter { professional.contains($0.id) }
            for (index, field) in professionalGroups.enumerated() {
                let share = members.enumerated().filter { $0.offset % professionalGroups.count == index }.map(\.element)
                add("\(congress.name)人大\(field)代表小组", .professional, congress.code, share)
            }
        }
        let count = congress.level == .city ? min(geographicGroupsAtCity, townships.count) : townships.count
        for index in 0..<count {
            let run = Array(townships[index * townships.count / count..<(index + 1) * townships.count / count])
            let codes = Set(run.map(\.code))
            // A group lies in its township, or in the county its townships share, or else in the whole congress.
            let counties = Set(run.map { String($0.code.rawValue.prefix(6)) })
            var region = congress.code
            if run.count == 1 {
                region = run[0].code
            } else if congress.level == .city, counties.count == 1, let county = counties.first.flatMap(RegionCode.init) {
                region = county
            }
            add(
                run.count == 1 ? "\(run[0].name)代表小组" : "\(run[0].name)片区代表小组",
                .geographic,
                region,
                geographic.filter { codes.contains($0.township) }
            )
        }
        return groups
    }
}

/// A year's activities of one congress, drawn in order: the session, the groups' meetings, then the rest.
private struct ActivityGenerator {
    let congress: TopologyNode
    let year: Int
    let centre: (id: UUID, region: RegionCode)?
    var activities: [SyntheticRecord<Activity>] = []

    init(congress: TopologyNode, year: Int, centre: (id: UUID, region: RegionCode)?) {
        self.congress = congress
        self.year = year
        self.centre = centre
    }

    var participations: Int { activities.map(\.body.participants.count).reduce(0, +) }

    /// A day of the year, from `first` to `last` (days counted from 1 January).
    func day(_ range: ClosedRange<Int>, _ random: inout SeededRandom) -> CalendarDate {
        CalendarDate("\(year)-01-01")!.adding(days: Int.random(in: range, using: &random))
    }

    mutating func append(
        _ kind: Activity.Kind,
        _ title: String,
        on: CalendarDate,
        halfDays: Int = 1,
        region: RegionCode,
        station: UUID? = nil,
        group: UUID? = nil,
        participants: [UUID],
        constituents: Int? = nil,
        summary: String? = nil,
        confirmed: Bool,
        _ random: inout SeededRandom
    ) {
        let activity = Activity(
            kind: kind,
            title: title,
            on: on,
            halfDays: halfDays,
            stationId: station,
            groupId: group,
            participants: participants,
            constituentsMet: constituents,
            summary: summary,
            confirmed: confirmed
        )
        activities.append(SyntheticRecord(id: random.uuid(), regionCode: region, body: activity))
    }

    /// The congress's yearly session, early in the year, recorded by its standing committee (confirmed). About one
    /// deputy in thirty takes leave for a half-day or a day: one who misses the whole session is not a participant.
    mutating func session(_ mandates: [SyntheticMandate], _ random: inout SeededRandom) {
        let halfDays: Int
        switch congress.level {
        case .province: halfDays = 10
        case .city: halfDays = 8
        case .county: halfDays = 6
        case .township, .national: halfDays = 2
        }
        let on = day(congress.level == .township ? 4...78 : 4...55, &random)
        var present: [UUID] = []
        for mandate in mandates {
            guard Int.random(in: 0..<30, using: &random) == 0 else {
                present.append(mandate.id)
                continue
            }
            let away = Int.random(in: 1...2, using: &random)
            if away < halfDays { present.append(mandate.id) }
            append(
                .absence,
                "请假：\(congress.name)人民代表大会\(year)年会议",
                on: on,
                halfDays: away,
                region: congress.code,
                participants: [mandate.id],
                summary: away == 1 ? "请假半天" : "请假一天",
                confirmed: true,
                &random
            )
        }
        // One record holds at most Activity.Limit.participants deputies: a larger congress is recorded by delegation.
        let size = Activity.Limit.participants.upperBound
        for start in stride(from: 0, to: present.count, by: size) {
            let part = present.count > size ? "（第\(start / size + 1)部分）" : ""
            append(
                .session,
                "出席\(congress.name)人民代表大会\(year)年会议\(part)",
                on: on,
                halfDays: halfDays,
                region: congress.code,
                participants: Array(present[start..<min(start + size, present.count)]),
                confirmed: true,
                &random
            )
        }
    }

    /// Each group meets four to six times a year, once in each part of it (one in ten two or three times, so the
    /// ≥4 rule shows on the dashboard); the leader and the liaison always come, a quarter of the others each time.
    mutating func groupMeetings(_ groups: [(record: SyntheticRecord<DeputyGroup>, members: [SyntheticMandate])], _ random: inout SeededRandom) {
        for (group, members) in groups {
            let meetings = Int.random(in: 0..<10, using: &random) == 0 ? Int.random(in: 2...3, using: &random) : Int.random(in: 4...6, using: &random)
            // Meetings run from mid-January to mid-November, so the year's count is complete before the year is.
            let (start, span) = (10, 308)
            for meeting in 0..<meetings {
                let on = day(start + meeting * span / meetings...start + (meeting + 1) * span / meetings - 1, &random)
                let attending = group.body.members.filter { member in
                    member.role == .leader || member.role == .liaison || Int.random(in: 0..<4, using: &random) == 0
                }
                let topic = Self.groupTopics.randomElement(using: &random)!
                append(
                    .groupActivity,
                    "\(group.body.name)\(topic)",
                    on: on,
                    halfDays: Int.random(in: 0..<4, using: &random) == 0 ? 2 : 1,
                    region: group.regionCode ?? congress.code,
                    station: members.first(where: { $0.station != nil })?.station?.id,
                    group: group.id,
                    participants: attending.map(\.deputyId),
                    confirmed: Double.random(in: 0..<1, using: &random) < SyntheticRecords.confirmedShare,
                    &random
                )
            }
        }
    }

    /// Receptions and visits (most of the records), inspections, study, legislative consultation (where the
    /// congress makes local law) and other duties, until the congress's deputies reach `participations`.
    mutating func fill(_ mandates: [SyntheticMandate], participations target: Double, _ random: inout SeededRandom) {
        let legislates = congress.level == .city || congress.level == .province
        let weights: [(kind: Activity.Kind, weight: Int)] = [
            (.reception, 30), (.visit, 28), (.inspection, 6), (.study, 3), (.legislation, legislates ? 2 : 0), (.other, 4),
        ]
        let total = weights.map(\.weight).reduce(0, +)
        var reached = 0
        while Double(reached) < target {
            var pick = Int.random(in: 0..<total, using: &random)
            let kind = weights.first {
                pick -= $0.weight
                return pick < 0
            }!.kind
            let first = mandates.randomElement(using: &random)!
            // Everything happens after the session and before the year ends.
            let on = day(40...364, &random)
            let confirmed = Double.random(in: 0..<1, using: &random) < SyntheticRecords.confirmedShare
            func others(_ count: ClosedRange<Int>, near: ((SyntheticMandate) -> Bool)? = nil) -> [UUID] {
                let wanted = min(Int.random(in: count, using: &random), mandates.count) - 1
                let pool = mandates.filter { $0.id != first.id && (near?($0) ?? true) }
                return [first.id] + pool.shuffled(using: &random).prefix(wanted).map(\.id)
            }
            switch kind {
            case .reception:
                // At the first deputy's station with those who work there, or at the congress's centre.
                let station = first.station ?? centre
                let met = Int.random(in: 3...30, using: &random)
                append(
                    .reception,
                    "\(on.month)月代表接待选民日",
                    on: on,
                    region: station?.region ?? first.township,
                    station: station?.id,
                    participants: others(1...3) { $0.station?.id == first.station?.id },
                    constituents: met,
                    summary: "接待选民\(met)人次，收集意见建议\(Int.random(in: 0...(met / 3), using: &random))条",
                    confirmed: confirmed,
                    &random
                )
            case .visit:
                append(
                    .visit,
                    "走访联系选民",
                    on: on,
                    halfDays: Int.random(in: 0..<5, using: &random) == 0 ? 2 : 1,
                    region: first.home,
                    participants: others(1...2) { $0.home == first.home },
                    constituents: Int.random(in: 3...30, using: &random),
                    confirmed: confirmed,
                    &random
                )
            case .inspection:
                append(
                    .inspection,
                    Self.inspectionTopics.randomElement(using: &random)!,
                    on: on,
                    halfDays: Int.random(in: 1...2, using: &random),
                    region: first.township,
                    participants: others(4...10),
                    confirmed: confirmed,
                    &random
                )
            case .study:
                append(
                    .study,
                    Self.studyTopics.randomElement(using: &random)!,
                    on: on,
                    halfDays: Int.random(in: 1...2, using: &random),
                    region: congress.code,
                    station: centre?.id,
                    participants: others(6...20),
                    confirmed: confirmed,
                    &random
                )
            case .legislation:
                append(
                    .legislation,
                    "\(congress.name)地方性法规草案立法征询",
                    on: on,
                    region: congress.code,
                    participants: others(3...8),
                    confirmed: confirmed,
                    &random
                )
            case .session, .groupActivity, .absence, .other:
                append(
                    .other,
                    ["列席人大常委会会议", "参加执法检查", "参与信访接待"].randomElement(using: &random)!,
                    on: on,
                    region: first.township,
                    participants: others(1...3),
                    confirmed: confirmed,
                    &random
                )
            }
            reached += activities.last!.body.participants.count
        }
    }

    static let groupTopics = ["季度集中活动", "专题调研", "联系选民活动", "学习交流会", "视察活动"]
    static let inspectionTopics = [
        "视察农村人居环境整治", "调研优化营商环境", "视察义务教育均衡发展", "调研基层医疗卫生服务", "视察河湖长制落实", "调研乡村振兴产业发展",
    ]
    static let studyTopics = ["代表履职能力学习培训", "《代表法》专题学习", "代表建议办理工作培训", "基层治理专题讲座"]
}
