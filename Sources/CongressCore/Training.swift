#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A training event planned at an upper node: one main venue and any number of branch venues.
public struct Training: RecordBody {
    public static let kind = RecordKind.training

    /// The longest text each field takes (characters, after trimming).
    public enum Limit {
        public static let title = 200
        public static let venueName = 200
    }

    public enum Mode: String, Codable, Sendable, CaseIterable { case offline, online, hybrid }

    public struct Audience: Codable, Sendable, Equatable {
        public var levels: [Level]
        public var regionPrefix: RegionCode

        public init(levels: [Level], regionPrefix: RegionCode) {
            self.levels = levels
            self.regionPrefix = regionPrefix
        }
    }

    public struct Venue: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable, CaseIterable { case main, branch }

        /// Made by the node when left out.
        public var id: UUID?
        public var kind: Kind
        public var regionCode: RegionCode
        public var name: String
        public var capacity: Int

        public init(id: UUID? = nil, kind: Kind, regionCode: RegionCode, name: String, capacity: Int) {
            self.id = id
            self.kind = kind
            self.regionCode = regionCode
            self.name = name
            self.capacity = capacity
        }
    }

    public var title: String
    /// The node that planned it: set by the node, whatever the client sends.
    public var organizer: RegionCode?
    public var startsOn: CalendarDate
    public var endsOn: CalendarDate
    public var mode: Mode
    public var audience: Audience
    public var venues: [Venue]
    /// Whether branch nodes may sign in deputies outside the audience (walk-ins); they are counted apart.
    public var walkIns: Bool?

    public init(
        title: String,
        organizer: RegionCode? = nil,
        startsOn: CalendarDate,
        endsOn: CalendarDate,
        mode: Mode,
        audience: Audience,
        venues: [Venue],
        walkIns: Bool? = nil
    ) {
        self.title = title
        self.organizer = organizer
        self.startsOn = startsOn
        self.endsOn = endsOn
        self.mode = mode
        self.audience = audience
        self.venues = venues
        self.walkIns = walkIns
    }

    public mutating func validate(regionCode given: RegionCode?, node: RegionCode) throws(InputError) -> RegionCode? {
        organizer = node
        try Check.derived(given, equals: node, from: "the organizing node")
        title = try Check.text(title, field: "title", maxLength: Limit.title)
        try Check.order(startsOn, endsOn, endField: "endsOn")
        guard !audience.levels.isEmpty else { throw InputError(field: "audience.levels", message: "name at least one level") }
        audience.levels = Level.allCases.filter(audience.levels.contains)
        try Check.inScope(audience.regionPrefix, node: node, field: "audience.regionPrefix")
        let mainCount = venues.count { $0.kind == .main }
        guard mainCount == 1 else {
            throw InputError(field: "venues", message: "a training has exactly one main venue, this one has \(mainCount)")
        }
        var ids = Set<UUID>()
        for index in venues.indices {
            let field = "venues[\(index)]"
            venues[index].name = try Check.text(venues[index].name, field: field + ".name", maxLength: Limit.venueName)
            try Check.inScope(venues[index].regionCode, node: node, field: field + ".regionCode")
            guard venues[index].capacity > 0 else {
                throw InputError(field: field + ".capacity", message: "must be greater than 0, is \(venues[index].capacity)")
            }
            let id = venues[index].id ?? UUID()
            guard ids.insert(id).inserted else { throw InputError(field: field + ".id", message: "\(id) names two venues") }
            venues[index].id = id
        }
        return node
    }

    public func venue(_ id: UUID) -> Venue? { venues.first { $0.id == id } }
}

/// A deputy signed in at a venue of a training; owned by the node where the sign-in happened.
public struct Attendance: RecordBody {
    public static let kind = RecordKind.attendance

    public enum Mode: String, Codable, Sendable, CaseIterable { case onsite, online }

    public var trainingId: UUID
    public var venueId: UUID
    public var deputyId: UUID
    public var mode: Mode
    /// Set to the time of the request when left out.
    public var signedInAt: Timestamp?
    /// Set by the node: the deputy is not in the training's audience and was let in because it allows walk-ins.
    public var walkIn: Bool?

    public init(trainingId: UUID, venueId: UUID, deputyId: UUID, mode: Mode, signedInAt: Timestamp? = nil, walkIn: Bool? = nil) {
        self.trainingId = trainingId
        self.venueId = venueId
        self.deputyId = deputyId
        self.mode = mode
        self.signedInAt = signedInAt
        self.walkIn = walkIn
    }

    /// The region is the venue's: the caller resolves it from the training.
    public mutating func validate(regionCode given: RegionCode?, node: RegionCode) throws(InputError) -> RegionCode? {
        if signedInAt == nil { signedInAt = .now }
        return nil
    }
}
