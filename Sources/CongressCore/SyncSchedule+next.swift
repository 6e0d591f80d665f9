#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension SyncSchedule {
    /// The first time strictly after `date` at which the edge runs, in the schedule's time zone; nil for an
    /// expression that never fires (e.g. 31 February).
    public func nextRun(after date: Date) -> Date? {
        guard let fields = cronFields else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timezone) ?? TimeZone(identifier: "Asia/Shanghai")!
        guard var candidate = calendar.dateInterval(of: .minute, for: date)?.end else { return nil }
        // Four years of minutes bound the search; a skip jumps a whole day or hour where it can.
        let limit = date.addingTimeInterval(4 * 366 * 86_400)
        while candidate < limit {
            let parts = calendar.dateComponents([.month, .day, .weekday, .hour, .minute], from: candidate)
            let weekday = (parts.weekday ?? 1) - 1  // Calendar: Sunday 1; cron: Sunday 0 (or 7)
            let dayMatches =
                fields.days.contains(parts.day ?? 0) && (fields.weekdays.contains(weekday) || (weekday == 0 && fields.weekdays.contains(7)))
            if !fields.months.contains(parts.month ?? 0) || !dayMatches {
                guard let next = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: candidate)) else { return nil }
                candidate = next
            } else if !fields.hours.contains(parts.hour ?? 0) {
                guard let hour = calendar.dateInterval(of: .hour, for: candidate)?.end else { return nil }
                candidate = hour
            } else if !fields.minutes.contains(parts.minute ?? 0) {
                candidate = candidate.addingTimeInterval(60)
            } else {
                return candidate
            }
        }
        return nil
    }

    /// The usual time between two runs: what "no success within its schedule's period" measures against.
    public func period(around date: Date) -> TimeInterval {
        guard let first = nextRun(after: date), let second = nextRun(after: first) else { return 86_400 }
        return second.timeIntervalSince(first)
    }

    /// Stale: nothing delivered within one period plus slack — a quarter of the period, at most an hour, so that a
    /// missed run shows soon after it was due while a run's own retries and duration do not.
    public func isStale(lastDelivery: Date?, now: Date) -> Bool {
        Self.isStale(lastDelivery: lastDelivery, now: now, period: period(around: now))
    }

    /// The same rule for a period already worked out (finding one walks the calendar).
    public static func isStale(lastDelivery: Date?, now: Date, period: TimeInterval) -> Bool {
        guard let lastDelivery else { return true }
        return now.timeIntervalSince(lastDelivery) > period + min(3600, period / 4)
    }

    private struct CronFields {
        var minutes: Set<Int>
        var hours: Set<Int>
        var days: Set<Int>
        var months: Set<Int>
        var weekdays: Set<Int>
    }

    /// The expression as cron sets; `HH:MM` is `MM HH * * *`.
    private var cronFields: CronFields? {
        guard SyncSchedule.problem(in: expression) == nil else { return nil }
        var fields = expression.split(separator: " ").map(String.init)
        if fields.count == 1 {
            let time = expression.split(separator: ":")
            fields = [String(Int(time[1]) ?? 0), String(Int(time[0]) ?? 0), "*", "*", "*"]
        }
        let ranges = [0...59, 0...23, 1...31, 1...12, 0...7]
        let sets = zip(fields, ranges).map { Self.values(of: $0, in: $1) }
        return CronFields(minutes: sets[0], hours: sets[1], days: sets[2], months: sets[3], weekdays: sets[4])
    }

    private static func values(of field: String, in range: ClosedRange<Int>) -> Set<Int> {
        var values = Set<Int>()
        for part in field.split(separator: ",") {
            let pieces = part.split(separator: "/")
            let step = pieces.count == 2 ? Int(pieces[1]) ?? 1 : 1
            var bounds = range
            if pieces[0] != "*" {
                let numbers = pieces[0].split(separator: "-").compactMap { Int($0) }
                bounds = numbers[0]...(numbers.count == 2 ? numbers[1] : (pieces.count == 2 ? range.upperBound : numbers[0]))
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return values
    }
}
