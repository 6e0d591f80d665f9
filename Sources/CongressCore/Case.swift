#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A case (SPEC §13): a constituent's opinion or a deputy's suggestion, as registered. Its state follows from its
/// events (`CaseEvent`, `CaseWorkflow`). The constituent's name and phone are never part of it: they stay, encrypted,
/// at the node that received them. Going up the tree a case leaves its subject and text behind (upper nodes count it);
/// the text reaches a node an opinion is transferred to inside the transfer event.
public struct Case: RecordBody {
    public static let kind = RecordKind.caseRecord

    public enum Limit {
        public static let subject = 200
        public static let content = 4_000
        public static let category = 50
        public static let deputies = 0...50
    }

    /// The categories a contact page offers (荆门's and 钱坑镇's registers sort opinions so); staff may write others.
    public static let commonCategories = ["交通出行", "教育", "医疗卫生", "环境整治", "社会保障", "农业农村", "城市管理", "就业创业", "住房", "其他"]

    public enum Channel: String, Codable, Sendable, CaseIterable {
        /// A contact page (码上约代表).
        case qr
        /// A reception day (接待日).
        case reception
        /// A deputy's visit (走访).
        case visit
        /// An online station.
        case onlineStation = "online_station"
        /// At a congress session (suggestions).
        case session
    }

    public var kind: CaseKind
    public var channel: Channel
    /// Nil above the registering node (left behind on the way up).
    public var subject: String?
    public var content: String?
    public var category: String?
    /// The receiving deputy of an opinion (or none); a suggestion's lead deputy first, then the co-signers.
    public var deputyIds: [UUID]
    public var stationId: UUID?
    public var wantsMeeting: Bool?
    /// A suggestion 涉及面广、处理难度大: six months instead of three.
    public var complex: Bool?
    /// Set by the node to the day it registered the case.
    public var registeredOn: CalendarDate?

    public init(
        kind: CaseKind,
        channel: Channel,
        subject: String?,
        content: String?,
        category: String? = nil,
        deputyIds: [UUID] = [],
        stationId: UUID? = nil,
        wantsMeeting: Bool? = nil,
        complex: Bool? = nil,
        registeredOn: CalendarDate? = nil
    ) {
        self.kind = kind
        self.channel = channel
        self.subject = subject
        self.content = content
        self.category = category
        self.deputyIds = deputyIds
        self.stationId = stationId
        self.wantsMeeting = wantsMeeting
        self.complex = complex
        self.registeredOn = registeredOn
    }

    public mutating func validate(regionCode given: RegionCode?, node: RegionCode) throws(InputError) -> RegionCode? {
        let regionCode = try Check.required(given, field: "regionCode")
        try Check.inScope(regionCode, node: node, field: "regionCode")
        subject = try Check.text(subject ?? "", field: "subject", maxLength: Limit.subject)
        content = try Check.text(content ?? "", field: "content", maxLength: Limit.content)
        category = try Check.optionalText(category, field: "category", maxLength: Limit.category)
        registeredOn = registeredOn ?? Activity.today()
        if let registeredOn, registeredOn > Activity.today() {
            throw InputError(field: "registeredOn", message: "\(registeredOn) lies in the future")
        }
        var seen = Set<UUID>()
        for (index, id) in deputyIds.enumerated() where !seen.insert(id).inserted {
            throw InputError(field: "deputyIds[\(index)]", message: "deputy \(id) is named twice")
        }
        switch kind {
        case .opinion:
            guard deputyIds.count <= 1 else { throw InputError(field: "deputyIds", message: "an opinion has one receiving deputy at most") }
            if complex == true { throw InputError(field: "complex", message: "only a suggestion is marked complex") }
        case .suggestion:
            guard !deputyIds.isEmpty, deputyIds.count <= Limit.deputies.upperBound else {
                throw InputError(field: "deputyIds", message: "a suggestion names its lead deputy first, then up to 49 co-signers")
            }
            if wantsMeeting == true { throw InputError(field: "wantsMeeting", message: "a constituent asks to meet; a suggestion does not") }
        }
        return regionCode
    }

