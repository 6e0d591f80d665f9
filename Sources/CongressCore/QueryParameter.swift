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
        /// An opaque token such as a cursor, in the URL-safe base64 alphabet.
        case base64URL(maxLength: Int)
        /// A lowercase hexadecimal digest of `length` digits (a `personKey`).
        case hex(length: Int)
    }

    public let name: String
    public let value: Value
    public let summary: String

    public init(_ name: String, _ value: Value, summary: String) {
        self.name = name
        self.value = value
        self.summary = summary
    }

    public static func choice<Choice: RawRepresentable & CaseIterable>(_ name: String, _ type: Choice.Type, summary: String) -> QueryParameter
    where Choice.RawValue == String {
        QueryParameter(name, .choice(Choice.allCases.map(\.rawValue)), summary: summary)
    }

    /// The value as given, if it is one this parameter accepts; else the reason, with the parameter named.
    func check(_ text: String) throws(InputError) {
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
        case .base64URL(let maxLength):
            let alphabet = { (byte: UInt8) in
                byte.isASCIIAlphanumeric || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "=")
            }
            guard !text.isEmpty, text.utf8.count <= maxLength, text.utf8.allSatisfy(alphabet) else {
                throw InputError(field: name, message: "'\(text.prefix(80))' is not a \(name) this API hands out: pass it unchanged")
            }
        case .hex(let length):
            let digit = { (byte: UInt8) in (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) }
            guard text.utf8.count == length, text.utf8.allSatisfy(digit) else {
                throw InputError(field: name, message: "'\(text.prefix(80))': must be \(length) lowercase hexadecimal digits")
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
        self.values = values
    }

    public func contains(_ name: String) -> Bool { values[name] != nil }
    public func text(_ name: String) -> String? { values[name] }
    public func region(_ name: String) -> RegionCode? { values[name].flatMap(RegionCode.init) }
    public func integer(_ name: String) -> Int? { values[name].flatMap { Int($0) } }
    public func boolean(_ name: String) -> Bool? { values[name].flatMap { Bool($0) } }
    public func uuid(_ name: String) -> UUID? { values[name].flatMap { UUID(uuidString: $0) } }
    public func choice<Choice: RawRepresentable>(_ name: String, as type: Choice.Type) -> Choice? where Choice.RawValue == String {
        values[name].flatMap(Choice.init(rawValue:))
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool { (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) }
}
