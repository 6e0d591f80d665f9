/// A request, file or argument that cannot be accepted, with the field it concerns.
///
/// Rendered as SPEC §10's `{"error": {"code", "message", "field"}}` by the server.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Malformed: not JSON, unknown field, wrong type.
        case badRequest = "bad_request"
        /// Well-formed but not acceptable (bad code, outside the subtree, broken rule).
        case invalid = "invalid"
        /// Outside this node's subtree.
        case outOfScope = "out_of_scope"
    }

    public var code: Code
    public var field: String?
    public var message: String

    public init(_ code: Code = .invalid, field: String? = nil, message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public init(field: String?, message: String) {
        self.init(.invalid, field: field, message: message)
    }

    /// A query parameter the endpoint does not take, with the closest one it does.
    public static func unknownParameter(_ name: String, known: [String]) -> InputError {
        var message = "unknown query parameter '\(name)' (known: \(known.joined(separator: ", ")))"
        if let suggestion = Suggestion.closest(to: name, in: known) { message = "unknown query parameter '\(name)'; did you mean '\(suggestion)'?" }
        return InputError(.badRequest, field: name, message: message)
    }

    public var description: String {
        if let field { return "\(field): \(message)" }
        return message
    }

    /// The same error about a field nested under `prefix` (`staff[0]` + `role` → `staff[0].role`).
    public func nested(under prefix: String) -> InputError {
        var copy = self
        copy.field = field.map { $0.hasPrefix("[") ? prefix + $0 : prefix + "." + $0 } ?? prefix
        return copy
    }
}
