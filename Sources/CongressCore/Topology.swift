import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// When an edge syncs: daily at a time, or a cron line, in a time zone.
public struct SyncSchedule: Sendable, Hashable, CustomStringConvertible {
    /// `"02:00"` or a five-field cron line, as written.
    public var expression: String
    public var timezone: String

    public init(expression: String, timezone: String) {
        self.expression = expression
        self.timezone = timezone
    }

    public static let nightly = SyncSchedule(expression: "02:00", timezone: "Asia/Shanghai")

    public var description: String { "\(expression) \(timezone)" }

    /// Why `expression` is not a schedule, or nil when it is one.
    public static func problem(in expression: String) -> String? {
        let fields = expression.split(separator: " ")
        if fields.count == 1 {
            let parts = expression.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
                (0..<24).contains(hour), (0..<60).contains(minute)
            else { return "schedule '\(expression)' is neither a time of day (HH:MM, e.g. 02:00) nor a cron line" }
            return nil
        }
        guard fields.count == 5 else { return "cron line '\(expression)' must have 5 fields (minute hour day month weekday), has \(fields.count)" }
        for (field, (name, range)) in zip(fields, cronFields) {
            if let problem = cronProblem(String(field), name: name, range: range) { return problem }
        }
        return nil
    }

    private static let cronFields: [(String, ClosedRange<Int>)] = [
        ("minute", 0...59), ("hour", 0...23), ("day", 1...31), ("month", 1...12), ("weekday", 0...7),
    ]

    /// Checks one cron field: `*`, `N`, `A-B`, each optionally `/STEP`, joined by commas.
    private static func cronProblem(_ field: String, name: String, range: ClosedRange<Int>) -> String? {
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(pieces.count) else { return "cron \(name) '\(field)' is not a cron field" }
            if pieces.count == 2 {
                guard let step = Int(pieces[1]), step > 0 else { return "cron \(name) '\(field)': the step after '/' must be a positive number" }
            }
            if pieces[0] == "*" { continue }
            let bounds = pieces[0].split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard (1...2).contains(bounds.count), bounds.allSatisfy({ $0 != nil }) else {
                return "cron \(name) '\(field)' may only hold numbers, *, ranges A-B, steps /N and commas"
            }
            let numbers = bounds.compactMap { $0 }
            guard numbers.allSatisfy(range.contains) else {
                return "cron \(name) '\(field)' is out of range \(range.lowerBound)-\(range.upperBound)"
            }
            if numbers.count == 2 && numbers[0] > numbers[1] { return "cron \(name) '\(field)': range \(numbers[0])-\(numbers[1]) runs backwards" }
        }
        return nil
    }
}

/// One congress in the federation's tree; `url` is set when the level runs a node of its own.
public struct TopologyNode: Sendable, Equatable {
    public var code: RegionCode
    public var name: String
    public var level: Level
    public var url: String?
    /// A county-level unit directly under its province (省直管).
    public var direct: Bool
    /// The schedule of the edge to this node's parent (own, or the topology's default).
    public var sync: SyncSchedule
    public var children: [TopologyNode]
    /// Where the node is written in the topology file.
    public var position: SourcePosition

    public init(
        code: RegionCode,
        name: String,
        level: Level,
        url: String? = nil,
        direct: Bool = false,
        sync: SyncSchedule = .nightly,
        children: [TopologyNode] = [],
        position: SourcePosition = .start
    ) {
        self.code = code
        self.name = name
        self.level = level
        self.url = url
        self.direct = direct
        self.sync = sync
        self.children = children
        self.position = position
    }

    /// This node and every node below it, parents before children.
    public var allNodes: [TopologyNode] { [self] + children.flatMap(\.allNodes) }
}

/// The federation's tree as an operator described it in `config/topology.yaml`.
public struct Topology: Sendable {
    public var version: Int
    public var defaultSync: SyncSchedule
    public var root: TopologyNode
    /// SHA-256 of the file's bytes: nodes compare it to know they describe the same federation.
    public var hash: String
    /// The file's text as read, which a parent hands its children (SPEC §17); nil for a topology built in code.
    public var text: String?
    private var parents: [RegionCode: RegionCode]
    private var nodes: [RegionCode: TopologyNode]

    public init(version: Int, defaultSync: SyncSchedule, root: TopologyNode, hash: String, text: String? = nil) {
        self.version = version
        self.defaultSync = defaultSync
        self.root = root
        self.hash = hash
        self.text = text
        var parents: [RegionCode: RegionCode] = [:]
        var nodes: [RegionCode: TopologyNode] = [:]
        for node in root.allNodes {
            nodes[node.code] = node
            for child in node.children { parents[child.code] = node.code }
        }
        self.parents = parents
        self.nodes = nodes
    }

    public func node(_ code: RegionCode) -> TopologyNode? { nodes[code] }

    public func parent(of code: RegionCode) -> TopologyNode? { parents[code].flatMap { nodes[$0] } }

    /// The nearest ancestor that runs a node (has a url): where this node's records go.
    public func upstream(of code: RegionCode) -> TopologyNode? {
        var current = parents[code]
        while let code = current {
            if let node = nodes[code], node.url != nil { return node }
            current = parents[code]
        }
        return nil
    }

    /// Nodes with a url whose upstream is `code`: the children that push to it.
    public func downstream(of code: RegionCode) -> [TopologyNode] {
        guard let node = nodes[code] else { return [] }
        return node.allNodes.dropFirst().filter { $0.url != nil && upstream(of: $0.code)?.code == code }
    }

    /// Every node that runs a server, in tree order.
    public var runningNodes: [TopologyNode] { root.allNodes.filter { $0.url != nil } }

    public var allNodes: [TopologyNode] { root.allNodes }

    /// Number of regions per level, for `topology check`'s summary.
    public var countsByLevel: [(Level, Int)] { countsByLevel { _ in true } }

    /// Regions per level that have no congress of their own (`RegionCode.withoutCongress`): stations yes, seats no.
    public var withoutCongressByLevel: [(Level, Int)] { countsByLevel { $0.code.withoutCongress != nil } }

    /// The regions `counted` holds, per level, the empty levels left out.
    private func countsByLevel(where counted: (TopologyNode) -> Bool) -> [(Level, Int)] {
        Level.allCases.map { level in (level, nodes.values.count { $0.level == level && counted($0) }) }.filter { $0.1 > 0 }
    }

    /// SHA-256 of a topology file's text, hex.
    public static func hash(of text: String) -> String {
        Hex.sha256(text)
    }
}
