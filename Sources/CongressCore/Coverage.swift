#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Raw counts over the live records whose region lies under one prefix: what every coverage figure is made of.
public struct CoverageCounts: Sendable, Equatable, Codable {
    /// Stations that are not deleted, whatever their status.
    public var stationsByType: [Station.StationType: Int] = [:]
    public var activeStations = 0
    /// Active stations meeting all six standards (六有).
    public var activeStationsMeetingStandards = 0
    public var units = 0
    /// Units named in the `coveredUnits` of at least one active station.
    public var coveredUnits = 0
    /// In-office mandates per level.
    public var seats: [Level: Int] = [:]
    /// In-office mandates with a current assignment to a station that is not closed (进站).
    public var assignedSeats = 0
    /// Distinct in-office persons: by `personKey`, a deputy without one being a person of its own.
    public var persons = 0
    /// Of those, persons who attended a training through one of their in-office mandates.
    public var trainedPersons = 0
    /// Duty performance (SPEC §12) in the activity year: confirmed, live activities by the activity's own region.
    public var activitiesByKind: [Activity.Kind: Int] = [:]
    /// People received (`constituentsMet`) summed over those activities.
    public var constituentsMet = 0
    /// In-office mandates (by the mandate's region, as `seats`) taking part in at least one confirmed, live activity of
    /// the year that this node holds, wherever it took place.
    public var activeSeats = 0
    /// Live groups by the group's region.
    public var groups = 0
    /// Confirmed, live activities of the year naming one of those groups (any kind), counted at the group's region.
    public var groupActivities = 0
    /// Those groups with at least `DeputyGroup.activitiesExpectedPerYear` such activities (晋城's rule).
    public var groupsMeetingRule = 0
    /// Cases (SPEC §13) registered in the activity year (their `registeredOn`), by the case's region: per kind and per
    /// state, as `CaseWorkflow` derives it from the events this node holds.
    public var casesByKind: [CaseKind: Int] = [:]
    public var casesByState: [CaseState: Int] = [:]
    /// Of those, cases awaiting a reply (`CaseState.awaitingReply`) that have a deadline.
    public var casesDue = 0
    /// Of those, cases past their deadline on the day counted (China's).
    public var casesOverdue = 0
    /// Cases whose latest reply has a feedback, and those whose feedback is satisfied or basically satisfied.
    public var casesWithFeedback = 0
    public var casesSatisfied = 0
    /// Suggestions with a consultation (面商).
    public var suggestionsConsulted = 0
    /// Opinions transferred to a node above the one that registered them.
    public var casesTransferredUp = 0

    public init() {}
}

/// A share whose denominator may be zero: then it is null, never 0%.
public struct Ratio: Sendable, Equatable, Encodable {
    public let value: Double?

    public init(_ part: Int, of whole: Int) {
        value = whole == 0 ? nil : Double(part) / Double(whole)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}

/// One region's row of `GET /v1/coverage` (SPEC Appendix A).
public struct CoverageItem: Sendable, Encodable {
    public struct Stations: Sendable, Encodable {
        public var total: Int
        public var active: Int
        public var byType: [String: Int]
    }

    public struct Units: Sendable, Encodable {
        public var total: Int
        public var covered: Int
        public var ratio: Ratio
    }

    public struct Townships: Sendable, Encodable {
        public var total: Int
        public var withStation: Int
        public var ratio: Ratio
    }

    public struct Deputies: Sendable, Encodable {
        public var seats: [String: Int]
        public var persons: Int
        public var assigned: Int
        public var assignedRatio: Ratio
    }

    public struct Standards: Sendable, Encodable {
        public var met: Int
        public var ratio: Ratio
    }

    public struct Training: Sendable, Encodable {
        public var trained: Int
        public var persons: Int
        public var ratio: Ratio
    }

    /// Duty performance (履职, SPEC §12) in `year`, the current year in China: only confirmed, live activities count.
    public struct Activities: Sendable, Encodable {
        public var year: Int
        /// Activities whose region lies in the region, per kind (every kind, zeros included).
        public var byKind: [String: Int]
        /// In-office mandates of the region (as `deputies.seats` counts them) with at least one activity this year.
        public var mandatesActive: Int
        /// `mandatesActive` over in-office mandates (履职率).
        public var ratio: Ratio
        /// Live groups whose region lies in the region.
        public var groups: Int
        /// Activities naming one of those groups, wherever they took place.
        public var groupActivities: Int
        /// Those groups with at least `DeputyGroup.activitiesExpectedPerYear` activities this year (晋城: 4 a year).
        public var groupsMeetingRule: Int
        /// People received, summed over the activities whose region lies in the region.
        public var constituentsMet: Int
    }

