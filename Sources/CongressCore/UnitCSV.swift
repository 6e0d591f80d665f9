/// Reads the village/community list for `congress units import` (SPEC §3: `code,name[,urbanRuralClass]`).
public enum UnitCSV {
    public typealias Row = ImportRow<Unit>

    public static func parse(_ text: String, file: String) throws(ConfigFileError) -> [Row] {
        var rows: [Row] = []
        var diagnostics: [Diagnostic] = []
        func error(_ line: Int, _ column: Int, _ message: String) {
            diagnostics.append(Diagnostic(file: file, line: line, column: column, severity: .error, message: message))
        }
        for line in CSVLine.lines(of: text) {
            let lineNumber = line.number
            guard let fields = line.fields else {
                error(lineNumber, 1, "unbalanced quotes")
                continue
            }
            if rows.isEmpty && diagnostics.isEmpty && fields.first?.text.lowercased() == "code" { continue }
            guard (2...3).contains(fields.count) else {
                error(lineNumber, 1, "expected code,name[,urbanRuralClass], found \(fields.count) fields")
                continue
            }
            let (codeText, codeColumn) = (fields[0].value, fields[0].column)
            guard let code = RegionCode(codeText), code.isUnit else {
                error(lineNumber, codeColumn, "'\(codeText)' is not a 12-digit village/community code")
                continue
            }
            let name = fields[1].value
            guard !name.isEmpty else {
                error(lineNumber, fields[1].column, "the name is empty")
                continue
            }
            var urbanRuralClass: String?
            if fields.count == 3 {
                let value = fields[2].value
                if !value.isEmpty {
                    guard Unit.urbanRuralClasses.contains(value) else {
                        error(
                            lineNumber,
                            fields[2].column,
                            "'\(value)' is not an urban-rural class (\(Unit.urbanRuralClasses.sorted().joined(separator: ", ")))"
                        )
                        continue
                    }
                    urbanRuralClass = value
                }
            }
            rows.append(Row(line: lineNumber, input: RecordInput(body: Unit(code: code, name: name, urbanRuralClass: urbanRuralClass))))
        }
        if rows.isEmpty && diagnostics.isEmpty { error(1, 1, "the file lists no units") }
        guard diagnostics.isEmpty else { throw ConfigFileError(diagnostics) }
        return rows
    }
}
