/// A statistical division code (统计用区划代码) written by its significant prefix:
/// province 2 digits, city 4, county 6, township 9, village/community unit 12; `CN` is the nation.
public struct RegionCode: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public static let nation = RegionCode(unchecked: "CN")
    /// Width of a village/community unit code.
    public static let unitWidth = 12
    private static let widths: Set<Int> = [2, 4, 6, 9, 12]

    /// Accepts `CN` or a code of a valid width whose last segment is not all zeros (`4200` is no city).
    public init?(_ text: String) {
        if text == "CN" {
            self.rawValue = text
            return
        }
        let bytes = Array(text.utf8)
        guard Self.widths.contains(bytes.count), bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let segmentStart = Self.parentWidth(of: bytes.count) ?? 0
        guard bytes[segmentStart...].contains(where: { $0 != 0x30 }) else { return nil }
        self.rawValue = text
    }

    private init(unchecked: String) { self.rawValue = unchecked }

    public var description: String { rawValue }

    /// A code given as a request parameter, refused with the parameter named.
    public static func parameter(_ text: String, field: String) throws(InputError) -> RegionCode {
        guard let code = RegionCode(text) else { throw InputError(field: field, message: "'\(text)': \(formatHint)") }
        return code
    }
    public var isNation: Bool { rawValue == "CN" }
    public var isUnit: Bool { rawValue.utf8.count == Self.unitWidth }

    /// The congress level a code of this width belongs to; nil for a village/community unit.
    public var level: Level? {
        if isNation { return .national }
        return Level.allCases.first { $0.codeWidth == rawValue.utf8.count }
    }

    /// Why a region of this code has no people's congress of its own, if it has none (SPEC §3): streets (街道,
    /// township codes `001`–`099`) have a working committee instead; township-level units `400`–`599` (开发区, 农场…)
    /// and county-level units `xxxx7x` (高新区, 经开区, 管理区) have none. They may still host stations.
    public var withoutCongress: String? {
        let digits = Array(rawValue.utf8).map { Int($0) - 0x30 }
        switch digits.count {
        case 6 where digits[4] == 7:
            return "a county-level unit coded xxxx7x (高新区, 经开区, 管理区)"
        case 9:
            let number = digits[6] * 100 + digits[7] * 10 + digits[8]
            if (1...99).contains(number) { return "a street (街道, township code 001–099), which has a working committee" }
            if (400...599).contains(number) { return "a township-level unit coded 400–599 (开发区, 农场…)" }
            return nil
        default:
            return nil
        }
    }

    /// A township of a city without counties (东莞 `4419`, 中山 `4420`, 儋州 `4604`, 嘉峪关 `6202`): its county
    /// segment is `00` (`441900003`), and it sits directly under its city.
    public var isTownshipOfCityWithoutCounties: Bool {
        rawValue.utf8.count == 9 && rawValue.dropFirst(4).hasPrefix("00")
    }

    /// Whether `other` lies in this code's subtree (itself included).
    public func contains(_ other: RegionCode) -> Bool {
        isNation || other.rawValue.hasPrefix(rawValue)
    }

    /// The enclosing code one width up (`420802001` → `420802`, `42` → `CN`).
    public var parent: RegionCode? {
        if isNation { return nil }
        guard let width = Self.parentWidth(of: rawValue.utf8.count) else { return .nation }
        return RegionCode(unchecked: String(rawValue.prefix(width)))
    }

    /// The code at `level` that contains this one, itself included (`420802001` at `.county` → `420802`, anything at
    /// `.national` → `CN`); nil when this code is not that deep or that part of it is no code (`420802000123`).
    public func enclosing(at level: Level) -> RegionCode? {
        guard let width = level.codeWidth else { return .nation }
        guard !isNation, rawValue.utf8.count >= width else { return nil }
        return RegionCode(String(rawValue.prefix(width)))
    }

    private static func parentWidth(of width: Int) -> Int? {
        switch width {
        case 4: 2
        case 6: 4
        case 9: 6
        case 12: 9
        default: nil
        }
    }

    public static func < (lhs: RegionCode, rhs: RegionCode) -> Bool { lhs.rawValue < rhs.rawValue }

    /// A regular expression matching exactly the codes `init?(_:)` accepts (for the API document).
    public static let pattern = RegionCode.nation.pattern(widths: [0, 2, 4, 6, 9, 12])!

    /// A regular expression (a group, not anchored) matching exactly the codes of `widths` (0 for `CN`) in this code's
    /// subtree that `init?(_:)` accepts; nil when there are none.
    public func pattern(widths: Set<Int>) -> String? {
        let own = isNation ? 0 : rawValue.utf8.count
        var alternatives: [String] = []
        if isNation && widths.contains(0) { alternatives.append("CN") }
        for (width, last) in [(2, 2), (4, 2), (6, 2), (9, 3), (12, 3)] where widths.contains(width) && width >= own {
            guard width > own else {
                alternatives.append(rawValue)
                continue
            }
            // The digits below this code, the last segment not all zeros.
            let lead = width - own - last
            let nonZero = last == 2 ? "(0[1-9]|[1-9][0-9])" : "(00[1-9]|0[1-9][0-9]|[1-9][0-9][0-9])"
            alternatives.append((isNation ? "" : rawValue) + (lead > 0 ? "[0-9]{\(lead)}" : "") + nonZero)
        }
        return alternatives.isEmpty ? nil : "(" + alternatives.joined(separator: "|") + ")"
    }

    /// What a valid code looks like, for error messages.
    public static let formatHint = "a region code is CN or 2, 4, 6, 9 or 12 digits whose last part is not all zeros"
}

extension RegionCode: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let code = RegionCode(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a region code: \(Self.formatHint)")
        }
        self = code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