    /// Cases (SPEC §13) registered this year in China, whose region lies in the region, with their status as of today.
    public struct Cases: Sendable, Encodable {
        /// Per kind (both kinds, zeros included).
        public var byKind: [String: Int]
        /// Per state (every state, zeros included).
        public var byState: [String: Int]
        /// Cases awaiting a reply (registered, assigned or transferred) that have a deadline: an opinion from its
        /// registration, a suggestion once assigned.
        public var due: Int
        public var closed: Int
        /// `closed` over the cases registered (办结率).
        public var closedRatio: Ratio
        /// Of `due`, those past their deadline today.
        public var overdue: Int
        /// Satisfied and basically satisfied over the cases whose latest reply has a feedback (满意率).
        public var satisfiedRatio: Ratio
        /// Suggestions with a consultation (面商) over suggestions (面商率).
        public var consultedRatio: Ratio
        /// Opinions transferred to a node above the one that registered them (转交).
        public var transferredUp: Int
    }

    /// Whose data the figures include and how old it may be: a late node makes its regions partial, not zero.
    public struct Freshness: Sendable, Encodable {
        /// Nodes other than this one whose records these figures include.
        public var nodes: Int
        /// Those with no delivery within their schedule's period plus slack, on any edge between them and this node.
        public var stale: [String]
        /// The oldest time up to which all of those nodes' records are here (null when one never delivered).
        public var oldestSync: Timestamp?
        /// True when a stale node's records are part of these figures.
        public var partial: Bool

        enum CodingKeys: String, CodingKey { case nodes, stale, oldestSync, partial }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(nodes, forKey: .nodes)
            try container.encode(stale, forKey: .stale)
            try container.encode(oldestSync, forKey: .oldestSync)
            try container.encode(partial, forKey: .partial)
        }
    }

    public var code: String
    public var name: String
    public var level: String
    public var depth: Int
    public var stations: Stations
    public var units: Units
    public var townships: Townships
    public var deputies: Deputies
    public var standards: Standards
    public var training: Training
    public var activities: Activities
    public var cases: Cases
    public var freshness: Freshness
}

public struct CoverageReport: Sendable, Encodable {
    public var region: String
    /// When the counts were taken from the database.
    public var generatedAt: Timestamp
    public var items: [CoverageItem]
}

/// The coverage of a node's subtree at one moment: counts per topology region, ready to answer any region and depth.
/// Built from the database after records change; answering a request only walks the tree.
public struct CoverageSnapshot: Sendable {
    public let topology: Topology
    public let node: RegionCode
    public let builtAt: Date
    /// The year whose activities the counts hold (SPEC §12: this year, in China).
    public let activityYear: Int
    private let counts: [RegionCode: CoverageCounts]
    private let townships: [RegionCode: (total: Int, withStation: Int)]
    /// For each region, the nodes other than this one whose records its figures include.
    private let feeders: [RegionCode: [RegionCode]]
    /// Every node below this one, parents first: the edge it pushes on, how often, and when it last delivered.
    private let edges: [Edge]

    private struct Edge: Sendable {
        var node: RegionCode
        /// Where it pushes, unless that is this node.
        var upstream: RegionCode?
        var period: TimeInterval
        var delivered: Date?
    }

    /// The deepest item a request may ask for below its region: national down to township.
    public static let maxDepth = Level.allCases.count - 1

    /// The prefix widths the counts must be grouped by: those of the regions in `node`'s subtree (0 for the nation).
    public static func prefixWidths(topology: Topology, node: RegionCode) -> [Int] {
        guard let top = topology.node(node) else { return [] }
        return Set(top.allNodes.map { prefix(of: $0.code).utf8.count }).sorted()
    }

    /// The prefix a region's records are grouped under.
    public static func prefix(of code: RegionCode) -> String { code.isNation ? "" : code.rawValue }

