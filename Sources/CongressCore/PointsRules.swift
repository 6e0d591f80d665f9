import Yams

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A congress's points rules (积分办法) for one year (SPEC §12): `points/CODE/YEAR.yaml` beside the topology file.
public struct PointsRules: Sendable, Equatable, Encodable {
    /// What a rule counts: an activity kind or one of the case and sign-in events.
    public enum Counted: String, Sendable, CaseIterable, Encodable, Hashable {
        case session, inspection
        case groupActivity = "group_activity"
        case reception, visit, study, legislation, absence, other
        case suggestionSubmitted = "suggestion_submitted"
        case suggestionLead = "suggestion_lead"
        case opinionHandled = "opinion_handled"
        case trainingAttended = "training_attended"

        /// The activity kind this counts, if it counts activities (the others count cases and sign-ins, one each).
        public var activityKind: Activity.Kind? { Activity.Kind(rawValue: rawValue) }
    }

    /// What one count of a rule is.
    public enum Per: String, Sendable, CaseIterable, Encodable {
        case occurrence
        case halfDay = "half_day"
        case constituent
    }

    public struct Rule: Sendable, Equatable, Encodable {
        public var kind: Counted
        public var points: Int
        public var per: Per
        /// At most this many points a year from this rule (in absolute value, for a rule that takes points away).
        public var cap: Int?
        /// The rule's line in its file: a score's line names it.
        public var line: Int

        public init(kind: Counted, points: Int, per: Per = .occurrence, cap: Int? = nil, line: Int) {
            self.kind = kind
            self.points = points
            self.per = per
            self.cap = cap
            self.line = line
        }
    }

    public var congress: RegionCode
    public var year: Int
    public var base: Int
    public var rules: [Rule]

    /// Points of one rule or of a base: a year's score stays far inside an `Int`, and a typo of extra digits is caught.
    public static let pointsLimit = 10_000
}

/// The points folder: every rules file by its path inside the folder (`CODE/YEAR.yaml`), as a node holds it and as it
/// travels down the tree with the topology (SPEC §17).
public struct PointsFolder: Sendable, Equatable {
    /// Text of each file, by path inside the folder.
    public var files: [String: String]
    public var rules: [PointsRules]
    /// What the check found worth saying in files it accepted (a rule of 0 points).
    public var warnings: [Diagnostic] = []
    /// Names the folder's whole content: a child whose hash differs from its parent's fetches the parent's folder.
    public var hash: String

    public static let empty = PointsFolder(files: [:], rules: [], warnings: [], hash: PointsFolder.hash(of: [:]))

    /// Where a node keeps its points rules: the `points` folder beside its topology file (SPEC §12).
    public static func directory(besideTopology topologyFile: String) -> String {
        URL(fileURLWithPath: topologyFile).deletingLastPathComponent().appendingPathComponent("points").path
    }

    /// The folder's files read and checked.
    public static func load(directory: String) throws(ConfigFileError) -> PointsFolder {
        try check(read(directory: directory), directory: directory)
    }

    public static func hash(of files: [String: String]) -> String {
        Hex.sha256(files.sorted { $0.key < $1.key }.map { "\($0.key)\u{0}\($0.value)\u{0}" }.joined())
    }

    /// The folder's files, checked as an operator's edit is checked: each file's errors as `FILE:LINE:COL: error: …`
    /// (files named `DIRECTORY/PATH`), all of them at once.
    public static func check(_ files: [String: String], directory: String) throws(ConfigFileError) -> PointsFolder {
        var diagnostics: [Diagnostic] = []
        var rules: [PointsRules] = []
        for (path, text) in files.sorted(by: { $0.key < $1.key }) {
            do throws(ConfigFileError) {
                let loaded = try PointsRulesLoader.parse(text, path: path, file: directory + "/" + path)
                rules.append(loaded.rules)
                diagnostics += loaded.warnings
            } catch {
                diagnostics += error.diagnostics
            }
        }
        guard !diagnostics.contains(where: { $0.severity == .error }) else { throw ConfigFileError(diagnostics) }
        return PointsFolder(files: files, rules: rules, warnings: diagnostics, hash: hash(of: files))
    }

    /// Every `CODE/YEAR.yaml` in `directory` (none when the folder does not exist); other files are left alone.
    public static func read(directory: String) throws(ConfigFileError) -> [String: String] {
        var files: [String: String] = [:]
        for path in paths(in: directory) {
            files[path] = try ConfigFile.text(atPath: directory + "/" + path, what: "a points rules file")
        }
        return files
    }

    /// The paths (`CODE/NAME.yaml`) of the rules files in `directory`; none when the folder does not exist.
    private static func paths(in directory: String) -> [String] {
        let manager = FileManager.default
        let congresses = ((try? manager.contentsOfDirectory(atPath: directory)) ?? []).filter { RegionCode($0) != nil }
        return congresses.flatMap { congress in
            ((try? manager.contentsOfDirectory(atPath: directory + "/" + congress)) ?? []).filter { $0.hasSuffix(".yaml") }.map {
                congress + "/" + $0
            }
        }
    }

    /// Makes `directory` hold exactly `files` (of the shape `read` reads): each written to a temporary file renamed over
    /// the old one, then files of that shape the folder no longer has removed.
    public static func write(_ files: [String: String], to directory: String) throws {
        let manager = FileManager.default
        for (path, text) in files {
            let url = URL(fileURLWithPath: directory + "/" + path)
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url, options: .atomic)
        }
        for path in paths(in: directory) where files[path] == nil {
            try manager.removeItem(atPath: directory + "/" + path)
        }
    }
}

