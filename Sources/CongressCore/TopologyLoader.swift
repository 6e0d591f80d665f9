import Yams

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads `config/topology.yaml` and reports every problem with its position (SPEC §5).
public enum TopologyLoader {
    public struct Loaded: Sendable {
        public var topology: Topology
        public var warnings: [Diagnostic]
    }

    public static func load(contentsOf path: String) throws(ConfigFileError) -> Loaded {
        try parse(ConfigFile.text(atPath: path, what: "the topology file"), file: path)
    }

    /// The topology in `text`, or every error found in it (warnings alongside), in file order.
    public static func parse(_ text: String, file: String) throws(ConfigFileError) -> Loaded {
        let parser = TopologyParser(reader: YAMLReader(file: file))
        let parsed = parser.parse(text)
        let diagnostics = parser.reader.sortedDiagnostics
        guard let (version, defaultSync, root) = parsed, !parser.reader.hasErrors else { throw ConfigFileError(diagnostics) }
        let topology = Topology(version: version, defaultSync: defaultSync, root: root, hash: Topology.hash(of: text), text: text)
        return Loaded(topology: topology, warnings: diagnostics)
    }
}

/// One pass over a topology document; remembers codes and urls already seen to report duplicates.
private final class TopologyParser {
    let reader: YAMLReader
    private var seenCodes: [RegionCode: Int] = [:]
    private var seenURLs: [String: Int] = [:]

    private static let topKeys = ["version", "defaults", "root"]
    private static let defaultsKeys = ["sync"]
    private static let syncKeys = ["schedule", "timezone"]
    private static let nodeKeys = ["code", "name", "level", "url", "direct", "sync", "children"]

    /// What a child needs to know of its parent; either part is nil when the parent's own line is broken.
    private struct Parent {
        var code: RegionCode?
        var level: Level?
    }

    init(reader: YAMLReader) { self.reader = reader }

    func parse(_ text: String) -> (Int, SyncSchedule, TopologyNode)? {
        guard let document = reader.compose(text), let top = reader.mapping(document, what: "the topology", allowed: Self.topKeys) else {
            return nil
        }
        if let (text, mark) = top.string("version", required: true), text != "1" {
            reader.error("unsupported topology version '\(text)'; this build reads version 1", at: mark)
        }
        var defaultSync = SyncSchedule.nightly
        if let defaultsNode = top.value("defaults"), let defaults = reader.mapping(defaultsNode, what: "defaults", allowed: Self.defaultsKeys),
            let syncNode = defaults.value("sync")
        {
            defaultSync = readSync(syncNode, inheriting: defaultSync)
        }
        guard let rootValue = top.require("root") else { return nil }
        let root = readNode(rootValue, parent: nil, defaultSync: defaultSync)
        if let root, rootValue.mapping?["url"] == nil {
            reader.warning("the root \(root.code) \(root.name) has no url: nothing collects the federation's records", at: rootValue.mark)
        }
        return root.map { (1, defaultSync, $0) }
    }

    private func readSync(_ node: Node, inheriting inherited: SyncSchedule) -> SyncSchedule {
        guard let sync = reader.mapping(node, what: "sync", allowed: Self.syncKeys) else { return inherited }
        var schedule = inherited
        if let (text, mark) = sync.string("schedule") {
            if let problem = SyncSchedule.problem(in: text) { reader.error(problem, at: mark) } else { schedule.expression = text }
        }
        if let (text, mark) = sync.string("timezone") {
            if TimeZone(identifier: text) == nil {
                reader.error("unknown time zone '\(text)' (use an IANA name such as Asia/Shanghai)", at: mark)
            } else {
                schedule.timezone = text
            }
        }
        return schedule
    }

    /// Reads a node and, even when the node itself is broken, its children, so one run reports everything.
    private func readNode(_ value: Node, parent: Parent?, defaultSync: SyncSchedule) -> TopologyNode? {
        guard let map = reader.mapping(value, what: "a node", allowed: Self.nodeKeys) else { return nil }
        let code = readCode(map)
        let level = readLevel(map)
        let direct = map.bool("direct") ?? false
        var name = map.string("name", required: true)?.text
        if name?.trimmingCharacters(in: .whitespaces).isEmpty == true {
            reader.error("'name' must not be empty", at: map.value("name")?.mark)
            name = nil
        }
        if let code, let level { checkPlacement(code: code, level: level, direct: direct, parent: parent, map: map) }
        let url = readURL(map)
        let sync = map.value("sync").map { readSync($0, inheriting: defaultSync) } ?? defaultSync
        if url == nil, let syncNode = map.entries["sync"]?.key {
            reader.warning("'sync' has no effect on a node without a url: its records sync from its nearest ancestor with one", at: syncNode.mark)
        }
        var children: [TopologyNode] = []
        if let childrenNode = map.value("children") {
            if case .sequence(let sequence) = childrenNode {
                let me = Parent(code: code, level: level)
                children = sequence.compactMap { readNode($0, parent: me, defaultSync: defaultSync) }
            } else if childrenNode.scalar?.string.isEmpty != true {  // `children:` left empty means none
                reader.error("'children' must be a list of nodes", at: childrenNode.mark)
            }
        }
        if level == .city, let code, code.level == .city, map.value("children")?.sequence?.isEmpty ?? (map.value("children") == nil) {
            reader.warning("city \(code) has no children: no county below it is described", at: map.mark)
        }
        guard let code, let level, let name else { return nil }
        return TopologyNode(
            code: code,
            name: name,
            level: level,
            url: url,
            direct: direct,
            sync: sync,
            children: children,
            position: YAMLReader.position(of: map.mark)
        )
    }