    public init(
        topology: Topology,
        node: RegionCode,
        countsByPrefix: [String: CoverageCounts],
        edges: [SyncEdge],
        builtAt: Date,
        activityYear: Int
    ) {
        self.topology = topology
        self.node = node
        self.builtAt = builtAt
        self.activityYear = activityYear
        let regions = topology.node(node)?.allNodes ?? []
        var counts: [RegionCode: CoverageCounts] = [:]
        for region in regions { counts[region.code] = countsByPrefix[Self.prefix(of: region.code)] ?? CoverageCounts() }
        self.counts = counts

        var townships: [RegionCode: (total: Int, withStation: Int)] = [:]
        func tally(_ region: TopologyNode) -> (total: Int, withStation: Int) {
            let hasStation = (counts[region.code]?.activeStations ?? 0) > 0
            var sum: (total: Int, withStation: Int) = region.level == .township ? (1, hasStation ? 1 : 0) : (0, 0)
            for child in region.children {
                let below = tally(child)
                sum = (sum.total + below.total, sum.withStation + below.withStation)
            }
            townships[region.code] = sum
            return sum
        }
        if let top = topology.node(node) { _ = tally(top) }
        self.townships = townships

        // Each node below feeds its own region and every region above it up to this node; a region without a node of
        // its own is also fed by the node that writes its records.
        var feeders: [RegionCode: [RegionCode]] = [:]
        for region in regions where region.url != nil && region.code != node {
            var current: RegionCode? = region.code
            while let code = current {
                feeders[code, default: []].append(region.code)
                current = code == node ? nil : topology.parent(of: code)?.code
            }
        }
        for region in regions where region.url == nil {
            if let author = topology.upstream(of: region.code)?.code, author != node, !(feeders[region.code] ?? []).contains(author) {
                feeders[region.code, default: []].insert(author, at: 0)
            }
        }
        self.feeders = feeders

        var deliveries: [RegionCode: Date] = [:]
        for edge in edges where node.contains(edge.node) && edge.node != node {
            deliveries[edge.node] = max(deliveries[edge.node] ?? .distantPast, edge.lastBatchAt.date)
        }
        // Periods are worked out once per schedule: finding one walks the calendar.
        var periods: [String: TimeInterval] = [:]
        self.edges = regions.filter { $0.url != nil && $0.code != node }.map { region in
            let schedule = region.sync.description
            let period = periods[schedule] ?? region.sync.period(around: builtAt)
            periods[schedule] = period
            let upstream = topology.upstream(of: region.code)?.code
            return Edge(node: region.code, upstream: upstream == node ? nil : upstream, period: period, delivered: deliveries[region.code])
        }
    }

    public func contains(_ region: RegionCode) -> Bool { counts[region] != nil }

    /// The region and its descendants down to `depth` levels, in tree order; nil when the region is not in this subtree.
    public func report(region: RegionCode, depth: Int, now: Date) -> CoverageReport? {
        guard contains(region), let top = topology.node(region) else { return nil }
        let freshness = nodeFreshness(now: now)
        var items: [CoverageItem] = []
        func visit(_ region: TopologyNode, at level: Int) {
            items.append(item(region, depth: level, freshness: freshness))
            guard level < depth else { return }
            for child in region.children { visit(child, at: level + 1) }
        }
        visit(top, at: 0)
        return CoverageReport(region: region.rawValue, generatedAt: Timestamp(builtAt), items: items)
    }

    /// For every node below this one: the time up to which its records are here (the oldest delivery on the way up)
    /// and whether any edge on that way is stale.
    private func nodeFreshness(now: Date) -> [RegionCode: (since: Date?, stale: Bool)] {
        var result: [RegionCode: (since: Date?, stale: Bool)] = [:]
        for edge in edges {
            let edgeStale = SyncSchedule.isStale(lastDelivery: edge.delivered, now: now, period: edge.period)
            guard let upstream = edge.upstream, let above = result[upstream] else {
                result[edge.node] = (edge.delivered, edgeStale)
                continue
            }
            let since = edge.delivered.flatMap { mine in above.since.map { min(mine, $0) } }
            result[edge.node] = (since, edgeStale || above.stale)
        }
        return result
    }

