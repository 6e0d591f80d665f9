import Yams

/// A change file (SPEC §15): the yearly changes of the division codes (区划调整), one entry each, checked against the
/// topology in force before anything is applied.
///
/// ```yaml
/// version: 1
/// changes:
///   - rename: "429004102"            # same code, new name
///     name: 剅河镇
///   - recode: "421003450"            # same region and parent, new code (and name, if given)
///     to: "421003005"
///     name: 太湖港街道
///   - merge: ["420107007", "420107401"]   # several regions of one level become one
///     into: "420107013"                    # a new code, or one of the merged
///     name: 钢都花园街道
///   - split: "420602100"             # one region becomes several; every village of it goes to exactly one part
///     into:
///       - { code: "420602100", name: 某镇, units: ["420602100001", "420602100002"] }
///       - { code: "420602110", name: 某街道, units: ["420602100003"] }
///   - move: "420804101"              # to another parent, under a new code there
///     to: "420802"
///     as: "420802110"
/// ```
public struct DivisionChanges: Sendable, Equatable {
    public enum Change: Sendable, Equatable {
        case rename(RegionCode, name: String)
        case recode(RegionCode, to: RegionCode, name: String?)
        case merge([RegionCode], into: RegionCode, name: String)
        case split(RegionCode, into: [Part])
        case move(RegionCode, to: RegionCode, as: RegionCode)
    }

    /// One part of a split: its code (new, or the split region's own), name and villages.
    public struct Part: Sendable, Equatable {
        public var code: RegionCode
        public var name: String
        public var units: [RegionCode]
    }

    public struct Entry: Sendable, Equatable {
        public var change: Change
        public var position: SourcePosition
    }

    public var entries: [Entry]

    /// The regions an entry takes away from the tree (their records move to the regions it gives).
    public static func removed(by change: Change) -> [RegionCode] {
        switch change {
        case .rename: []
        case .recode(let from, _, _), .move(let from, _, _): [from]
        case .merge(let from, let into, _): from.filter { $0 != into }
        case .split(let from, let parts): parts.contains { $0.code == from } ? [] : [from]
        }
    }
}

/// Reads a change file and checks it against the topology in force, every problem at its line and column.
public enum DivisionChangesLoader {
    private static let kinds = ["rename", "recode", "merge", "split", "move"]
    private static let keysByKind: [String: [String]] = [
        "rename": ["rename", "name"], "recode": ["recode", "to", "name"], "merge": ["merge", "into", "name"],
        "split": ["split", "into"], "move": ["move", "to", "as"],
    ]

    /// The changes in `text` (named `file` in errors), checked against `topology`; `units` are the villages each
    /// township holds, when known (a node's unit records), to check that a split gives every one to exactly one part.
    public static func parse(
        _ text: String,
        file: String,
        topology: Topology,
        units: [RegionCode: Set<RegionCode>]? = nil
    )
        throws(ConfigFileError) -> DivisionChanges
    {
        let reader = YAMLReader(file: file)
        var entries: [DivisionChanges.Entry] = []
        if let document = reader.compose(text), let top = reader.mapping(document, what: "the change file", allowed: ["version", "changes"]) {
            if let (text, mark) = top.string("version", required: true), text != "1" {
                reader.error("unsupported change file version '\(text)'; this build reads version 1", at: mark)
            }
            if let list = top.require("changes") {
                if case .sequence(let items) = list {
                    var checker = Checker(reader: reader, topology: topology, units: units)
                    for item in items {
                        if let change = checker.read(item) {
                            entries.append(.init(change: change, position: YAMLReader.position(of: item.mark)))
                        }
                    }
                } else {
                    reader.error("'changes' must be a list of rename, recode, merge, split and move entries", at: list.mark)
                }
            }
        }
        guard !reader.hasErrors else { throw ConfigFileError(reader.sortedDiagnostics) }
        return DivisionChanges(entries: entries)
    }

    /// Reads entries one by one, remembering which codes earlier entries took or gave, so that two entries never touch
    /// one region.
    private struct Checker {
        let reader: YAMLReader
        let topology: Topology
        let units: [RegionCode: Set<RegionCode>]?
        /// Codes an entry took away or gave, with the line of that entry.
        var touched: [RegionCode: Int] = [:]

