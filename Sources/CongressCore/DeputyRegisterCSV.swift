#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads a deputy register (代表花名册) as offices keep it in Excel and save it as CSV, for `congress deputies import`.
///
/// Columns are found by their Chinese headers, in any order; values are read in the forms offices type (男/女, 1975年6月,
/// 第十五届, 在任…). Each row is checked by the rules the node applies (``Deputy/validate(regionCode:node:)``, the ID
/// number's check digit), and every problem of every row is reported at once as `FILE:LINE:COL`: a register is fixed
/// in one pass, and nothing is sent until all of it is right. The ID number goes into ``RecordInput/idNumber`` (the
/// node turns it into `personKey` and drops it) and never into a message.
public enum DeputyRegisterCSV {
    public typealias Row = ImportRow<Deputy>

    /// What a column of the register gives; the raw value is the field of ``Deputy`` (or ``RecordInput``) it fills.
    public enum Column: String, CaseIterable, Sendable {
        case name, gender, ethnicity, birthMonth, party, occupation, level, term, constituency, delegation, status, phone, idNumber
        case region = "regionCode"

        /// The headers offices write for it; messages use the one the file has.
        public var headers: [String] {
            switch self {
            case .name: ["姓名"]
            case .gender: ["性别"]
            case .ethnicity: ["民族"]
            case .birthMonth: ["出生年月"]
            case .party: ["党派"]
            case .occupation: ["职业"]
            case .level: ["层级", "代表层级"]
            case .term: ["届次"]
            case .constituency: ["选区"]
            case .delegation: ["代表团"]
            case .status: ["状态"]
            case .phone: ["手机", "手机号码"]
            case .idNumber: ["身份证号", "身份证号码", "公民身份号码"]
            // Where the deputy lives or works (the record's `regionCode`), per row instead of `--region`.
            case .region: ["行政区划代码", "选区代码"]
            }
        }

        /// The columns a register cannot do without.
        public static let required: [Column] = [.name, .gender, .level]

        fileprivate static let byHeader: [String: Column] = Dictionary(
            uniqueKeysWithValues: allCases.flatMap { column in column.headers.map { ($0, column) } }
        )
    }

    /// What the rows do not say: the node the file goes to, and the congress, region and term given on the command line.
    public struct Defaults: Sendable {
        public var node: RegionCode
        /// The congress of the rows (`--congress`, else the node's own): a row of a higher level belongs to the congress
        /// above it that holds it, a row of a lower level to the one its region code names.
        public var congress: RegionCode
        /// Where the deputies live or work (`--region`, else the node's own), unless a row says.
        public var region: RegionCode
        /// The term of rows that leave 届次 out (`--term`).
        public var term: Int?

        public init(node: RegionCode, congress: RegionCode? = nil, region: RegionCode? = nil, term: Int? = nil) throws(InputError) {
            self.node = node
            self.congress = congress ?? node
            self.region = region ?? node
            self.term = term
            for (code, option) in [(self.congress, "--congress"), (self.region, "--region")] where !node.contains(code) {
                throw InputError(.outOfScope, field: option, message: "\(code) lies outside this node's subtree (\(node))")
            }
            guard self.congress.level != nil else {
                throw InputError(field: "--congress", message: "\(self.congress) is a village or community, which has no congress")
            }
            if let term, !Deputy.Limit.terms.contains(term) {
                throw InputError(field: "--term", message: "a term is from 1 to 99, not \(term)")
            }
        }
    }

    /// The rows of `text` (the file `file`, for messages) as the node's import takes them, or every problem found.
    public static func parse(_ text: String, file: String, defaults: Defaults) throws(ConfigFileError) -> [Row] {
        var diagnostics: [Diagnostic] = []
        func error(_ line: Int, _ column: Int, _ message: String) {
            diagnostics.append(Diagnostic(file: file, line: line, column: column, severity: .error, message: message))
        }
        let lines = CSVLine.lines(of: text)
        guard let first = lines.first else {
            throw ConfigFileError(file: file, message: "the file lists no deputies: its first line names the columns (姓名,性别,层级,…)")
        }
        guard let headerFields = first.fields else {
            throw ConfigFileError([Diagnostic(file: file, line: first.number, column: 1, severity: .error, message: openQuote)])
        }
        let header = Header(headerFields)
        for problem in header.problems(termGiven: defaults.term != nil) { error(first.number, problem.column, problem.message) }
        guard diagnostics.isEmpty else { throw ConfigFileError(diagnostics) }

        var rows: [Row] = []
        // Congress, term and normalized ID number → the line that gave them first.
        var mandates: [String: Int] = [:]
        for line in lines.dropFirst() {
            guard let fields = line.fields else {
                error(line.number, 1, openQuote)
                continue
            }
            var reader = RowReader(header: header, fields: fields, defaults: defaults)
            let input = reader.read()
            if let input, let idNumber = input.idNumber {
                // Two rows of one person in one congress and term are one mandate typed twice.
                let (congress, term) = (input.body.congressCode, input.body.term)
                if let earlier = mandates["\(congress) \(term) \(idNumber)"] {
                    reader.problem(.idNumber, "the same person as line \(earlier), in the same congress (\(congress)) and term (\(term))")
                } else {
                    mandates["\(congress) \(term) \(idNumber)"] = line.number
                }
            }
            for problem in reader.problems.enumerated().sorted(by: { ($0.element.column, $0.offset) < ($1.element.column, $1.offset) }) {
                error(line.number, problem.element.column, problem.element.message)
            }
            if let input, reader.problems.isEmpty { rows.append(Row(line: line.number, input: input)) }
        }
        if rows.isEmpty && diagnostics.isEmpty { error(first.number, 1, "the file lists no deputies below its header") }
        guard diagnostics.isEmpty else { throw ConfigFileError(diagnostics) }
        return rows
    }

