#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A URL query parameter an endpoint takes: what values it accepts. The same definition parses requests and states
/// the parameter in the API document, so the two cannot disagree.
public struct QueryParameter: Sendable {
    public enum Value: Sendable {
        /// A region code (SPEC §3), within `RegionCode`'s widths.
        case region
        case integer(ClosedRange<Int>)
        case choice([String])
        case uuid
        case boolean
        /// A list's `nextCursor`: of the region order, or of any order the list takes (`anyOrder`).
        case cursor(anyOrder: Bool)
        /// A token: printable ASCII without spaces.
        case token(maxLength: Int)
        /// A day, `YYYY-MM-DD`.
        case date
        /// A `personKey`: `p2` and 64 hex digits, or 64 hex digits as older releases wrote it.
        case personKey
        /// Any text of 1 to `maxLength` characters (Unicode scalars, as JSON Schema counts them): a name to look up.
        case text(maxLength: Int)
    }

    public let name: String
    public let value: Value
    public let summary: String
    /// How a value it does not accept is refused: 422 by default, 400 where the protocol says so (a sync feed's `since`).
    public let refusal: InputError.Code

    /// A request without it is refused (422), naming it.
    public let required: Bool

    public init(_ name: String, _ value: Value, summary: String, refusal: InputError.Code = .invalid, required: Bool = false) {
        self.name = name
        self.value = value
        self.summary = summary
        self.refusal = refusal
        self.required = required
    }

    public static func choice<Choice: RawRepresentable & CaseIterable>(_ name: String, _ type: Choice.Type, summary: String) -> QueryParameter
    where Choice.RawValue == String {
        QueryParameter(name, .choice(Choice.allCases.map(\.rawValue)), summary: summary)
    }

    /// Throws unless this parameter accepts `text`, naming the parameter.
    func check(_ text: String) throws(InputError) {
        do {
            try checkValue(text)
        } catch {
            throw InputError(refusal, field: error.field, message: error.message)
        }
    }

    private func checkValue(_ text: String) throws(InputError) {
        switch value {
        case .region:
            _ = try RegionCode.parameter(text, field: name)
        case .integer(let range):
            guard let number = Int(text), range.contains(number) else {
                throw InputError(field: name, message: "'\(text)': must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
        case .choice(let values):
            guard values.contains(text) else { throw InputError(field: name, message: "'\(text)' is not one of \(values.joined(separator: ", "))") }
        case .uuid:
            guard UUID(uuidString: text) != nil else { throw InputError(field: name, message: "'\(text)' is not a UUID") }
        case .boolean:
            guard Bool(text) != nil else { throw InputError(field: name, message: "'\(text)': must be true or false") }
        case .cursor(let anyOrder):
            guard let cursor = ListCursor(text), anyOrder || cursor.continuesRegionOrder else {
                throw InputError(field: name, message: "not a cursor from this API: pass nextCursor unchanged")
            }
        case .token(let maxLength):
            guard !text.isEmpty, text.utf8.count <= maxLength, text.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw InputError(field: name, message: "not a token: at most \(maxLength) printable characters without spaces")
            }
        case .personKey:
            let hex = text.hasPrefix(PersonKeyDeriver.prefix) ? String(text.dropFirst(PersonKeyDeriver.prefix.count)) : text
            guard PersonKeyDeriver.isLegacy(hex) else {
                throw InputError(field: name, message: "'\(text.prefix(80))': a person key is p2 and 64 lowercase hexadecimal digits")
            }
        case .date:
            guard CalendarDate(text) != nil else { throw InputError(field: name, message: "'\(text.prefix(40))' is not a day (YYYY-MM-DD)") }
        case .text(let maxLength):
            guard (1...maxLength).contains(text.unicodeScalars.count) else {
                throw InputError(field: name, message: "must be 1 to \(maxLength) characters")
            }
        }
    }
}

/// The parameters of one request, each checked against its definition: read them with the typed accessors.
public struct QueryValues: Sendable {
    private var values: [String: String]

    /// Refuses an unknown parameter (with a did-you-mean), a value its definition does not accept, and a parameter
    /// given twice, naming the parameter.
    public init(_ pairs: [(String, String)], accepting parameters: [QueryParameter]) throws(InputError) {
        var values: [String: String] = [:]
        for (name, text) in pairs {
            guard let parameter = parameters.first(where: { $0.name == name }) else {
                throw InputError.unknownParameter(name, known: parameters.map(\.name))
            }
            guard values[name] == nil else { throw InputError(.badRequest, field: name, message: "'\(name)' is given twice; give it once") }
            try parameter.check(text)
            values[name] = text
        }
        if let missing = parameters.first(where: { $0.required && values[$0.name] == nil }) {
            throw InputError(field: missing.name, message: "missing required parameter '\(missing.name)'")
        }
        self.values = values
    }

    public func contains(_ name: String) -> Bool { values[name] != nil }
    public func text(_ name: String) -> String? { values[name] }
    public func region(_ name: String) -> RegionCode? { values[name].flatMap(RegionCode.init) }
    public func integer(_ name: String) -> Int? { values[name].flatMap { Int($0) } }
    public func boolean(_ name: String) -> Bool? { values[name].flatMap { Bool($0) } }
    public func date(_ name: String) -> CalendarDate? { values[name].flatMap(CalendarDate.init) }
    public func uuid(_ name: String) -> UUID? { values[name].flatMap { UUID(uuidString: $0) } }
    public func choice<Choice: RawRepresentable>(_ name: String, as type: Choice.Type) -> Choice? where Choice.RawValue == String {
        values[name].flatMap(Choice.init(rawValue:))
    }
}
