#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One event of duty performance (履职活动) with the mandates that took part (SPEC §12).
public struct Activity: RecordBody {
    public static let kind = RecordKind.activity

    /// The longest text each field takes (characters, after trimming), and the bounds of the counts.
    public enum Limit {
        public static let title = 200
        public static let summary = 4_000
        public static let participants = 1...500
        public static let halfDays = 1...60
        public static let constituentsMet = 0...100_000
    }

    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// 出席人代会.
        case session
        /// 视察调研.
        case inspection
        /// 代表小组活动: names its group.
        case groupActivity = "group_activity"
        /// 代表接待日 / 接待选民.
        case reception
        /// 走访联系群众.
        case visit
        /// 学习培训.
        case study
        /// 立法征询.
        case legislation
        /// 请假: a rules file takes points away for it.
        case absence
        case other

        /// The label staff read in the forms and the dossier.
        public var label: String {
            switch self {
            case .session: "出席人代会"
            case .inspection: "视察调研"
            case .groupActivity: "代表小组活动"
            case .reception: "代表接待日/接待选民"
            case .visit: "走访联系群众"
            case .study: "学习培训"
            case .legislation: "立法征询"
            case .absence: "请假"
            case .other: "其他"
            }
        }
    }

    public var kind: Kind
    public var title: String
    public var on: CalendarDate
    /// Duration in half-days (default 1).
    public var halfDays: Int?
    public var stationId: UUID?
    public var groupId: UUID?
    /// The mandates that took part, each once.
    public var participants: [UUID]
    /// People received (接待选民).
    public var constituentsMet: Int?
    public var summary: String?
    /// Set by an editor of the recording node: only confirmed activities count (竹山 verifies reports before they count).
    public var confirmed: Bool?

    public init(
        kind: Kind,
        title: String,
        on: CalendarDate,
        halfDays: Int? = nil,
        stationId: UUID? = nil,
        groupId: UUID? = nil,
        participants: [UUID],
        constituentsMet: Int? = nil,
        summary: String? = nil,
        confirmed: Bool? = nil
    ) {
        self.kind = kind
        self.title = title
        self.on = on
        self.halfDays = halfDays
        self.stationId = stationId
        self.groupId = groupId
        self.participants = participants
        self.constituentsMet = constituentsMet
        self.summary = summary
        self.confirmed = confirmed
    }

    /// The day it is now where the congresses sit: a confirmed activity cannot lie after it.
    public static func today() -> CalendarDate { CalendarDate(Date(), timeZone: "Asia/Shanghai") }

    public mutating func validate(regionCode given: RegionCode?, node: RegionCode) throws(InputError) -> RegionCode? {
        let regionCode = try Check.required(given, field: "regionCode")
        try Check.inScope(regionCode, node: node, field: "regionCode")
        title = try Check.text(title, field: "title", maxLength: Limit.title)
        summary = try Check.optionalText(summary, field: "summary", maxLength: Limit.summary)
        halfDays = halfDays ?? 1
        if let halfDays, !Limit.halfDays.contains(halfDays) {
            throw InputError(field: "halfDays", message: "must be from \(Limit.halfDays.lowerBound) to \(Limit.halfDays.upperBound), is \(halfDays)")
        }
        constituentsMet = constituentsMet ?? 0
        if let constituentsMet, !Limit.constituentsMet.contains(constituentsMet) {
            throw InputError(field: "constituentsMet", message: "must be from 0 to \(Limit.constituentsMet.upperBound), is \(constituentsMet)")
        }
        confirmed = confirmed ?? false
        if confirmed == true, on > Self.today() {
            throw InputError(field: "on", message: "\(on) lies in the future: an activity is confirmed once it took place")
        }
        guard Limit.participants.contains(participants.count) else {
            throw InputError(
                field: "participants",
                message:
                    "name from \(Limit.participants.lowerBound) to \(Limit.participants.upperBound) participating deputies, not \(participants.count)"
            )
        }
        var seen = Set<UUID>()
        for (index, id) in participants.enumerated() where !seen.insert(id).inserted {
            throw InputError(field: "participants[\(index)]", message: "deputy \(id) is named twice")
        }
        if kind == .groupActivity, groupId == nil {
            throw InputError(field: "groupId", message: "a group activity names its group")
        }
        return regionCode
    }
}

/// A deputy group (代表小组) of one congress: 晋城 has 25 geographic and 6 professional groups, each with one leader, one
/// or two deputy leaders and a liaison.
public struct DeputyGroup: RecordBody {
    public static let kind = RecordKind.group

    public enum Limit {
        public static let name = 100
        public static let members = 1...500
    }

    public enum Kind: String, Codable, Sendable, CaseIterable {
        case geographic, professional

        public var label: String {
            switch self {
            case .geographic: "地域小组"
            case .professional: "专业小组"
            }
        }
    }

    public struct Member: Codable, Sendable, Equatable {
        public enum Role: String, Codable, Sendable, CaseIterable {
            case leader
            case deputyLeader = "deputy_leader"
            case liaison, member

            public var label: String {
                switch self {
                case .leader: "组长"
                case .deputyLeader: "副组长"
                case .liaison: "联络员"
                case .member: "组员"
                }
            }
        }

        public var deputyId: UUID
        public var role: Role

        public init(deputyId: UUID, role: Role) {
            self.deputyId = deputyId
            self.role = role
        }
    }

    /// A group meets at least this many times a year (晋城's rule), counted in coverage.
    public static let activitiesExpectedPerYear = 4

    public var name: String
    public var kind: Kind
    public var congressCode: RegionCode
    public var members: [Member]

    public init(name: String, kind: Kind, congressCode: RegionCode, members: [Member]) {
        self.name = name
        self.kind = kind
        self.congressCode = congressCode
        self.members = members
    }

    public mutating func validate(regionCode given: RegionCode?, node: RegionCode) throws(InputError) -> RegionCode? {
        let regionCode = try Check.required(given, field: "regionCode")
        try Check.inScope(regionCode, node: node, field: "regionCode")
        try Check.inScope(congressCode, node: node, field: "congressCode")
        guard congressCode.contains(regionCode) else {
            throw InputError(field: "regionCode", message: "\(regionCode) lies outside the group's congress \(congressCode)")
        }
        name = try Check.text(name, field: "name", maxLength: Limit.name)
        guard Limit.members.contains(members.count) else {
            throw InputError(
                field: "members",
                message: "name from \(Limit.members.lowerBound) to \(Limit.members.upperBound) members, not \(members.count)"
            )
        }
        var seen = Set<UUID>()
        for (index, member) in members.enumerated() where !seen.insert(member.deputyId).inserted {
            throw InputError(field: "members[\(index)].deputyId", message: "deputy \(member.deputyId) is named twice")
        }
        let leaders = members.count { $0.role == .leader }
        guard leaders <= 1 else { throw InputError(field: "members", message: "a group has at most one leader, this one has \(leaders)") }
        return regionCode
    }
}