    private static let openQuote = "a quote is left open (a line break inside a cell is not supported: remove it in Excel)"
}

/// The register's first line: which column each header names.
private struct Header {
    let fields: [CSVLine.Field]
    /// Column → index of its field.
    private(set) var index: [DeputyRegisterCSV.Column: Int] = [:]
    private var duplicates: [(field: CSVLine.Field, first: CSVLine.Field)] = []
    private var unknown: [CSVLine.Field] = []
    /// Fields of the office's bookkeeping columns (`bookkeeping`): their values are read past.
    private(set) var ignored: Set<Int> = []

    init(_ fields: [CSVLine.Field]) {
        self.fields = fields
        for (position, field) in fields.enumerated() {
            let name = Self.normalized(field.value)
            if name.isEmpty { continue }
            if Self.bookkeeping.contains(name) {
                ignored.insert(position)
                continue
            }
            guard let column = DeputyRegisterCSV.Column.byHeader[name] else {
                unknown.append(field)
                continue
            }
            if let first = index[column] {
                duplicates.append((field, fields[first]))
            } else {
                index[column] = position
            }
        }
    }

    /// Columns registers keep for the office's own bookkeeping (a row number, remarks): read past, never imported.
    static let bookkeeping: Set<String> = ["序号", "编号", "备注"]

    /// Spaces inside a header are ignored: forms align two-character headers as `姓  名`.
    static func normalized(_ header: String) -> String { header.filter { !$0.isWhitespace } }

    /// The header the file uses for `column`, for messages.
    func name(_ column: DeputyRegisterCSV.Column) -> String {
        index[column].map { fields[$0].value } ?? column.headers[0]
    }

    func problems(termGiven: Bool) -> [(column: Int, message: String)] {
        let known = DeputyRegisterCSV.Column.allCases.map { $0.headers[0] }
        guard !index.isEmpty else {
            return [(1, "the first line names no column of a deputy register (\(known.joined(separator: ", "))): it must be the header row")]
        }
        var problems: [(column: Int, message: String)] = []
        for field in unknown {
            let name = field.value
            let candidates = DeputyRegisterCSV.Column.allCases.flatMap(\.headers)
            if let suggestion = Suggestion.closest(to: Self.normalized(name), in: candidates) {
                problems.append((field.column, "unknown column '\(name)'; did you mean '\(suggestion)'?"))
            } else {
                problems.append((field.column, "unknown column '\(name)' (a register's columns: \(known.joined(separator: ", ")))"))
            }
        }
        for (field, first) in duplicates {
            problems.append((field.column, "'\(field.value)' names the same column as '\(first.value)' at column \(first.column): keep one"))
        }
        let missing = DeputyRegisterCSV.Column.required.filter { index[$0] == nil }.map { $0.headers[0] }
        if !missing.isEmpty {
            let required = DeputyRegisterCSV.Column.required.map { $0.headers[0] }
            let list = required.dropLast().joined(separator: ", ") + " and " + required.last!
            problems.append((1, "missing column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")): a register needs \(list)"))
        }
        if index[.term] == nil && !termGiven {
            problems.append((1, "no 届次 column and no --term: give the deputies' term one way or the other"))
        }
        // In the order of the line, the problems of one column in the order found.
        return problems.enumerated().sorted { ($0.element.column, $0.offset) < ($1.element.column, $1.offset) }.map(\.element)
    }
}

/// One data line read against the header: the record it gives, and what is wrong with it.
private struct RowReader {
    typealias Column = DeputyRegisterCSV.Column

    let header: Header
    let fields: [CSVLine.Field]
    let defaults: DeputyRegisterCSV.Defaults
    private(set) var problems: [(column: Int, message: String)] = []