        mutating func read(_ item: Node) -> DivisionChanges.Change? {
            guard case .mapping(let mapping) = item, let first = mapping.first?.key.scalar?.string else {
                reader.error("an entry is a mapping that starts with one of \(kinds.joined(separator: ", "))", at: item.mark)
                return nil
            }
            guard let allowed = keysByKind[first] else {
                let hint = Suggestion.closest(to: first, in: kinds).map { "; did you mean '\($0)'?" } ?? " (one of \(kinds.joined(separator: ", ")))"
                reader.error("unknown change '\(first)'\(hint)", at: mapping.first?.key.mark)
                return nil
            }
            guard let map = reader.mapping(item, what: "a \(first) entry", allowed: allowed) else { return nil }
            let line = item.mark?.line ?? 0
            switch first {
            case "rename":
                guard let code = existing(map, "rename"), let name = name(map, required: true) else { return nil }
                if topology.node(code)?.name == name { reader.warning("\(code) is already named \(name)", at: map.value("name")?.mark) }
                claim(code, line: line, at: map.value("rename"))
                return .rename(code, name: name)
            case "recode":
                guard let from = existing(map, "recode"), let to = fresh(map, "to", width: from) else { return nil }
                if topology.parent(of: from).map({ !$0.code.contains(to) }) ?? false {
                    let parent = topology.parent(of: from)!.code
                    reader.error(
                        "\(to) does not lie under \(from)'s parent \(parent): a region that changes parent is a move",
                        at: map.value("to")?.mark
                    )
                }
                let name = name(map, required: false)
                claim(from, line: line, at: map.value("recode"))
                claim(to, line: line, at: map.value("to"))
                return .recode(from, to: to, name: name)
            case "merge":
                guard let sources = codes(map, "merge"), let into = code(map, "into"), let name = name(map, required: true) else { return nil }
                guard sources.count >= 2 || !sources.contains(into) else {
                    reader.error("a merge takes at least two regions, or one into another code", at: map.value("merge")?.mark)
                    return nil
                }
                let levels = Set(sources.compactMap(\.level))
                if levels.count > 1 {
                    reader.error("a merge joins regions of one level, not \(levels.map(\.rawValue).sorted())", at: map.value("merge")?.mark)
                }
                if let level = levels.first, into.level != level {
                    reader.error(
                        "\(into) is a \(into.level?.rawValue ?? "unit") code: a merge of \(level.rawValue)s goes into a \(level.rawValue) code",
                        at: map.value("into")?.mark
                    )
                    return nil
                }
                if !sources.contains(into) {
                    if topology.node(into) != nil {
                        reader.error(
                            "\(into) is already in the topology: merge into a new code or into one of the merged",
                            at: map.value("into")?.mark
                        )
                    }
                    parentMustExist(of: into, at: map.value("into"))
                }
                for source in sources { claim(source, line: line, at: map.value("merge")) }
                if !sources.contains(into) { claim(into, line: line, at: map.value("into")) }
                return .merge(sources, into: into, name: name)
            case "split":
                guard let from = existing(map, "split") else { return nil }
                guard let list = map.require("into") else { return nil }
                guard case .sequence(let items) = list, items.count >= 2 else {
                    reader.error("'into' lists at least two parts {code, name, units}", at: list.mark)
                    return nil
                }
                var parts: [DivisionChanges.Part] = []
                var given: [RegionCode: Int] = [:]
                for item in items {
                    guard let part = reader.mapping(item, what: "a part", allowed: ["code", "name", "units"]) else { continue }
                    guard let code = code(part, "code"), let name = name(part, required: true), let villages = codes(part, "units") else { continue }
                    if code.level != from.level {
                        reader.error("\(code) is not a \(from.level?.rawValue ?? "") code like \(from)", at: part.value("code")?.mark)
                    } else if code != from {
                        if topology.node(code) != nil { reader.error("\(code) is already in the topology", at: part.value("code")?.mark) }
                        if let parent = topology.parent(of: from), !parent.code.contains(code) {
                            reader.error("\(code) does not lie under \(from)'s parent \(parent.code)", at: part.value("code")?.mark)
                        }
                        claim(code, line: item.mark?.line ?? line, at: part.value("code"))
                    }
                    for village in villages {
                        if !village.isUnit || !from.contains(village) {
                            reader.error("\(village) is not a village of \(from)", at: part.value("units")?.mark)
                        } else if let first = given[village] {
                            reader.error("village \(village) is given to two parts (first at line \(first))", at: part.value("units")?.mark)
                        } else {
                            given[village] = part.value("units")?.mark?.line ?? line
                        }
                    }
                    parts.append(.init(code: code, name: name, units: villages))
                }
                if let held = units?[from] {
                    let missing = held.subtracting(given.keys).sorted()
                    if !missing.isEmpty {
                        let listed = missing.prefix(5).map(\.rawValue).joined(separator: ", ") + (missing.count > 5 ? ", …" : "")
                        reader.error("the split gives no part \(missing.count) of \(from)'s villages: \(listed)", at: map.value("split")?.mark)
                    }
                }
                claim(from, line: line, at: map.value("split"))
                return .split(from, into: parts)
            default:  // move
                guard let code = existing(map, "move"), let parent = existing(map, "to"), let new = fresh(map, "as", width: code) else { return nil }
                let expected: Level? = code.level == .county ? .city : code.level == .township ? .county : nil
                let level = topology.node(parent)?.level
                if level != expected && !(code.level == .township && level == .city && new.isTownshipOfCityWithoutCounties) {
                    reader.error(
                        "a \(code.level?.rawValue ?? "") moves under a \(expected?.rawValue ?? "parent of its level"), not a \(level?.rawValue ?? "region") (\(parent))",
                        at: map.value("to")?.mark
                    )
                }
                if !parent.contains(new) { reader.error("\(new) does not lie under its new parent \(parent)", at: map.value("as")?.mark) }
                claim(code, line: line, at: map.value("move"))
                claim(new, line: line, at: map.value("as"))
                return .move(code, to: parent, as: new)
            }
        }

