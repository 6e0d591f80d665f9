#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One line of a CSV file as offices write them (Excel's "CSV" and "CSV UTF-8", LibreOffice's): its fields, each with
/// the character column it starts at, so that a problem is reported where an editor shows it.
///
/// A field is read within one line: a line break inside quotes is not supported and reads as a quote left open.
public struct CSVLine: Sendable {
    public struct Field: Sendable, Equatable {
        /// As written, the quotes around it removed and doubled quotes made single.
        public var text: String
        /// The character column (from 1) where the field starts.
        public var column: Int

        /// Without the spaces around it, the ideographic space (U+3000) that Chinese input methods type included.
        public var value: String { text.trimmingCharacters(in: .whitespaces) }
    }

    /// The line's number in the file, from 1.
    public var number: Int
    /// Nil when a quote is left open.
    public var fields: [Field]?

    /// The lines worth reading: a leading byte-order mark dropped; lines ended by LF or CRLF (Excel writes CRLF);
    /// blank lines, `#` comments and lines of empty fields (Excel keeps them for rows once used) skipped.
    public static func lines(of text: String) -> [CSVLine] {
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        var lines: [CSVLine] = []
        // `\r\n` is one Character in Swift: splitting on "\n" alone would leave a CRLF file in one piece.
        for (index, line) in body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            if line.hasPrefix("#") { continue }
            let fields = Self.fields(of: String(line))
            if let fields, fields.allSatisfy({ $0.value.isEmpty }) { continue }
            lines.append(CSVLine(number: index + 1, fields: fields))
        }
        return lines
    }

    /// Splits one line on commas, honouring double quotes (`"a, b"`, and `""` for a quote inside them); nil when a quote
    /// is left open.
    public static func fields(of line: String) -> [Field]? {
        var fields: [Field] = []
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
                        fields.append(Field(text: current, column: start))
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
                fields.append(Field(text: current, column: start))
                current = ""
                start = column + 1
            default:
                current.append(character)
            }
        }
        guard !quoted else { return nil }
        fields.append(Field(text: current, column: start))
        return fields
    }
}