    init(header: Header, fields: [CSVLine.Field], defaults: DeputyRegisterCSV.Defaults) {
        self.header = header
        self.fields = fields
        self.defaults = defaults
    }

    /// The row's record (its ID number normalized), or nil when it has problems (each said in `problems`).
    mutating func read() -> RecordInput<Deputy>? {
        checkStrayValues()
        let name = value(.name) ?? ""
        let gender = required(.gender, Self.genders[code(.gender)?.lowercased() ?? ""], "write 男 or 女")
        let level = required(.level, code(.level).flatMap(Self.level), "write 全国, 省, 市, 县 (区) or 乡镇 (乡, 镇)")
        let birthMonth = optional(.birthMonth, Self.month, "write it as 1975-06, 1975.06, 1975/6, 1975年6月 or 197506")
        let status = optional(.status, { Self.statuses[$0.lowercased()] }, "write 在任, 辞职, 罢免, 终止 or 暂停") ?? .inOffice
        var term = optional(.term, Self.term, "write 15 or 第十五届")
        if term == nil && value(.term) == nil {
            term = defaults.term
            if term == nil { problem(.term, "empty, and no --term gives one") }
        }
        var region: RegionCode? = defaults.region
        if let text = code(.region) {
            region = Self.isExcelNumber(text) ? nil : RegionCode(text)
            if region == nil { problem(.region, Self.isExcelNumber(text) ? Self.excelNumber : "'\(text)': \(RegionCode.formatHint)") }
        }
        var idNumber: String?
        if let text = code(.idNumber) {
            if Self.isExcelNumber(text) {
                problem(.idNumber, Self.excelNumber)
            } else {
                do throws(InputError) {
                    idNumber = try NationalID.normalized(text)
                } catch {
                    problem(.idNumber, error.message)
                }
            }
        }
        let phone = code(.phone)
        if let phone, Self.isExcelNumber(phone) { problem(.phone, Self.excelNumber) }
        var congress: RegionCode?
        // An unreadable region says nothing of the congress either.
        if let level, let region {
            // A row's region, when it lies in the congress given, may say which congress of a lower level it belongs to.
            let base = defaults.congress.contains(region) ? region : defaults.congress
            congress = base.enclosing(at: level)
            if congress == nil, let width = level.codeWidth {
                problem(
                    .level,
                    "a \(level.rawValue) congress is written as \(width) digits, but the congress is \(defaults.congress): "
                        + "give --congress with its code, or a \(Column.region.headers[0]) column that deep"
                )
            }
        }
        guard problems.isEmpty, let gender, let level, let term, let region, let congress else { return nil }
        var deputy = Deputy(
            name: name,
            gender: gender,
            ethnicity: value(.ethnicity),
            birthMonth: birthMonth,
            party: value(.party),
            occupation: value(.occupation),
            level: level,
            congressCode: congress,
            term: term,
            constituency: value(.constituency),
            delegation: value(.delegation),
            status: status,
            phone: phone
        )
        do throws(InputError) {
            // The node's own rules, so that what passes here passes there.
            _ = try deputy.validate(regionCode: region, node: defaults.node)
        } catch {
            switch error.field {
            case "congressCode": problem(.level, "the congress " + error.message)
            case let field?: problem(Column(rawValue: field) ?? .name, error.message)
            case nil: problem(.name, error.message)
            }
            return nil
        }
        return RecordInput(regionCode: region, idNumber: idNumber, body: deputy)
    }

    mutating func problem(_ column: Column, _ message: String) {
        problems.append((field(column)?.column ?? 1, "\(header.name(column)): \(message)"))
    }

    private func field(_ column: Column) -> CSVLine.Field? {
        header.index[column].flatMap { fields.indices.contains($0) ? fields[$0] : nil }
    }

    /// The cell's text without the spaces around it; nil when empty or absent.
    private func value(_ column: Column) -> String? {
        guard let value = field(column)?.value, !value.isEmpty else { return nil }
        return value
    }

    /// The cell made half-width: input methods type full-width digits and letters (`１９７５`) in codes and numbers.
    private func code(_ column: Column) -> String? {
        value(column).map { text in
            String(String.UnicodeScalarView(text.unicodeScalars.map { Self.fullWidth.contains($0.value) ? Unicode.Scalar($0.value - 0xFEE0)! : $0 }))
        }
    }

    private static let fullWidth: ClosedRange<UInt32> = 0xFF01...0xFF5E

    private mutating func required<Value>(_ column: Column, _ parsed: Value?, _ hint: String) -> Value? {
        guard let text = value(column) else {
            problem(column, "empty: \(hint)")
            return nil
        }
        guard let parsed else {
            problem(column, "'\(text)' is not \(Self.what[column] ?? "valid"): \(hint)")
            return nil
        }
        return parsed
    }

