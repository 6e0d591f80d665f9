#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A deterministic random source (SplitMix64): the same seed gives the same records on every machine.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// Seeded from text, with a hash that is the same in every process (FNV-1a), unlike `hashValue`.
    public init(_ parts: String...) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in parts.joined(separator: "|").utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        state = hash
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func uuid() -> UUID {
        let (a, b) = (next(), next())
        var bytes = (0..<8).map { UInt8(truncatingIfNeeded: a >> ($0 * 8)) } + (0..<8).map { UInt8(truncatingIfNeeded: b >> ($0 * 8)) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10], bytes[11], bytes[12],
                bytes[13], bytes[14], bytes[15]
            )
        )
    }
}

/// One generated record: what a node writes, as if entered through its API.
public struct SyntheticRecord<Body: RecordBody>: Sendable {
    public var id: UUID
    public var regionCode: RegionCode?
    public var body: Body
}

/// Realistic records for the regions one node writes (its own and those of townships without a node): villages,
/// stations of every type with the six standards partly met, deputies with seats from the Electoral Law's formulas
/// (a share of persons holding mandates at two or three levels), assignments, a training at upper nodes, and each
/// congress's deputy groups and activities of this year and the years before (SyntheticDutyRecords.swift), and its
/// cases of last year and this one (SyntheticCases.swift).
/// Everything derives from the seed and the region codes, so nodes seeded apart agree on shared persons and a second
/// run writes the same records again. No ID numbers: persons are keyed by the province key over a synthetic name.
public struct SyntheticRecords: Sendable {
    public enum Scale: String, Sendable, CaseIterable {
        case small, city, province

        /// Residents of an average township; the seat formulas follow from them.
        var residentsPerTownship: Int {
            switch self {
            case .small: 6_000
            case .city: 30_000
            case .province: 45_000
            }
        }

        var villagesPerTownship: Int { self == .small ? 6 : 21 }
    }

    public var units: [SyntheticRecord<Unit>] = []
    public var stations: [SyntheticRecord<Station>] = []
    public var deputies: [SyntheticRecord<Deputy>] = []
    public var assignments: [SyntheticRecord<Assignment>] = []
    public var trainings: [SyntheticRecord<Training>] = []
    public var groups: [SyntheticRecord<DeputyGroup>] = []
    public var activities: [SyntheticRecord<Activity>] = []
    public var cases: [SyntheticRecord<Case>] = []
    /// The case events this node writes: on its own cases, and its handling of the opinions its townships' nodes
    /// transferred up to it (SyntheticCases.swift).
    public var caseEvents: [SyntheticCaseEvent] = []
    /// The events the node above writes on this node's opinions transferred up to it.
    public var caseEventsAbove: [SyntheticCaseEvent] = []

    /// Seats per congress (Electoral Law art. 12, simplified): base + 1 per so many residents, capped.
    public static func seats(_ level: Level, residents: Int) -> Int {
        switch level {
        case .township: min(160, 45 + residents / 1_500)
        case .county: min(450, 140 + residents / 5_000)
        case .city: min(650, 240 + residents / 25_000)
        case .province: min(1_000, 350 + residents / 150_000)
        case .national: max(1, residents / 700_000)
        }
    }

