#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One problem found in a file, printed as `FILE:LINE:COL: error: MESSAGE`.
public struct Diagnostic: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }

    public var file: String
    public var line: Int
    public var column: Int
    public var severity: Severity
    public var message: String

    public init(file: String, line: Int, column: Int, severity: Severity, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
    }

    public init(file: String, at position: SourcePosition, severity: Severity, message: String) {
        self.init(file: file, line: position.line, column: position.column, severity: severity, message: message)
    }

    public var description: String { "\(file):\(line):\(column): \(severity.rawValue): \(message)" }

    /// Reads back a line `description` wrote (a node's refusal of a file the command line sent it); nil for another.
    public init?(parsing text: String) {
        for severity in [Severity.error, .warning] {
            guard let marker = text.range(of: ": \(severity.rawValue): ") else { continue }
            let place = text[..<marker.lowerBound].split(separator: ":", omittingEmptySubsequences: false)
            guard place.count >= 3, let line = Int(place[place.count - 2]), let column = Int(place[place.count - 1]) else { return nil }
            let file = place.dropLast(2).joined(separator: ":")
            self.init(file: file, line: line, column: column, severity: severity, message: String(text[marker.upperBound...]))
            return
        }
        return nil
    }
}

/// Where something was written in a file (1-based), kept for problems found after parsing.
public struct SourcePosition: Sendable, Equatable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static let start = SourcePosition(line: 1, column: 1)
}

/// A file that could not be accepted: every error found in it, warnings alongside.
public struct ConfigFileError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public init(file: String, message: String) {
        self.diagnostics = [Diagnostic(file: file, line: 1, column: 1, severity: .error, message: message)]
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Reads an operator's file as UTF-8 text, or says why not in the file's own error format.
public enum ConfigFile {
    public static func text(atPath path: String, what: String, hint: String? = nil) throws(ConfigFileError) -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigFileError(file: path, message: "cannot read \(what) (missing, unreadable or not UTF-8)" + (hint.map { "; \($0)" } ?? ""))
        }
        return text
    }
}
