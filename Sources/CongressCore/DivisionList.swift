#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One edition of the official 统计用区划代码 down to township level, as the files of `divisions-2022/` hold it
/// (`provinces.csv`, `cities.csv`, `areas.csv`, `streets.csv`), and the topology it makes (SPEC §3, §15).
public struct DivisionList: Sendable {
    public struct Division: Sendable, Equatable {
        public var code: String
        public var name: String
        /// The code of the division the file lists it under (none for a province).
        public var parent: String?
    }

    public var provinces: [Division]
    public var cities: [Division]
    /// County-level divisions (区, 县, 县级市, 旗…), and the `xxxx00` placeholders of cities without counties.
    public var areas: [Division]
    /// Township-level divisions (街道, 镇, 乡, 苏木, and units 400–599).
    public var streets: [Division]

    /// The files of one edition, and the column holding each file's parent code.
    static let files: [(name: String, parentColumn: String?)] = [
        ("provinces.csv", nil), ("cities.csv", "provinceCode"), ("areas.csv", "cityCode"), ("streets.csv", "areaCode"),
    ]

    /// Reads the four files of `directory`; every malformed line is reported as `FILE:LINE:COL: error: …`.
    public static func read(directory: String) throws(ConfigFileError) -> DivisionList {
        var lists: [[Division]] = []
        var diagnostics: [Diagnostic] = []
        for (name, parentColumn) in files {
            let path = directory + "/" + name
            do throws(ConfigFileError) {
                lists.append(try parse(ConfigFile.text(atPath: path, what: "a division list"), file: path, parentColumn: parentColumn))
            } catch {
                diagnostics += error.diagnostics
                lists.append([])
            }
        }
        guard diagnostics.isEmpty else { throw ConfigFileError(diagnostics) }
        return DivisionList(provinces: lists[0], cities: lists[1], areas: lists[2], streets: lists[3])
    }

