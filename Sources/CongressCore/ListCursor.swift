#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The position after the last item of a list page (`nextCursor`): lists are ordered by region code, then id; cases
/// listed overdue first (`order=overdue`) by rank, deadline, then id.
public struct ListCursor: Sendable, Equatable {
    public enum Position: Sendable, Equatable {
        case region(RegionCode)
        /// A case's rank (0 overdue, 1 other open, 2 closed) and deadline (nil: none, after every day).
        case due(rank: Int, dueOn: CalendarDate?)
    }

    public var position: Position
    public var id: UUID

    public init(regionCode: RegionCode, id: UUID) {
        position = .region(regionCode)
        self.id = id
    }

    public init(rank: Int, dueOn: CalendarDate?, id: UUID) {
        position = .due(rank: rank, dueOn: dueOn)
        self.id = id
    }

    /// `CODE~UUID`, or `dRANK~DAY~UUID` with the deadline as days after 1900-01-01 (`dRANK~~UUID` without one), as
    /// `text` writes it.
    public init?(_ text: String) {
        let parts = text.split(separator: "~", omittingEmptySubsequences: false).map(String.init)
        guard let last = parts.last, let id = UUID(uuidString: last) else { return nil }
        switch parts.count {
        case 2:
            guard let region = RegionCode(parts[0]) else { return nil }
            self.init(regionCode: region, id: id)
        case 3:
            guard parts[0].count == 2, parts[0].hasPrefix("d"), let rank = Int(parts[0].dropFirst()), (0...2).contains(rank) else { return nil }
            guard parts[1].isEmpty || (parts[1].count <= 6 && parts[1].allSatisfy { $0.isASCII && $0.isNumber }) else { return nil }
            self.init(rank: rank, dueOn: Int(parts[1]).map { Self.firstDay.adding(days: $0) }, id: id)
        default:
            return nil
        }
    }

    public var text: String {
        switch position {
        case .region(let code): return "\(code)~\(id.uuidString.lowercased())"
        case .due(let rank, let dueOn):
            let day = dueOn.map { $0.days(since: Self.firstDay) }
            return "d\(rank)~\(day.map(String.init) ?? "")~\(id.uuidString.lowercased())"
        }
    }

    /// Day 0 of a deadline in a cursor.
    private static let firstDay = CalendarDate("1900-01-01")!

    /// Whether it continues a list in region order (any list's) rather than overdue first (the case list's).
    public var continuesRegionOrder: Bool {
        if case .region = position { true } else { false }
    }

    /// A regular expression matching exactly the texts `init?(_:)` accepts of the region order (`anyOrder` false), or
    /// of either order.
    public static func pattern(anyOrder: Bool) -> String {
        "^(" + RegionCode.pattern + (anyOrder ? "|d[0-2]~[0-9]{0,6}" : "")
            + ")~[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    }
}
