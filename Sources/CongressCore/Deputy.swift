/// One mandate (代表资格): a person holding mandates at three levels has three deputy records.
public struct Deputy: RecordBody {
    public static let kind = RecordKind.deputy

    /// The longest text each field takes (characters, after trimming), and the terms a congress counts.
    public enum Limit {
        public static let name = 50
        public static let ethnicity = 20
        public static let party = 50
        public static let occupation = 50
        public static let constituency = 200
        public static let delegation = 200
        public static let terms = 1...99
    }

    public enum Gender: String, Codable, Sendable, CaseIterable { case male, female }

    public enum Status: String, Codable, Sendable, CaseIterable {
        case inOffice = "in_office"
        case resigned, recalled, terminated, suspended
    }

    public var name: String
    public var gender: Gender
    public var ethnicity: String?
    public var birthMonth: YearMonth?
    public var party: String?
    public var occupation: String?
    public var level: Level
    /// The region of the congress the mandate belongs to; its width matches `level`.
    public var congressCode: RegionCode
    /// 届次.
    public var term: Int
    public var constituency: String?
    public var delegation: String?
    public var status: Status
    /// Stored and returned masked (`138****5678`).
    public var phone: String?
    /// HMAC of the ID number under the province key; nil when entered without one (a person of its own).
    public var personKey: String?

    public init(
        name: String,
        gender: Gender,
        ethnicity: String? = nil,
        birthMonth: YearMonth? = nil,
        party: String? = nil,
        occupation: String? = nil,
        level: Level,
        congressCode: RegionCode,
        term: Int,
        constituency: String? = nil,
        delegation: String? = nil,
        status: Status = .inOffice,
        phone: String? = nil,
        personKey: String? = nil
    ) {
        self.name = name
        self.gender = gender
        self.ethnicity = ethnicity
        self.birthMonth = birthMonth
        self.party = party
        self.occupation = occupation
        self.level = level
        self.congressCode = congressCode
        self.term = term
        self.constituency = constituency
        self.delegation = delegation
        self.status = status
        self.phone = phone
        self.personKey = personKey
    }

    public mutating func validate(regionCode given: RegionCode?, node: RegionCode) throws(InputError) -> RegionCode? {
        let regionCode = try Check.required(given, field: "regionCode")
        try Check.inScope(regionCode, node: node, field: "regionCode")
        name = try Check.text(name, field: "name", maxLength: Limit.name)
        ethnicity = try Check.optionalText(ethnicity, field: "ethnicity", maxLength: Limit.ethnicity)
        party = try Check.optionalText(party, field: "party", maxLength: Limit.party)
        occupation = try Check.optionalText(occupation, field: "occupation", maxLength: Limit.occupation)
        constituency = try Check.optionalText(constituency, field: "constituency", maxLength: Limit.constituency)
        delegation = try Check.optionalText(delegation, field: "delegation", maxLength: Limit.delegation)
        guard congressCode.level == level else {
            let width = level.codeWidth.map { "\($0) digits" } ?? "CN"
            throw InputError(field: "congressCode", message: "a \(level.rawValue) congress is written as \(width), not \(congressCode)")
        }
        try Check.inScope(congressCode, node: node, field: "congressCode")
        if let reason = congressCode.withoutCongress {
            throw InputError(field: "congressCode", message: "\(congressCode) is \(reason): it has no congress, so no seats (SPEC §3)")
        }
        guard Limit.terms.contains(term) else { throw InputError(field: "term", message: "must be between 1 and 99") }
        if let phone { self.phone = try Self.maskedPhone(phone) }
        return regionCode
    }

    /// `personKey` comes from the ID number when one is sent, else stays as it was; the number itself is dropped here.
    public mutating func derive(idNumber: String?, previous: Deputy?, personKeys: PersonKeyDeriver) throws(InputError) {
        if let idNumber {
            personKey = personKeys.personKey(forNormalizedID: try NationalID.normalized(idNumber))
        } else {
            personKey = previous?.personKey
        }
    }

    /// Keeps the first three and last four digits: `13812345678` → `138****5678`.
    /// An already masked number (as returned by GET) is accepted unchanged.
    public static func maskedPhone(_ phone: String) throws(InputError) -> String {
        let compact = phone.filter { $0 != " " && $0 != "-" }
        let isMasked =
            compact.count >= 7 && compact.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "*") }
            && compact.prefix(3).allSatisfy(\.isNumber) && compact.suffix(4).allSatisfy(\.isNumber)
        guard (7...15).contains(compact.count), isMasked else {
            throw InputError(field: "phone", message: "must be 7 to 15 digits (spaces and dashes allowed)")
        }
        return compact.prefix(3) + String(repeating: "*", count: compact.count - 7) + compact.suffix(4)
    }
}
