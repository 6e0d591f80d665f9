#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What one mandate did in a year, per thing a rule can count (SPEC §12): the raw material of its score.
public struct PointsTally: Sendable, Equatable {
    public struct Count: Sendable, Equatable {
        public var occurrences = 0
        public var halfDays = 0
        public var constituents = 0
        /// The records counted (activities, sign-ins, cases), when the caller asked for them.
        public var records: [UUID] = []

        public init(occurrences: Int = 0, halfDays: Int = 0, constituents: Int = 0, records: [UUID] = []) {
            self.occurrences = occurrences
            self.halfDays = halfDays
            self.constituents = constituents
            self.records = records
        }

        func amount(_ per: PointsRules.Per) -> Int {
            switch per {
            case .occurrence: occurrences
            case .halfDay: halfDays
            case .constituent: constituents
            }
        }
    }

    public var counts: [PointsRules.Counted: Count] = [:]

    public init(counts: [PointsRules.Counted: Count] = [:]) { self.counts = counts }
}

/// A mandate's score for a year with every line that makes it up: the base, then each rule of the file in its order.
public struct PointsScore: Sendable, Equatable, Encodable {
    public struct Line: Sendable, Equatable, Encodable {
        /// `base`, or the counted kind of the rule.
        public var rule: String
        public var per: PointsRules.Per?
        /// Where the rule stands: `420802/2026.yaml:9`.
        public var source: String?
        /// What the rule counted (occurrences, half-days or people), before its points and cap.
        public var count: Int
        public var points: Int
        /// Whether the cap cut the points.
        public var capped: Bool
        /// The records behind the count.
        public var records: [UUID]
    }

    public var year: Int
    public var total: Int
    public var lines: [Line]
}

extension PointsRules {
    /// The file these rules come from, inside the points folder.
    public var path: String { "\(congress)/\(year).yaml" }

    /// The score of a mandate whose year is `tally`: base + Σ rule points, each rule capped (in absolute value), with
    /// its lines.
    public func score(_ tally: PointsTally) -> PointsScore {
        var lines = [PointsScore.Line(rule: "base", per: nil, source: path, count: 1, points: base, capped: false, records: [])]
        for rule in rules {
            let counted = tally.counts[rule.kind] ?? PointsTally.Count()
            let (count, points, capped) = rule.earned(counted)
            lines.append(
                PointsScore.Line(
                    rule: rule.kind.rawValue,
                    per: rule.per,
                    source: "\(path):\(rule.line)",
                    count: count,
                    points: points,
                    capped: capped,
                    records: counted.records
                )
            )
        }
        return PointsScore(year: year, total: lines.reduce(0) { $0 + $1.points }, lines: lines)
    }

    /// The same score's total alone, for a ranking of many mandates.
    public func total(_ tally: PointsTally) -> Int {
        rules.reduce(base) { total, rule in total + rule.earned(tally.counts[rule.kind] ?? PointsTally.Count()).points }
    }
}

extension PointsRules.Rule {
    /// What the rule counted of `counted`, the points it gives for that, and whether its cap cut them.
    func earned(_ counted: PointsTally.Count) -> (count: Int, points: Int, capped: Bool) {
        let count = counted.amount(per)
        let uncapped = count * points
        let capped = cap.map { min(max(uncapped, -$0), $0) } ?? uncapped
        return (count, capped, capped != uncapped)
    }
}

/// A congress's mandates ranked by points (公示): equal points share a rank (1, 1, 3), quartiles by rank.
public struct PointsRanking: Sendable, Equatable, Encodable {
    public struct Item: Sendable, Equatable, Encodable {
        public var deputyId: UUID
        public var name: String
        public var points: Int
        public var rank: Int
        public var quartile: Int
    }

    public var congress: RegionCode
    public var year: Int
    public var items: [Item]

    /// Ranks `scored` (most points first; within equal points by name, then id, so the order is stable).
    public init(congress: RegionCode, year: Int, scored: [(deputyId: UUID, name: String, points: Int)]) {
        self.congress = congress
        self.year = year
        // The ids' text made once, not in every comparison.
        let keyed = scored.map { (entry: $0, id: $0.deputyId.uuidString) }
        let ordered = keyed.sorted { ($0.entry.points, $1.entry.name, $1.id) > ($1.entry.points, $0.entry.name, $0.id) }.map(\.entry)
        var items: [Item] = []
        items.reserveCapacity(ordered.count)
        for (index, entry) in ordered.enumerated() {
            let rank = index > 0 && items[index - 1].points == entry.points ? items[index - 1].rank : index + 1
            items.append(
                Item(
                    deputyId: entry.deputyId,
                    name: entry.name,
                    points: entry.points,
                    rank: rank,
                    quartile: Self.quartile(rank: rank, of: ordered.count)
                )
            )
        }
        self.items = items
    }

    /// The quarter a rank falls in: ranks 1…n/4 are the first, the last quarter holds the bottom ones (called in for a
    /// talk, as 荆门东宝 does). Ties share a rank and so a quartile.
    public static func quartile(rank: Int, of count: Int) -> Int {
        guard count > 0 else { return 1 }
        return min(4, (rank - 1) * 4 / count + 1)
    }
}