    /// One file: a header naming `code`, `name` and `parentColumn`, then a division a line.
    static func parse(_ text: String, file: String, parentColumn: String?) throws(ConfigFileError) -> [Division] {
        var diagnostics: [Diagnostic] = []
        func error(_ line: Int, _ column: Int, _ message: String) {
            diagnostics.append(Diagnostic(file: file, line: line, column: column, severity: .error, message: message))
        }
        let lines = CSVLine.lines(of: text)
        guard let header = lines.first?.fields else {
            throw ConfigFileError(file: file, message: "the file is empty, or its header leaves a quote open")
        }
        let names = header.map(\.value)
        let wanted = ["code", "name"] + (parentColumn.map { [$0] } ?? [])
        let missing = wanted.filter { !names.contains($0) }
        guard missing.isEmpty else {
            throw ConfigFileError(file: file, message: "the header lacks \(missing.joined(separator: ", ")) (it has \(names.joined(separator: ",")))")
        }
        let (codeIndex, nameIndex) = (names.firstIndex(of: "code")!, names.firstIndex(of: "name")!)
        let parentIndex = parentColumn.flatMap { names.firstIndex(of: $0) }
        var divisions: [Division] = []
        for line in lines.dropFirst() {
            guard let fields = line.fields, fields.count == names.count else {
                error(line.number, 1, "expected \(names.count) fields (\(names.joined(separator: ","))), with balanced quotes")
                continue
            }
            let code = fields[codeIndex].value
            guard !code.isEmpty, code.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                error(line.number, fields[codeIndex].column, "'\(code)' is not a division code")
                continue
            }
            let name = fields[nameIndex].value
            guard !name.isEmpty else {
                error(line.number, fields[nameIndex].column, "the name is empty")
                continue
            }
            let parent = parentIndex.map { fields[$0].value }
            if let parent, let parentIndex, !code.hasPrefix(parent) {
                error(line.number, fields[parentIndex].column, "\(code) does not start with its parent's code \(parent)")
                continue
            }
            divisions.append(Division(code: code, name: name, parent: parent))
        }
        guard diagnostics.isEmpty else { throw ConfigFileError(diagnostics) }
        return divisions
    }

    /// The names the lists give cities that are only placeholders: their counties sit directly under the province
    /// (`direct: true`), as 北京's districts and 湖北's 仙桃 do.
    public static let placeholderCityNames: Set<String> = ["市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"]

    /// What `topology(of:)` made, and what it left out and why.
    public struct Imported: Sendable {
        public var yaml: String
        public var counts: [Level: Int]
        public var skipped: [String]
    }

    /// The topology of `region` (a province's code, or `CN` for the whole country) with the official names and the real
    /// wrinkles of SPEC §3: placeholder cities dropped (their counties `direct: true` under the province), placeholder
    /// counties `xxxx00` dropped (their townships under the city), and codes no region may have (`350527000`, a
    /// placeholder township of all zeros) left out and listed. Regions of the levels in `urls` get a url from
    /// `urlPattern` (`{code}` replaced), for the operator to correct.
    public func topology(
        of region: RegionCode,
        urls: Set<Level> = [],
        urlPattern: String = Self.defaultURLPattern,
        source: String
    )
        throws(InputError) -> Imported
    {
        var children: [String: [Division]] = [:]
        for division in cities + areas + streets { children[division.parent ?? "", default: []].append(division) }
        var counts: [Level: Int] = [:]
        var skipped: [String] = []
        var lines = [
            "# The topology of \(region) from the official 统计用区划代码 (\(source)), written by congress topology import.",
            "# Regions with a url run a node: set each url to the node's real address.",
            "version: 1",
            "defaults:",
            "  sync: { schedule: \"02:00\", timezone: Asia/Shanghai }",
            "root:",
        ]
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        func url(_ code: String, _ level: Level) -> String? {
            urls.contains(level) ? urlPattern.replacingOccurrences(of: "{code}", with: code) : nil
        }
        func spaces(_ count: Int) -> String { String(repeating: " ", count: count) }
        /// A region as a block: its keys at column `keys`, its first line starting with `first`, its children below.
        func block(_ code: String, _ name: String, _ level: Level, direct: Bool = false, keys: Int, first: String, kids: () -> Void) {
            lines.append(first + "code: \(quoted(code))")
            lines.append(spaces(keys) + "name: \(quoted(name))")
            lines.append(spaces(keys) + "level: \(level.rawValue)")
            if direct { lines.append(spaces(keys) + "direct: true") }
            if let url = url(code, level) { lines.append(spaces(keys) + "url: \(url)") }
            counts[level, default: 0] += 1
            let before = lines.count
            lines.append(spaces(keys) + "children:")
            kids()
            if lines.count == before + 1 { lines.removeLast() }
        }
        /// A county's townships, one line each, their dashes at column `dash`.
        func townships(of county: String, dash: Int) {
            for street in children[county] ?? [] {
                guard RegionCode(street.code) != nil else {
                    skipped.append("\(street.code) \(street.name): not a region code (its last segment is all zeros)")
                    continue
                }
                let link = url(street.code, .township).map { ", url: \($0)" } ?? ""
                lines.append(spaces(dash) + "- { code: \(quoted(street.code)), name: \(quoted(street.name)), level: township\(link) }")
                counts[.township, default: 0] += 1
            }
        }
        func counties(of city: Division, direct: Bool, dash: Int) {
            for area in children[city.code] ?? [] {
                guard area.code != city.code + "00" else {
                    townships(of: area.code, dash: dash)  // a city without counties: 东莞's 441900 is no county
                    continue
                }
                block(area.code, area.name, .county, direct: direct, keys: dash + 2, first: spaces(dash) + "- ") {
                    townships(of: area.code, dash: dash + 4)
                }
            }
        }
        func province(_ division: Division, keys: Int, first: String) {
            block(division.code, division.name, .province, keys: keys, first: first) {
                for city in children[division.code] ?? [] {
                    if Self.placeholderCityNames.contains(city.name) {
                        counties(of: city, direct: true, dash: keys + 2)
                    } else {
                        block(city.code, city.name, .city, keys: keys + 4, first: spaces(keys + 2) + "- ") {
                            counties(of: city, direct: false, dash: keys + 6)
                        }
                    }
                }
            }
        }
        if region.isNation {
            block("CN", "全国", .national, keys: 2, first: "  ") {
                for division in provinces { province(division, keys: 6, first: "    - ") }
            }
        } else {
            guard region.level == .province, let division = provinces.first(where: { $0.code == region.rawValue }) else {
                throw InputError(field: "region", message: "\(region) is not a province of this list (give a province's 2 digits, or CN)")
            }
            province(division, keys: 2, first: "  ")
        }
        return Imported(yaml: lines.joined(separator: "\n") + "\n", counts: counts, skipped: skipped)
    }

    /// Where an imported node's url points until the operator sets the real one.
    public static let defaultURLPattern = "https://{code}.congress.example"
}