        /// Marks `code` as touched by the entry at `line`; a code touched twice is an error at the second.
        mutating func claim(_ code: RegionCode, line: Int, at node: Node?) {
            if let first = touched[code], first != line {
                reader.error("\(code) is changed by two entries (first at line \(first)): one change per region a file", at: node?.mark)
            } else {
                touched[code] = line
            }
        }

        func code(_ map: YAMLMapping, _ key: String) -> RegionCode? {
            guard let (text, mark) = map.string(key, required: true) else { return nil }
            guard let code = RegionCode(text), !code.isNation else {
                reader.error("'\(text)' is not a region code: \(RegionCode.formatHint)", at: mark)
                return nil
            }
            return code
        }

        func codes(_ map: YAMLMapping, _ key: String) -> [RegionCode]? {
            guard let list = map.require(key) else { return nil }
            guard case .sequence(let items) = list, !items.isEmpty else {
                reader.error("'\(key)' is a list of codes", at: list.mark)
                return nil
            }
            var codes: [RegionCode] = []
            for item in items {
                guard let text = item.scalar?.string, let code = RegionCode(text), !code.isNation else {
                    reader.error("'\(item.scalar?.string ?? "…")' is not a region code: \(RegionCode.formatHint)", at: item.mark)
                    return nil
                }
                codes.append(code)
            }
            if key == "merge" {
                for code in codes where topology.node(code) == nil {
                    reader.error("\(code) is not in the topology in force", at: list.mark)
                    return nil
                }
            }
            return codes
        }

        func existing(_ map: YAMLMapping, _ key: String) -> RegionCode? {
            guard let code = code(map, key) else { return nil }
            guard topology.node(code) != nil else {
                reader.error("\(code) is not in the topology in force", at: map.value(key)?.mark)
                return nil
            }
            return code
        }

        /// A code for a region that does not exist yet, of the same level as `width`'s.
        func fresh(_ map: YAMLMapping, _ key: String, width other: RegionCode) -> RegionCode? {
            guard let code = code(map, key) else { return nil }
            guard code.level == other.level else {
                reader.error("\(code) is not a \(other.level?.rawValue ?? "") code like \(other)", at: map.value(key)?.mark)
                return nil
            }
            if topology.node(code) != nil {
                reader.error("\(code) is already in the topology", at: map.value(key)?.mark)
                return nil
            }
            parentMustExist(of: code, at: map.value(key))
            return code
        }

        func parentMustExist(of code: RegionCode, at node: Node?) {
            var ancestor = code.parent
            while let candidate = ancestor, topology.node(candidate) == nil, !candidate.isNation { ancestor = candidate.parent }
            if ancestor == nil || ancestor == .nation && topology.node(.nation) == nil {
                reader.error("no region of the topology holds \(code)", at: node?.mark)
            }
        }

        func name(_ map: YAMLMapping, required: Bool) -> String? {
            guard let (text, mark) = map.string("name", required: required) else { return nil }
            let name = text.trimmingCharacters(in: .whitespaces)
            if name.isEmpty {
                reader.error("'name' must not be empty", at: mark)
                return nil
            }
            return name
        }
    }
}
