/// Reads the village/community list for `congress units import` (SPEC §3: `code,name[,urbanRuralClass]`).
public enum UnitCSV {
    public struct Row: Sendable {
        public var line: Int
        public var input: RecordInput<Unit>
    }

    public static func parse(_ text: String, file: String) throws(ConfigFileError) -> [Row] {
        var rows: [Row] = []
        var diagnostics: [Diagnostic] = []
        func error(_ line: Int, _ column: Int, _ message: String) {
            diagnostics.append(Diagnostic(file: file, line: line, column: column, severity: .error, message: message))
        }
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        for (index, rawLine) in body.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : String(rawLine)
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            guard let fields = split(line) else {
                error(lineNumber, 1, "unbalanced quotes")
                continue
            }
            if rows.isEmpty && diagnostics.isEmpty && fields.first?.text.lowercased() == "code" { continue }
            guard (2...3).contains(fields.count) else {
                error(lineNumber, 1, "expected code,name[,urbanRuralClass], found \(fields.count) fields")
                continue
            }
            let (codeText, codeColumn) = (fields[0].text.trimmingCharacters(in: .whitespaces), fields[0].column)
            guard let code = RegionCode(codeText), code.isUnit else {
                error(lineNumber, codeColumn, "'\(codeText)' is not a 12-digit village/community code")
                continue
            }
            let name = fields[1].text.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else {
                error(lineNumber, fields[1].column, "the name is empty")
                continue
            }
            var urbanRuralClass: String?
            if fields.count == 3 {
                let value = fields[2].text.trimmingCharacters(in: .whitespaces)
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

    /// Splits one line on commas, honouring double quotes ("a, b" and "" for a quote); columns count characters from 1.
    static func split(_ line: String) -> [(text: String, column: Int)]? {
        var fields: [(String, Int)] = []
        var current = ""
        var start = 1
        var quoted = false
        var column = 0
        var characters = Array(line).makeIterator()
        while let character = characters.next() {
            column += 1
            switch character {
            case "\"" where quoted:
                if let next = characters.next() {
                    column += 1
                    if next == "\"" {
                        current.append("\"")
                    } else if next == "," {
                        quoted = false
                        fields.append((current, start))
                        current = ""
                        start = column + 1
                    } else {
                        quoted = false
                        current.append(next)
                    }
                } else {
                    quoted = false
                }
            case "\"" where current.isEmpty:
                quoted = true
            case "," where !quoted:
                fields.append((current, start))
                current = ""
                start = column + 1
            default:
                current.append(character)
            }
        }
        guard !quoted else { return nil }
        fields.append((current, start))
        return fields
    }
}