    public init(
        topology: Topology,
        node: RegionCode,
        scale: Scale,
        seed: UInt64,
        sharedPersons: Double,
        personKeys: PersonKeyDeriver,
        today: CalendarDate,
        activityYears: Int = 2
    ) {
        guard let top = topology.node(node) else { return }
        let regions = top.allNodes.filter { region in (region.url != nil ? region.code : topology.upstream(of: region.code)?.code) == node }
        func townships(under region: TopologyNode) -> [TopologyNode] { region.allNodes.filter { $0.level == .township } }
        /// The same for every node: residents depend on the seed and the code alone.
        func residents(_ township: RegionCode) -> Int {
            var random = SeededRandom("\(seed)", "residents", township.rawValue)
            return scale.residentsPerTownship * Int.random(in: 70...130, using: &random) / 100
        }
        func villages(_ township: RegionCode) -> [RegionCode] {
            (1...scale.villagesPerTownship).map { RegionCode(township.rawValue + String(format: "%03d", $0))! }
        }
        func personKey(_ name: String) -> String { personKeys.syntheticKey("synthetic-\(seed)-\(name)") }
        // A confirmed activity cannot lie after the day it is now where the congresses sit (Activity.validate).
        let cutoff = min(today, Activity.today())

        for region in regions {
            var random = SeededRandom("\(seed)", "records", region.code.rawValue)
            let levelTownships = region.level == .township ? [region] : townships(under: region)
            let population = levelTownships.map { residents($0.code) }.reduce(0, +)

            // Villages and the stations of a township this node writes for.
            var localStations: [(id: UUID, township: RegionCode)] = []
            if region.level == .township {
                let codes = villages(region.code)
                for (index, code) in codes.enumerated() {
                    let community = index < 2
                    units.append(
                        SyntheticRecord(
                            id: random.uuid(),
                            regionCode: code,
                            body: Unit(
                                code: code,
                                name: community
                                    ? "\(Self.villageNames[index % Self.villageNames.count])社区"
                                    : "\(Self.villageNames[index % Self.villageNames.count])村",
                                urbanRuralClass: community ? "111" : "220"
                            )
                        )
                    )
                }
                let half = codes.count / 2
                let home = Self.station(
                    "\(region.name)人大代表之家",
                    .home,
                    region.code,
                    covering: Array(codes[..<half]),
                    met: 0.8,
                    &random
                )
                let station = Self.station(
                    "\(region.name)人大代表联络站",
                    .station,
                    region.code,
                    covering: Array(codes[half...].prefix(max(1, (codes.count - half) * 3 / 4))),
                    met: 0.7,
                    &random
                )
                stations += [home, station]
                localStations += [(home.id, region.code), (station.id, region.code)]
                for code in codes.enumerated().filter({ $0.offset % 3 == 2 }).map(\.element) {
                    stations.append(
                        Self.station("\(region.name)\(code.rawValue.suffix(3))代表联系点", .contactPoint, code, covering: [code], met: 0.5, &random)
                    )
                }
            } else {
                // Services of an upper congress: a service centre, an online station and one for an industry.
                let centre = Self.station("\(region.name)人大代表联络服务中心", .centre, region.code, covering: [], met: 0.9, &random)
                stations += [
                    centre, Self.station("\(region.name)网上代表联络站", .online, region.code, covering: [], met: 0.6, &random),
                    Self.station("\(region.name)园区行业代表联络站", .industry, region.code, covering: [], met: 0.5, &random),
                ]
                localStations.append((centre.id, region.code))
            }

            // The congress of this region: seats spread over its townships by population; some persons also sit in
            // the congress below (two or three levels).
            // Streets, units 400–599 and xxxx7x zones have no congress (SPEC §3): their stations serve the others'.
            guard region.level != .national, region.code.withoutCongress == nil, !levelTownships.isEmpty else { continue }
            let seats = Self.seats(region.level, residents: population)
            var placed: [(deputy: UUID, township: RegionCode)] = []
            for index in 0..<seats {
                let township = levelTownships[index % levelTownships.count]
                let shared = region.level != .township && Double.random(in: 0..<1, using: &random) < sharedPersons
                // A shared person is one of the township congress's own deputies (indices below its seat count).
                let townshipSeats = Self.seats(.township, residents: residents(township.code))
                let person = shared ? "\(township.code):\(Int.random(in: 0..<townshipSeats, using: &random))" : "\(region.code):\(index)"
                var name = random.nextName()
                if shared {
                    var named = SeededRandom("\(seed)", "name", person)
                    name = named.nextName()
                }
                if region.level == .township {
                    var named = SeededRandom("\(seed)", "name", person)
                    name = named.nextName()
                }
                let home = villages(township.code).randomElement(using: &random)!
                let deputy = Deputy(
                    name: name,
                    gender: Bool.random(using: &random) ? .male : .female,
                    ethnicity: Int.random(in: 0..<10, using: &random) == 0 ? "土家族" : "汉族",
                    birthMonth: YearMonth(
                        "\(Int.random(in: 1955...1995, using: &random))-\(String(format: "%02d", Int.random(in: 1...12, using: &random)))"
                    ),
                    party: ["中共党员", "中共党员", "群众", "民盟盟员", "无党派人士"].randomElement(using: &random),
                    occupation: Self.occupations.randomElement(using: &random),
                    level: region.level,
                    congressCode: region.code,
                    term: region.level == .township || region.level == .county ? 18 : 14,
                    constituency: "第\(index % 40 + 1)选区",
                    delegation: nil,
                    status: Int.random(in: 0..<40, using: &random) == 0 ? .resigned : .inOffice,
                    phone: "138****\(String(format: "%04d", Int.random(in: 0..<10_000, using: &random)))",
                    personKey: personKey(person)
                )
                let id = random.uuid()
                deputies.append(SyntheticRecord(id: id, regionCode: home, body: deputy))
                placed.append((id, township.code))
            }

            // About six in ten deputies are assigned to a station this node holds, in their township when it can.
            var assigned: [UUID: (id: UUID, region: RegionCode)] = [:]
            for (deputy, township) in placed where Double.random(in: 0..<1, using: &random) < 0.6 {
                guard let station = localStations.first(where: { $0.township == township }) ?? localStations.first else { continue }
                assigned[deputy] = (station.id, station.township)
                assignments.append(
                    SyntheticRecord(
                        id: random.uuid(),
                        regionCode: nil,
                        body: Assignment(
                            deputyId: deputy,
                            stationId: station.id,
                            role: Bool.random(using: &random) ? .resident : .rotating,
                            since: CalendarDate("2022-01-01"),
                            until: nil
                        )
                    )
                )
            }

            // An upper node plans a training for the next days with a branch venue at every node below it, so that
            // each can sign in its own deputies.
            if region.code == node, region.level == .city || region.level == .province {
                let branches = top.allNodes.dropFirst().filter { $0.url != nil }.map {
                    Training.Venue(kind: .branch, regionCode: $0.code, name: "\($0.name)分会场", capacity: 300)
                }
                var training = Training(
                    title: "\(region.name)人大代表履职能力提升培训",
                    startsOn: today,
                    endsOn: today.adding(days: 1),
                    mode: .hybrid,
                    audience: .init(levels: [.county, .township], regionPrefix: node),
                    venues: [Training.Venue(kind: .main, regionCode: node, name: "\(region.name)人大常委会主会场", capacity: 500)] + branches
                )
                for index in training.venues.indices { training.venues[index].id = random.uuid() }
                trainings.append(SyntheticRecord(id: random.uuid(), regionCode: nil, body: training))
            }

            // Groups and activities name in-office mandates only; one not assigned works at its township's station.
            let mandates = zip(placed, deputies.suffix(placed.count)).compactMap { place, record -> SyntheticMandate? in
                guard record.body.status == .inOffice, let home = record.regionCode else { return nil }
                let local = localStations.first { $0.township == place.township }.map { (id: $0.id, region: $0.township) }
                return SyntheticMandate(id: place.deputy, township: place.township, home: home, station: assigned[place.deputy] ?? local)
            }
            appendDutyRecords(
                congress: region,
                townships: levelTownships,
                mandates: mandates,
                centre: localStations.first { $0.township == region.code }.map { (id: $0.id, region: $0.township) },
                seed: seed,
                years: (0..<max(0, activityYears)).map { cutoff.year - $0 }.reversed(),
                cutoff: cutoff
            )
            appendCases(
                congress: region,
                node: top,
                above: top.level == .township ? topology.upstream(of: node) : nil,
                townships: levelTownships,
                mandates: mandates,
                seed: seed,
                years: [cutoff.year - 1, cutoff.year],
                cutoff: cutoff
            )
        }
        // What this node's townships' nodes transferred up, it handles: their generators say how, from the same seed.
        for child in topology.runningNodes where child.level == .township && topology.upstream(of: child.code)?.code == node {
            caseEvents +=
                SyntheticRecords(
                    topology: topology,
                    node: child.code,
                    scale: scale,
                    seed: seed,
                    sharedPersons: sharedPersons,
                    personKeys: personKeys,
                    today: today,
                    activityYears: 0
                ).caseEventsAbove
        }
    }