/// Reads one points rules file and reports every problem with its position.
public enum PointsRulesLoader {
    private static let topKeys = ["version", "congress", "year", "base", "rules"]
    private static let ruleKeys = ["kind", "points", "per", "cap"]

    /// The rules in `text`, found at `path` (`CODE/YEAR.yaml` inside the points folder) and named `file` in errors,
    /// with the warnings found; or every error (warnings alongside), in file order.
    public static func parse(_ text: String, path: String, file: String) throws(ConfigFileError) -> (rules: PointsRules, warnings: [Diagnostic]) {
        let reader = YAMLReader(file: file)
        let rules = read(text, path: path, reader: reader)
        // `read` gives nil only after reporting why.
        guard let rules, !reader.hasErrors else { throw ConfigFileError(reader.sortedDiagnostics) }
        return (rules, reader.sortedDiagnostics)
    }

    private static func read(_ text: String, path: String, reader: YAMLReader) -> PointsRules? {
        let parts = path.split(separator: "/")
        let named: (congress: RegionCode, year: Int)? =
            if parts.count == 2, let code = RegionCode(String(parts[0])), parts[1].hasSuffix(".yaml"),
                let year = Int(parts[1].dropLast(5)), (2000...2100).contains(year)
            {
                (code, year)
            } else {
                nil
            }
        if named == nil {
            reader.error("a points rules file is named CODE/YEAR.yaml inside the points folder (e.g. 420802/2026.yaml), not \(path)", at: nil)
        }
        guard let document = reader.compose(text), let top = reader.mapping(document, what: "the points rules", allowed: topKeys) else {
            return nil
        }
        if let (text, mark) = top.string("version", required: true), text != "1" {
            reader.error("unsupported points rules version '\(text)'; this build reads version 1", at: mark)
        }
        var congress: RegionCode?
        if let (text, mark) = top.string("congress", required: true) {
            congress = RegionCode(text)
            if congress == nil {
                reader.error("'\(text)' is not a region code", at: mark)
            } else if let named, congress != named.congress {
                reader.error("the file is for congress \(text) but lies in the folder of \(named.congress)", at: mark)
            }
        }
        let year = integer(top, "year", in: 2000...2100, required: true, reader: reader)
        if let year, let named, year != named.year {
            reader.error("the file is for \(year) but is named \(named.year).yaml", at: top.value("year")?.mark)
        }
        let base = integer(top, "base", in: -PointsRules.pointsLimit...PointsRules.pointsLimit, required: false, reader: reader) ?? 0
        var rules: [PointsRules.Rule] = []
        if let list = top.require("rules") {
            if case .sequence(let sequence) = list {
                var seen: [String: Int] = [:]
                for item in sequence {
                    guard let rule = readRule(item, reader: reader) else { continue }
                    let key = "\(rule.kind.rawValue) per \(rule.per.rawValue)"
                    if let line = seen[key] {
                        reader.error("a second rule for \(key) (the first is at line \(line)): merge them", at: item.mark)
                    }
                    seen[key] = item.mark?.line ?? 0
                    rules.append(rule)
                }
            } else {
                reader.error("'rules' must be a list of {kind, points, per, cap}", at: list.mark)
            }
        }
        guard let congress, let year else { return nil }
        return PointsRules(congress: congress, year: year, base: base, rules: rules)
    }

    private static func readRule(_ node: Node, reader: YAMLReader) -> PointsRules.Rule? {
        guard let map = reader.mapping(node, what: "a rule", allowed: ruleKeys) else { return nil }
        var kind: PointsRules.Counted?
        if let (text, mark) = map.string("kind", required: true) {
            kind = PointsRules.Counted(rawValue: text)
            if kind == nil {
                let known = PointsRules.Counted.allCases.map(\.rawValue)
                let hint = Suggestion.closest(to: text, in: known).map { "; did you mean '\($0)'?" } ?? " (one of \(known.joined(separator: ", ")))"
                reader.error("unknown kind '\(text)'\(hint)", at: mark)
            }
        }
        let points = integer(map, "points", in: -PointsRules.pointsLimit...PointsRules.pointsLimit, required: true, reader: reader)
        if points == 0 { reader.warning("a rule of 0 points counts nothing", at: map.value("points")?.mark) }
        var per = PointsRules.Per.occurrence
        if let (text, mark) = map.string("per") {
            if let value = PointsRules.Per(rawValue: text) {
                per = value
            } else {
                reader.error("unknown 'per' '\(text)' (one of \(PointsRules.Per.allCases.map(\.rawValue).joined(separator: ", ")))", at: mark)
            }
        }
        if let kind, kind.activityKind == nil, per != .occurrence {
            reader.error("'per: \(per.rawValue)' counts activities; \(kind.rawValue) counts once each (per: occurrence)", at: map.value("per")?.mark)
        }
        let cap = integer(map, "cap", in: 1...PointsRules.pointsLimit, required: false, reader: reader)
        guard let kind, let points else { return nil }
        return PointsRules.Rule(kind: kind, points: points, per: per, cap: cap, line: node.mark?.line ?? 0)
    }

    private static func integer(_ map: YAMLMapping, _ key: String, in range: ClosedRange<Int>, required: Bool, reader: YAMLReader) -> Int? {
        guard let (text, mark) = map.string(key, required: required) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            reader.error("'\(key)' must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'", at: mark)
            return nil
        }
        return value
    }
}