    private func item(_ region: TopologyNode, depth: Int, freshness: [RegionCode: (since: Date?, stale: Bool)]) -> CoverageItem {
        let c = counts[region.code] ?? CoverageCounts()
        let stationTotal = c.stationsByType.values.reduce(0, +)
        let seatTotal = c.seats.values.reduce(0, +)
        let township = townships[region.code] ?? (0, 0)
        let feeding = feeders[region.code] ?? []
        let states = feeding.map { freshness[$0] ?? (nil, true) }
        let stale = zip(feeding, states).filter { $0.1.stale }.map(\.0.rawValue).sorted()
        let oldest: Timestamp? = states.contains { $0.since == nil } ? nil : states.compactMap(\.since).min().map(Timestamp.init)
        return CoverageItem(
            code: region.code.rawValue,
            name: region.name,
            level: region.level.rawValue,
            depth: depth,
            stations: .init(
                total: stationTotal,
                active: c.activeStations,
                byType: Dictionary(uniqueKeysWithValues: Station.StationType.allCases.map { ($0.rawValue, c.stationsByType[$0] ?? 0) })
            ),
            units: .init(total: c.units, covered: c.coveredUnits, ratio: Ratio(c.coveredUnits, of: c.units)),
            townships: .init(total: township.total, withStation: township.withStation, ratio: Ratio(township.withStation, of: township.total)),
            deputies: .init(
                seats: Dictionary(uniqueKeysWithValues: Level.allCases.map { ($0.rawValue, c.seats[$0] ?? 0) }),
                persons: c.persons,
                assigned: c.assignedSeats,
                assignedRatio: Ratio(c.assignedSeats, of: seatTotal)
            ),
            standards: .init(met: c.activeStationsMeetingStandards, ratio: Ratio(c.activeStationsMeetingStandards, of: c.activeStations)),
            training: .init(trained: c.trainedPersons, persons: c.persons, ratio: Ratio(c.trainedPersons, of: c.persons)),
            activities: .init(
                year: activityYear,
                byKind: Dictionary(uniqueKeysWithValues: Activity.Kind.allCases.map { ($0.rawValue, c.activitiesByKind[$0] ?? 0) }),
                mandatesActive: c.activeSeats,
                ratio: Ratio(c.activeSeats, of: seatTotal),
                groups: c.groups,
                groupActivities: c.groupActivities,
                groupsMeetingRule: c.groupsMeetingRule,
                constituentsMet: c.constituentsMet
            ),
            cases: Self.cases(c),
            freshness: .init(nodes: feeding.count, stale: stale, oldestSync: oldest, partial: !stale.isEmpty)
        )
    }
}

extension CoverageSnapshot {
    fileprivate static func cases(_ c: CoverageCounts) -> CoverageItem.Cases {
        let total = c.casesByKind.values.reduce(0, +)
        let closed = c.casesByState[.closed] ?? 0
        return CoverageItem.Cases(
            byKind: Dictionary(uniqueKeysWithValues: CaseKind.allCases.map { ($0.rawValue, c.casesByKind[$0] ?? 0) }),
            byState: Dictionary(uniqueKeysWithValues: CaseState.allCases.map { ($0.rawValue, c.casesByState[$0] ?? 0) }),
            due: c.casesDue,
            closed: closed,
            closedRatio: Ratio(closed, of: total),
            overdue: c.casesOverdue,
            satisfiedRatio: Ratio(c.casesSatisfied, of: c.casesWithFeedback),
            consultedRatio: Ratio(c.suggestionsConsulted, of: c.casesByKind[.suggestion] ?? 0),
            transferredUp: c.casesTransferredUp
        )
    }
}

/// The parameters of `GET /v1/coverage`: `region` (default: the node's own), `depth` (default 1), `format`.
public struct CoverageQuery: Sendable, Equatable {
    public var region: RegionCode?
    public var depth = 1
    public var format = ExportFormat.json

    public init(region: RegionCode? = nil, depth: Int = 1, format: ExportFormat = .json) {
        self.region = region
        self.depth = depth
        self.format = format
    }

    /// What `GET /v1/coverage` (and the dashboard) take.
    public static let parameters: [QueryParameter] = [
        QueryParameter("region", .region, summary: "the region to report (default: this node's own)"),
        QueryParameter("depth", .integer(0...CoverageSnapshot.maxDepth), summary: "levels of descendants to include (default 1)"),
        ExportFormat.parameter,
    ]

    /// Anything unknown or malformed is refused with the parameter named.
    public init(parameters pairs: [(String, String)]) throws(InputError) {
        try self.init(QueryValues(pairs, accepting: Self.parameters))
    }

    public init(_ values: QueryValues) {
        region = values.region("region")
        depth = values.integer("depth") ?? depth
        format = values.choice("format", as: ExportFormat.self) ?? format
    }
}