    private func readCode(_ map: YAMLMapping) -> RegionCode? {
        guard let (text, mark) = map.string("code", required: true) else { return nil }
        guard let code = RegionCode(text) else {
            reader.error("'\(text)' is not a region code: \(RegionCode.formatHint)", at: mark)
            return nil
        }
        if let firstLine = seenCodes[code] {
            reader.error("code \(code) appears twice (first at line \(firstLine))", at: mark)
        } else {
            seenCodes[code] = mark?.line ?? 0
        }
        return code
    }

    private func readLevel(_ map: YAMLMapping) -> Level? {
        guard let (text, mark) = map.string("level", required: true) else { return nil }
        if let level = Level(rawValue: text) { return level }
        let names = Level.allCases.map(\.rawValue)
        var message = "unknown level '\(text)' (one of \(names.joined(separator: ", ")))"
        if let suggestion = Suggestion.closest(to: text, in: names) { message += "; did you mean '\(suggestion)'?" }
        reader.error(message, at: mark)
        return nil
    }

    private func checkPlacement(code: RegionCode, level: Level, direct: Bool, parent: Parent?, map: YAMLMapping) {
        let codeMark = map.value("code")?.mark
        guard code.level == level else {
            let width = level.codeWidth.map { "\($0) digits" } ?? "CN"
            reader.error("code \(code) does not fit level \(level.rawValue): a \(level.rawValue) code is \(width)", at: codeMark)
            return
        }
        if let parentLevel = parent?.level, parentLevel.below == nil {
            let message = "nothing sits below a \(parentLevel.rawValue), the lowest level of congress (villages are units, imported from CSV)"
            reader.error(message, at: map.mark)
            return
        }
        if let parentCode = parent?.code, !parentCode.contains(code) {
            reader.error("code \(code) does not start with its parent's code \(parentCode)", at: codeMark)
        }
        guard let parent else {
            if direct { reader.error("'direct: true' is only for a county directly under its province", at: map.value("direct")?.mark) }
            return
        }
        guard let parentLevel = parent.level else { return }
        let skipsCity = direct && parentLevel == .province && level == .county
        let skipsCounty = parentLevel == .city && level == .township && code.isTownshipOfCityWithoutCounties
        if parentLevel.below != level && !skipsCity && !skipsCounty {
            let expected = parentLevel.below.map { "a \($0.rawValue)" } ?? "nothing"
            var message = "a \(level.rawValue) cannot sit directly under a \(parentLevel.rawValue) (expected \(expected))"
            if parentLevel == .province && level == .county { message += "; mark a province-direct county with 'direct: true'" }
            if parentLevel == .city && level == .township {
                message += "; only a township of a city without counties (coded CCCC00NNN, as 东莞's 441900003) sits under its city"
            }
            reader.error(message, at: map.value("level")?.mark)
        } else if parentLevel == .county && code.isTownshipOfCityWithoutCounties {
            reader.error(
                "township \(code) belongs to a city without counties (its county segment is 00): it sits directly under its city",
                at: map.value("level")?.mark
            )
        } else if direct && !skipsCity {
            reader.error("'direct: true' is only for a county directly under its province", at: map.value("direct")?.mark)
        }
    }

    private func readURL(_ map: YAMLMapping) -> String? {
        guard let (text, mark) = map.string("url") else { return nil }
        guard let url = NodeURL.normalized(text) else {
            reader.error("'\(text)' is not a node URL: \(NodeURL.formatHint)", at: mark)
            return nil
        }
        if let firstLine = seenURLs[url] {
            reader.error("url \(url) is used twice (first at line \(firstLine))", at: mark)
        } else {
            seenURLs[url] = mark?.line ?? 0
        }
        return url
    }
}

/// The address of a running node as written in the topology: `http(s)://HOST[:PORT]`, nothing after.
public enum NodeURL {
    public static let formatHint = "write http://HOST:PORT (or https), without a path, query or user"

    /// `text` without a trailing slash, or nil when it is not a node URL.
    public static func normalized(_ text: String) -> String? {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme, ["http", "https"].contains(scheme),
            let host = components.host, !host.isEmpty, components.path.isEmpty, components.query == nil, components.fragment == nil,
            components.user == nil, components.port.map({ (1...65535).contains($0) }) ?? true,
            trimmed.hasPrefix("\(scheme)://")
        else { return nil }
        return trimmed
    }
}
