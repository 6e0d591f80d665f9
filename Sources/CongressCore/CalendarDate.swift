#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A day without time zone (`2026-03-01`), as stations' opening dates and training dates are written.
public struct CalendarDate: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1900...2200).contains(year), (1...12).contains(month), (1...Self.days(inMonth: month, year: year)).contains(day)
        else { return nil }
        (self.year, self.month, self.day) = (year, month, day)
    }

    /// The day `date` falls on in `timeZone` (an unknown zone name means China's).
    public init(_ date: Date, timeZone: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "Asia/Shanghai")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        (year, month, day) = (parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    }

    public var description: String { "\(Self.pad(year, 4))-\(Self.pad(month, 2))-\(Self.pad(day, 2))" }

    /// The day `days` after this one.
    public func adding(days: Int) -> CalendarDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.date(from: DateComponents(year: year, month: month, day: day))!
        return CalendarDate(calendar.date(byAdding: .day, value: days, to: start)!, timeZone: "UTC")
    }

    /// Days from `other` to this day (negative when this one is earlier).
    public func days(since other: CalendarDate) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        func midnight(_ day: CalendarDate) -> Date { calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day))! }
        return calendar.dateComponents([.day], from: midnight(other), to: midnight(self)).day!
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = CalendarDate(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a date: expected YYYY-MM-DD")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A month of a year (`1975-06`), as deputies' birth months are recorded.
public struct YearMonth: Hashable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), (1900...2100).contains(year), (1...12).contains(month)
        else { return nil }
        (self.year, self.month) = (year, month)
    }

    public var description: String { "\(CalendarDate.pad(year, 4))-\(CalendarDate.pad(month, 2))" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = YearMonth(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a month: expected YYYY-MM")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An instant written as ISO 8601 (`2026-11-22T09:30:00Z`, fractions and offsets accepted).
public struct Timestamp: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public let date: Date

    public init(_ date: Date) { self.date = date }

    public init?(_ text: String) {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            self.date = date
        } else if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) {
            self.date = date
        } else {
            return nil
        }
    }

    public static var now: Timestamp { Timestamp(Date()) }

    public var description: String { date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.date < rhs.date }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Timestamp(text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "'\(text)' is not a time: expected ISO 8601, e.g. 2026-11-22T09:30:00+08:00"
            )
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