    private enum CodingKeys: String, CodingKey {
        case kind, channel, subject, content, category, deputyIds, stationId, wantsMeeting, complex, registeredOn
    }

    /// `deputyIds` may be left out (an opinion no deputy received); the other fields as declared.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(CaseKind.self, forKey: .kind)
        channel = try container.decode(Channel.self, forKey: .channel)
        subject = try container.decodeIfPresent(String.self, forKey: .subject)
        content = try container.decodeIfPresent(String.self, forKey: .content)
        category = try container.decodeIfPresent(String.self, forKey: .category)
        deputyIds = try container.decodeIfPresent([UUID].self, forKey: .deputyIds) ?? []
        stationId = try container.decodeIfPresent(UUID.self, forKey: .stationId)
        wantsMeeting = try container.decodeIfPresent(Bool.self, forKey: .wantsMeeting)
        complex = try container.decodeIfPresent(Bool.self, forKey: .complex)
        registeredOn = try container.decodeIfPresent(CalendarDate.self, forKey: .registeredOn)
    }

    /// What the workflow needs of the case.
    public func workflow(origin: RegionCode, deadlines: CaseDeadlines) -> CaseWorkflow {
        CaseWorkflow(kind: kind, origin: origin, registeredOn: registeredOn ?? Activity.today(), complex: complex ?? false, deadlines: deadlines)
    }
}

/// One step of a case's handling (SPEC §13), owned by the node that wrote it: the handler's reply, the origin's
/// feedback, an ancestor's supervision. Append-only.
public struct CaseEvent: RecordBody {
    public static let kind = RecordKind.caseEvent

    public enum Limit {
        public static let text = 4_000
        public static let unit = 100
        public static let units = 1...20
    }

    public var caseId: UUID
    public var action: CaseAction
    /// Handling units for `assign`, the lead unit (主办) first.
    public var units: [String]?
    /// The ancestor node an opinion is transferred to.
    public var to: RegionCode?
    /// A reply, an explanation; a transfer carries the case's subject and text to its new handler.
    public var text: String?
    public var subject: String?
    public var grade: SuggestionGrade?
    public var satisfaction: Satisfaction?
    /// The day it happened (today when left out).
    public var on: CalendarDate?
    /// Set by the node: when it recorded the event (the workflow's order).
    public var at: Timestamp?

    public init(
        caseId: UUID,
        action: CaseAction,
        units: [String]? = nil,
        to: RegionCode? = nil,
        text: String? = nil,
        subject: String? = nil,
        grade: SuggestionGrade? = nil,
        satisfaction: Satisfaction? = nil,
        on: CalendarDate? = nil,
        at: Timestamp? = nil
    ) {
        self.caseId = caseId
        self.action = action
        self.units = units
        self.to = to
        self.text = text
        self.subject = subject
        self.grade = grade
        self.satisfaction = satisfaction
        self.on = on
        self.at = at
    }

    /// The region is the case's: the caller resolves it.
    public mutating func validate(regionCode given: RegionCode?, node: RegionCode) throws(InputError) -> RegionCode? {
        at = .now
        on = on ?? Activity.today()
        if let on, on > Activity.today() { throw InputError(field: "on", message: "\(on) lies in the future") }
        text = try Check.optionalText(text, field: "text", maxLength: Limit.text)
        if let units {
            guard Limit.units.contains(units.count) else { throw InputError(field: "units", message: "name 1 to 20 handling units") }
            self.units = try units.enumerated().map { index, unit throws(InputError) in
                try Check.text(unit, field: "units[\(index)]", maxLength: Limit.unit)
            }
        }
        if [.reply, .explain, .answerOnSpot].contains(action), text == nil {
            throw InputError(field: "text", message: "a \(action.rawValue) says what was answered")
        }
        if action != .transfer { subject = nil }
        return nil
    }

    /// The event as the workflow reads it.
    public func step(id: UUID, node: RegionCode) -> CaseStep {
        CaseStep(
            id: id,
            node: node,
            at: at ?? Timestamp(Date(timeIntervalSince1970: 0)),
            on: on ?? Activity.today(),
            action: action,
            units: units ?? [],
            to: to,
            grade: grade,
            satisfaction: satisfaction
        )
    }
}
