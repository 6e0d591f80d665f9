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

    public var description: String { "\(file):\(line):\(column): \(severity.rawValue): \(message)" }
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