    private mutating func optional<Value>(_ column: Column, _ parse: (String) -> Value?, _ hint: String) -> Value? {
        guard let text = code(column) else { return nil }
        guard let parsed = parse(text) else {
            problem(column, "'\(value(column) ?? text)' is not \(Self.what[column] ?? "valid"): \(hint)")
            return nil
        }
        return parsed
    }

    /// A value in a column the header does not name would be lost without a word.
    private mutating func checkStrayValues() {
        let named = Set(header.index.values).union(header.ignored)
        for (position, field) in fields.enumerated() where !named.contains(position) && !field.value.isEmpty {
            let message = "a value in a column without a header: name the column in the first line or clear it"
            problems.append((field.column, message))
        }
    }

    private static let what: [Column: String] = [
        .gender: "a gender", .level: "a congress level", .birthMonth: "a month", .status: "a status", .term: "a term",
    ]

    private static let genders: [String: Deputy.Gender] = ["男": .male, "女": .female, "male": .male, "female": .female]

    private static let statuses: [String: Deputy.Status] = Dictionary(
        uniqueKeysWithValues: [("在任", .inOffice), ("辞职", .resigned), ("罢免", .recalled), ("终止", .terminated), ("暂停", .suspended)]
            + Deputy.Status.allCases.map { ($0.rawValue, $0) }
    )

    /// 全国, 省, 市, 县, 乡, 镇, 乡镇 and the level names; 区 is a county-level district (市辖区) and 自治区 a province;
    /// `级` after any of them (县级) is the same.
    static func level(_ text: String) -> Level? {
        let names: [String: Level] = [
            "全国": .national, "省": .province, "自治区": .province, "市": .city, "县": .county, "区": .county,
            "乡": .township, "镇": .township, "乡镇": .township,
        ]
        let lowered = text.lowercased()
        if let level = Level(rawValue: lowered) ?? names[lowered] { return level }
        return lowered.hasSuffix("级") ? names[String(lowered.dropLast())] : nil
    }

    /// `15`, `第十五届`, `十五`, `第15届`.
    static func term(_ text: String) -> Int? {
        var core = Substring(text)
        if core.hasPrefix("第") { core = core.dropFirst() }
        if core.hasSuffix("届") { core = core.dropLast() }
        if let number = Int(core), core.allSatisfy(\.isASCII) { return number }
        let digits: [Character: Int] = ["一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9]
        let characters = Array(core)
        switch characters.count {
        case 1: return characters[0] == "十" ? 10 : digits[characters[0]]
        case 2 where characters[0] == "十": return digits[characters[1]].map { 10 + $0 }
        case 2 where characters[1] == "十": return digits[characters[0]].map { $0 * 10 }
        case 3 where characters[1] == "十": return digits[characters[0]].flatMap { tens in digits[characters[2]].map { tens * 10 + $0 } }
        default: return nil
        }
    }

    /// `1975-06`, `1975.06`, `1975/6`, `1975年6月`, `197506`; a day after the month (`1975/6/15`, as Excel writes a
    /// date cell) is read and dropped.
    static func month(_ text: String) -> YearMonth? {
        var parts: [Substring]
        if text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard text.count == 6 || text.count == 8 else { return nil }
            let start = text.startIndex
            let monthStart = text.index(start, offsetBy: 4)
            let dayStart = text.index(start, offsetBy: 6)
            parts = [text[start..<monthStart], text[monthStart..<dayStart]] + (text.count == 8 ? [text[dayStart...]] : [])
        } else {
            parts = text.split(whereSeparator: { "-./年月日".contains($0) })
            guard text.first?.isNumber == true, !"-./年".contains(text.last!) else { return nil }
        }
        guard (2...3).contains(parts.count), parts[0].count == 4, parts.dropFirst().allSatisfy({ (1...2).contains($0.count) }),
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }), let year = Int(parts[0]), let month = Int(parts[1])
        else { return nil }
        if parts.count == 3 {
            guard (1...12).contains(month), let day = Int(parts[2]), (1...CalendarDate.days(inMonth: month, year: year)).contains(day) else {
                return nil
            }
        }
        return YearMonth("\(CalendarDate.pad(year, 4))-\(CalendarDate.pad(month, 2))")
    }

    /// Excel shows a long number typed into a cell not formatted as text as `4.20802E+17`, and its CSV keeps that:
    /// the digits after the fifteenth are gone for good.
    static func isExcelNumber(_ text: String) -> Bool {
        let parts = text.uppercased().split(separator: "E+", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty, parts[1].allSatisfy(\.isNumber) else { return false }
        return parts[0].first?.isNumber == true && parts[0].allSatisfy { $0.isNumber || $0 == "." }
    }

    static let excelNumber =
        "Excel wrote this number in scientific notation (like 4.2E+17) and lost its last digits: format the column as text (文本) and type the numbers again"
}
