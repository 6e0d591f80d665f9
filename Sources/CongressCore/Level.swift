/// The five levels of people's congresses, from the top down.
public enum Level: String, CaseIterable, Codable, Sendable, Comparable {
    case national
    case province
    case city
    case county
    case township

    /// Width of a region code at this level (`CN` for national has none).
    public var codeWidth: Int? {
        switch self {
        case .national: nil
        case .province: 2
        case .city: 4
        case .county: 6
        case .township: 9
        }
    }

    /// Depth below the national level: national 0 … township 4.
    public var depth: Int { Level.allCases.firstIndex(of: self)! }

    /// The level directly below this one, if any.
    public var below: Level? {
        let next = depth + 1
        return next < Level.allCases.count ? Level.allCases[next] : nil
    }

    /// Chinese label used in messages and the dashboard.
    public var label: String {
        switch self {
        case .national: "全国"
        case .province: "省"
        case .city: "市"
        case .county: "县"
        case .township: "乡镇"
        }
    }

    public static func < (lhs: Level, rhs: Level) -> Bool { lhs.depth < rhs.depth }
}