extension CoverageReport {
    /// The same table as CSV: one row per item, nested figures flattened into named columns.
    public var csv: String {
        let types = Station.StationType.allCases.map(\.rawValue)
        let levels = Level.allCases.map(\.rawValue)
        let kinds = Activity.Kind.allCases.map(\.rawValue)
        let header: [String] =
            ["code", "name", "level", "depth", "stations_total", "stations_active"] + types.map { "stations_\($0)" }
            + ["units_total", "units_covered", "units_ratio", "townships_total", "townships_with_station", "townships_ratio"]
            + levels.map { "seats_\($0)" }
            + ["persons", "assigned", "assigned_ratio", "standards_met", "standards_ratio", "trained", "training_persons", "training_ratio"]
            + ["nodes", "stale", "oldest_sync", "partial"]
        // Wave 2 columns come last, so a spreadsheet reading the first ones by position keeps working.
        let dutyHeader: [String] =
            ["activities_year"] + kinds.map { "activities_\($0)" }
            + ["mandates_active", "mandates_active_ratio", "groups", "group_activities", "groups_meeting_rule", "constituents_met"]
        let caseHeader: [String] =
            CaseKind.allCases.map { "cases_\($0.rawValue)" } + CaseState.allCases.map { "cases_\($0.rawValue)" }
            + ["cases_due", "cases_closed", "cases_closed_ratio", "cases_overdue", "cases_satisfied_ratio", "cases_consulted_ratio"]
            + ["cases_transferred_up"]
        func ratio(_ ratio: Ratio) -> String { ratio.value.map { "\($0)" } ?? "" }
        func cases(_ cases: CoverageItem.Cases) -> [String] {
            CaseKind.allCases.map { "\(cases.byKind[$0.rawValue] ?? 0)" } + CaseState.allCases.map { "\(cases.byState[$0.rawValue] ?? 0)" }
                + ["\(cases.due)", "\(cases.closed)", ratio(cases.closedRatio), "\(cases.overdue)", ratio(cases.satisfiedRatio)]
                + [ratio(cases.consultedRatio), "\(cases.transferredUp)"]
        }
        func duty(_ activities: CoverageItem.Activities) -> [String] {
            let counts: [String] = ["\(activities.year)"] + kinds.map { "\(activities.byKind[$0] ?? 0)" }
            let groups: [String] = ["\(activities.groups)", "\(activities.groupActivities)", "\(activities.groupsMeetingRule)"]
            return counts + ["\(activities.mandatesActive)", ratio(activities.ratio)] + groups + ["\(activities.constituentsMet)"]
        }
        let rows = items.map { item -> [String] in
            let wave1: [String] =
                [item.code, item.name, item.level, "\(item.depth)", "\(item.stations.total)", "\(item.stations.active)"]
                + types.map { "\(item.stations.byType[$0] ?? 0)" }
                + ["\(item.units.total)", "\(item.units.covered)", ratio(item.units.ratio)]
                + ["\(item.townships.total)", "\(item.townships.withStation)", ratio(item.townships.ratio)]
                + levels.map { "\(item.deputies.seats[$0] ?? 0)" }
                + ["\(item.deputies.persons)", "\(item.deputies.assigned)", ratio(item.deputies.assignedRatio)]
                + ["\(item.standards.met)", ratio(item.standards.ratio)]
                + ["\(item.training.trained)", "\(item.training.persons)", ratio(item.training.ratio)]
                + [
                    "\(item.freshness.nodes)", item.freshness.stale.joined(separator: " "), item.freshness.oldestSync?.description ?? "",
                    "\(item.freshness.partial)",
                ]
            return wave1 + duty(item.activities) + cases(item.cases)
        }
        return CSVText.table([header + dutyHeader + caseHeader] + rows)
    }
}

/// How a table is answered: JSON, or CSV for a spreadsheet (`?format=`).
public enum ExportFormat: String, Sendable, CaseIterable {
    case json, csv

    /// `?format=`, taken by every endpoint that exports a table.
    public static let parameter = QueryParameter.choice("format", ExportFormat.self, summary: "json (default) or csv, with a UTF-8 byte-order mark")
}

/// Text for CSV exports (RFC 4180).
public enum CSVText {
    /// Quoted when it holds a comma, quote or line break. A text that Excel would take for a formula (`=`, `+`, `-`, `@`
    /// first: what a constituent typed, a name) gets a leading `'`, so it shows as typed and runs nothing; numbers stay.
    public static func field(_ text: String) -> String {
        let text = startsFormula(text) ? "'" + text : text
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }

    static func startsFormula(_ text: String) -> Bool {
        guard let first = text.first, "=+-@\t\r".contains(first) else { return false }
        return Double(text) == nil
    }

    /// Rows (the header first) as CSV text, each line ended.
    public static func table(_ rows: [[String]]) -> String {
        rows.map { $0.map(field).joined(separator: ",") + "\n" }.joined()
    }
}