    private static func station(
        _ name: String,
        _ type: Station.StationType,
        _ region: RegionCode,
        covering: [RegionCode],
        met share: Double,
        _ random: inout SeededRandom
    ) -> SyntheticRecord<Station> {
        // Most stations meet all six standards or miss one or two: the standards come together, not one by one.
        let complete = Double.random(in: 0..<1, using: &random) < share
        let missing = complete ? [] : Set((0..<Int.random(in: 1...2, using: &random)).map { _ in Int.random(in: 0..<6, using: &random) })
        func met(_ index: Int) -> Bool { !missing.contains(index) }
        let station = Station(
            name: name,
            type: type,
            address: "\(name)所在地",
            coveredUnits: covering,
            staff: [.init(role: .head, name: random.nextName()), .init(role: .liaison, name: random.nextName())],
            standards: .init(site: met(0), staff: met(1), rules: met(2), activities: met(3), funds: met(4), equipment: met(5)),
            status: Int.random(in: 0..<20, using: &random) == 0 ? .suspended : .active,
            openedOn: CalendarDate("2021-0\(Int.random(in: 1...9, using: &random))-01"),
            closedOn: nil
        )
        return SyntheticRecord(id: random.uuid(), regionCode: region, body: station)
    }

    static let villageNames = [
        "龙泉", "月亮湖", "望兵石", "杨家", "白庙", "双喜", "石桥", "新桥", "李集", "周湾", "高岭", "红旗", "长林", "泉水", "官垱", "彭墩", "联合", "团结", "复兴", "和平", "光明",
    ]
    static let occupations = ["农民", "工人", "专业技术人员", "企业负责人", "党政干部", "教师", "医务人员", "个体工商户", "村（社区）干部"]
}

extension SeededRandom {
    private static let surnames = Array("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文")
    private static let given = Array("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕玉兰红梅春梅新华德明丹玲")

    /// A plausible Chinese name: a common surname and one or two given characters.
    mutating func nextName() -> String {
        var name = String(Self.surnames.randomElement(using: &self)!)
        for _ in 0..<Int.random(in: 1...2, using: &self) { name.append(Self.given.randomElement(using: &self)!) }
        return name
    }
}
