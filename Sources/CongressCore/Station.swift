/// A liaison station or home (家站点) and the villages it serves.
public struct Station: RecordBody {
    public static let kind = RecordKind.station

    /// The longest text each field takes (characters, after trimming).
    public enum Limit {
        public static let name = 200
        public static let address = 500
        public static let staffName = 50
    }

    public enum StationType: String, Codable, Sendable, CaseIterable {
        case home, station, online, industry, centre
        case contactPoint = "contact_point"
    }

    public enum Status: String, Codable, Sendable, CaseIterable { case active, suspended, closed }

    public struct StaffMember: Codable, Sendable, Equatable {
        public enum Role: String, Codable, Sendable, CaseIterable {
            case head, liaison
            case deputyHead = "deputy_head"
        }

        public var role: Role
        public var name: String

        public init(role: Role, name: String) {
            self.role = role
            self.name = name
        }
    }

    /// The six standards (六有): a place, staff, rules, activities, funds, equipment.
    public struct Standards: Codable, Sendable, Equatable {
        public var site = false
        public var staff = false
        public var rules = false
        public var activities = false
        public var funds = false
        public var equipment = false

        public init(
            site: Bool = false,
            staff: Bool = false,
            rules: Bool = false,
            activities: Bool = false,
            funds: Bool = false,
            equipment: Bool = false
        ) {
            (self.site, self.staff, self.rules, self.activities, self.funds, self.equipment) = (site, staff, rules, activities, funds, equipment)
        }

        public var allMet: Bool { site && staff && rules && activities && funds && equipment }

        private enum CodingKeys: String, CodingKey { case site, staff, rules, activities, funds, equipment }

        /// A standard left out is not met.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func flag(_ key: CodingKeys) throws -> Bool { try container.decodeIfPresent(Bool.self, forKey: key) ?? false }
            self.init(
                site: try flag(.site),
                staff: try flag(.staff),
                rules: try flag(.rules),
                activities: try flag(.activities),
                funds: try flag(.funds),
                equipment: try flag(.equipment)
            )
        }
    }

    public var name: String
    public var type: StationType
    public var address: String?
    /// 12-digit village/community codes this station serves.
    public var coveredUnits: [RegionCode]
    public var staff: [StaffMember]
    public var standards: Standards
    public var status: Status
    public var openedOn: CalendarDate?
    public var closedOn: CalendarDate?

    public init(
        name: String,
        type: StationType,
        address: String? = nil,
        coveredUnits: [RegionCode] = [],
        staff: [StaffMember] = [],
        standards: Standards = Standards(),
        status: Status = .active,
        openedOn: CalendarDate? = nil,
        closedOn: CalendarDate? = nil
    ) {
        self.name = name
        self.type = type
        self.address = address
        self.coveredUnits = coveredUnits
        self.staff = staff
        self.standards = standards
        self.status = status
        self.openedOn = openedOn
        self.closedOn = closedOn
    }

    private enum CodingKeys: String, CodingKey {
        case name, type, address, coveredUnits, staff, standards, status, openedOn, closedOn
    }

    /// Covered units, staff and standards may be left out when there are none yet.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try container.decode(String.self, forKey: .name),
            type: try container.decode(StationType.self, forKey: .type),
            address: try container.decodeIfPresent(String.self, forKey: .address),
            coveredUnits: try container.decodeIfPresent([RegionCode].self, forKey: .coveredUnits) ?? [],
            staff: try container.decodeIfPresent([StaffMember].self, forKey: .staff) ?? [],
            standards: try container.decodeIfPresent(Standards.self, forKey: .standards) ?? Standards(),
            status: try container.decodeIfPresent(Status.self, forKey: .status) ?? .active,
            openedOn: try container.decodeIfPresent(CalendarDate.self, forKey: .openedOn),
            closedOn: try container.decodeIfPresent(CalendarDate.self, forKey: .closedOn)
        )
    }

    public mutating func validate(regionCode given: RegionCode?, node: RegionCode) throws(InputError) -> RegionCode? {
        let regionCode = try Check.required(given, field: "regionCode")
        try Check.inScope(regionCode, node: node, field: "regionCode")
        name = try Check.text(name, field: "name", maxLength: Limit.name)
        address = try Check.optionalText(address, field: "address", maxLength: Limit.address)
        var seen = Set<RegionCode>()
        for (index, unit) in coveredUnits.enumerated() {
            let field = "coveredUnits[\(index)]"
            guard unit.isUnit else { throw InputError(field: field, message: "\(unit) is not a 12-digit village/community code") }
            try Check.inScope(unit, node: node, field: field)
            guard seen.insert(unit).inserted else { throw InputError(field: field, message: "\(unit) is listed twice") }
        }
        coveredUnits.sort()
        for index in staff.indices {
            staff[index].name = try Check.text(staff[index].name, field: "staff[\(index)].name", maxLength: Limit.staffName)
        }
        try Check.order(openedOn, closedOn, endField: "closedOn")
        return regionCode
    }
}
