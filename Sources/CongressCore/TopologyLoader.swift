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

    private static let topKeys = ["version", "defaults", "root"]
    private static let defaultsKeys = ["sync"]
    private static let syncKeys = ["schedule", "timezone"]
    private static let nodeKeys = ["code", "name", "level", "url", "direct", "sync", "children"]

    public static func load(contentsOf path: String) throws(ConfigFileError) -> Loaded {
        try parse(ConfigFile.text(atPath: path, what: "the topology file"), file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigFileError) -> Loaded {
        let reader = YAMLReader(file: file)
        guard let rootNode = reader.compose(text), let top = reader.mapping(rootNode, what: "the topology", allowed: topKeys) else {
            throw ConfigFileError(reader.diagnostics)
        }
        var version = 1
        if let (text, mark) = top.string("version", required: true) {
            if text != "1" { reader.error("unsupported topology version '\(text)'; this build reads version 1", at: mark) }
            version = Int(text) ?? 1
        }
        var defaultSync = SyncSchedule.nightly
        if let defaultsNode = top.value("defaults"), let defaults = reader.mapping(defaultsNode, what: "defaults", allowed: defaultsKeys),
            let syncNode = defaults.value("sync")
        {
            defaultSync = readSync(syncNode, inheriting: defaultSync, reader: reader)
        }
        var seenCodes: [RegionCode: Mark?] = [:]
        var seenURLs: [String: Mark?] = [:]
        var root: TopologyNode?
        if let rootValue = top.value("root") {
            root = readNode(rootValue, parent: nil, sync: defaultSync, reader: reader, codes: &seenCodes, urls: &seenURLs)
        } else {
            _ = top.string("root", required: true)
        }
        guard let root, !reader.hasErrors else { throw ConfigFileError(reader.diagnostics) }
        let topology = Topology(version: version, defaultSync: defaultSync, root: root, hash: Topology.hash(of: text))
        return Loaded(topology: topology, warnings: reader.diagnostics)
    }

    private static func readSync(_ node: Node, inheriting inherited: SyncSchedule, reader: YAMLReader) -> SyncSchedule {
        guard let sync = reader.mapping(node, what: "sync", allowed: syncKeys) else { return inherited }
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

    private static func readNode(
        _ value: Node, parent: TopologyNode?, sync inherited: SyncSchedule, reader: YAMLReader,
        codes: inout [RegionCode: Mark?], urls: inout [String: Mark?]
    ) -> TopologyNode? {
        guard let map = reader.mapping(value, what: "a node", allowed: nodeKeys) else { return nil }
        let name = map.string("name", required: true)?.text
        let direct = map.bool("direct") ?? false
        var level: Level?
        if let (text, mark) = map.string("level", required: true) {
            level = Level(rawValue: text)
            if level == nil {
                let names = Level.allCases.map(\.rawValue)
                var message = "unknown level '\(text)' (one of \(names.joined(separator: ", ")))"
                if let suggestion = Suggestion.closest(to: text, in: names) { message += "; did you mean '\(suggestion)'?" }
                reader.error(message, at: mark)
            }
        }
        var code: RegionCode?
        if let (text, mark) = map.string("code", required: true) {
            code = RegionCode(text)
            if let code, let level {
                checkPlacement(code: code, level: level, direct: direct, parent: parent, mark: mark, reader: reader)
                if let previous = codes[code] {
                    reader.error("code \(code) appears twice (first at line \(previous?.line ?? 0))", at: mark)
                } else {
                    codes[code] = mark
                }
            } else if code == nil {
                reader.error("'\(text)' is not a region code: \(RegionCode.formatHint)", at: mark)
            }
        }
        let url = readURL(map, reader: reader, urls: &urls)
        let sync = map.value("sync").map { readSync($0, inheriting: inherited, reader: reader) } ?? inherited
        guard let code, let level, let name else { return nil }
        var node = TopologyNode(code: code, name: name, level: level, url: url, direct: direct, sync: sync)
        if let childrenNode = map.value("children") {
            guard case .sequence(let sequence) = childrenNode else {
                reader.error("'children' must be a list of nodes", at: childrenNode.mark)
                return node
            }
            node.children = sequence.compactMap { readNode($0, parent: node, sync: inherited, reader: reader, codes: &codes, urls: &urls) }
        }
        if level == .city && node.children.isEmpty && !reader.hasErrors {
            reader.warning("city \(code) \(name) has no children: its counties will have nowhere to sync", at: map.mark)
        }
        return node
    }

    private static func checkPlacement(code: RegionCode, level: Level, direct: Bool, parent: TopologyNode?, mark: Mark?, reader: YAMLReader) {
        guard code.level == level else {
            let width = level.codeWidth.map { "\($0) digits" } ?? "CN"
            reader.error("code \(code) does not fit level \(level.rawValue): a \(level.rawValue) code is \(width)", at: mark)
            return
        }
        guard let parent else { return }
        guard parent.code.contains(code) else {
            reader.error("code \(code) does not start with its parent's code \(parent.code)", at: mark)
            return
        }
        let skipsCity = direct && parent.level == .province && level == .county
        if parent.level.below != level && !skipsCity {
            let expected = parent.level.below?.rawValue ?? "none"
            var message = "a \(level.rawValue) cannot sit directly under a \(parent.level.rawValue) (expected \(expected))"
            if parent.level == .province && level == .county { message += "; mark a province-direct county with 'direct: true'" }
            reader.error(message, at: mark)
        } else if direct && !skipsCity {
            reader.error("'direct: true' is only for a county directly under its province", at: mark)
        }
    }

    private static func readURL(_ map: YAMLMapping, reader: YAMLReader, urls: inout [String: Mark?]) -> String? {
        guard let (text, mark) = map.string("url") else { return nil }
        guard let components = URLComponents(string: text), let scheme = components.scheme, ["http", "https"].contains(scheme),
            let host = components.host, !host.isEmpty, components.path.isEmpty || components.path == "/"
        else {
            reader.error("'\(text)' is not a node URL (http://HOST:PORT)", at: mark)
            return nil
        }
        let normalized = text.hasSuffix("/") ? String(text.dropLast()) : text
        if let previous = urls[normalized] {
            reader.error("url \(normalized) is used twice (first at line \(previous?.line ?? 0))", at: mark)
        } else {
            urls[normalized] = mark
        }
        return normalized
    }
}
