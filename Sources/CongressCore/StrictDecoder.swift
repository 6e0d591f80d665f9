#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Decodes JSON into `Decodable` types and refuses what the type does not know.
///
/// Foundation's `JSONDecoder` silently drops unknown fields; an operator who misspells `coveredUnits`
/// would lose data without a word. This decoder records every key a type reads and reports any key
/// it never read as `unknown field`, with the field's path and a did-you-mean.
public struct StrictDecoder: Sendable {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(InputError) -> T {
        try decode(type, from: JSONValue.parse(data))
    }

    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws(InputError) -> T {
        let ledger = KeyLedger()
        let decoded: T
        do {
            decoded = try T(from: TreeDecoder(value: value, codingPath: [], ledger: ledger))
        } catch let error as InputError {
            throw error
        } catch let error as DecodingError {
            throw Self.inputError(error, in: value, ledger: ledger)
        } catch {
            throw InputError(.badRequest, message: "\(error)")
        }
        if let unknown = ledger.firstUnknownField(in: value, path: []) { throw unknown }
        return decoded
    }

    private static func inputError(_ error: DecodingError, in root: JSONValue, ledger: KeyLedger) -> InputError {
        switch error {
        case .keyNotFound(let key, let context):
            let path = context.codingPath
            var message = "missing required field '\(key.stringValue)'"
            if case .object(let object)? = root.value(at: path) {
                let unread = object.keys.filter { !ledger.wasRead($0, at: path) }
                if let typo = Suggestion.closest(to: key.stringValue, in: unread) {
                    message += " (the body has '\(typo)': a typo?)"
                }
            }
            return InputError(.badRequest, field: FieldPath.describe(path + [key]), message: message)
        case .valueNotFound(_, let context):
            return InputError(.badRequest, field: FieldPath.describe(context.codingPath), message: "must not be null")
        case .typeMismatch(_, let context), .dataCorrupted(let context):
            return InputError(.badRequest, field: FieldPath.describe(context.codingPath), message: context.debugDescription)
        @unknown default:
            return InputError(.badRequest, message: "\(error)")
        }
    }
}

/// Renders a coding path as `staff[0].role`.
public enum FieldPath {
    public static func describe(_ path: [any CodingKey]) -> String? {
        guard !path.isEmpty else { return nil }
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text
    }

    static func id(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
}

/// Which keys were read at which object path during one decode.
private final class KeyLedger: @unchecked Sendable {
    // Only used by one decode on one task.
    private var readKeys: [String: Set<String>] = [:]

    func markVisited(_ path: [any CodingKey]) {
        let id = FieldPath.id(path)
        if readKeys[id] == nil { readKeys[id] = [] }
    }

    func markRead(_ key: String, at path: [any CodingKey]) {
        readKeys[FieldPath.id(path), default: []].insert(key)
    }

    func wasRead(_ key: String, at path: [any CodingKey]) -> Bool {
        readKeys[FieldPath.id(path)]?.contains(key) ?? false
    }

    func firstUnknownField(in value: JSONValue, path: [any CodingKey]) -> InputError? {
        switch value {
        case .object(let object):
            guard let read = readKeys[FieldPath.id(path)] else { return nil }
            for key in object.keys.sorted() where !read.contains(key) {
                var message = "unknown field '\(key)'"
                if let suggestion = Suggestion.closest(to: key, in: read) { message += " (did you mean '\(suggestion)'?)" }
                return InputError(.badRequest, field: FieldPath.describe(path + [AnyKey(key)]), message: message)
            }
            for key in read.sorted() {
                if let child = object[key], let error = firstUnknownField(in: child, path: path + [AnyKey(key)]) { return error }
            }
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                if let error = firstUnknownField(in: element, path: path + [AnyKey(index)]) { return error }
            }
        default:
            break
        }
        return nil
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { self.stringValue = string }
    init(_ index: Int) {
        self.stringValue = "\(index)"
        self.intValue = index
    }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.init(intValue) }
}

extension JSONValue {
    fileprivate func value(at path: [any CodingKey]) -> JSONValue? {
        var current = self
        for key in path {
            switch current {
            case .object(let object):
                guard let next = object[key.stringValue] else { return nil }
                current = next
            case .array(let elements):
                guard let index = key.intValue, elements.indices.contains(index) else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }
}

private struct TreeDecoder: Decoder, SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let ledger: KeyLedger
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else { throw mismatch(expected: "an object") }
        ledger.markVisited(codingPath)
        return KeyedDecodingContainer(KeyedContainer<Key>(object: object, codingPath: codingPath, ledger: ledger))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch(expected: "an array") }
        return UnkeyedContainer(elements: elements, codingPath: codingPath, ledger: ledger)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func mismatch(expected: String) -> DecodingError {
        .typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(value.kindName)"))
    }

    func decodeNil() -> Bool { value == .null }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let flag) = value else { throw mismatch(expected: "true or false") }
        return flag
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .string(let text) = value else { throw mismatch(expected: "a string") }
        return text
    }

    func decode(_ type: Double.Type) throws -> Double {
        guard case .number(let number) = value else { throw mismatch(expected: "a number") }
        return number
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
    func decode(_ type: Int.Type) throws -> Int { try integer() }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer() }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer() }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer() }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer() }
    func decode(_ type: UInt.Type) throws -> UInt { try integer() }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer() }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer() }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer() }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer() }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: self) }

    private func integer<T: FixedWidthInteger>() throws -> T {
        guard case .number(let number) = value else { throw mismatch(expected: "an integer") }
        guard number.rounded() == number, let exact = T(exactly: number) else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "expected an integer in range, found \(number)"))
        }
        return exact
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: [String: JSONValue]
    let codingPath: [any CodingKey]
    let ledger: KeyLedger

    var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool {
        ledger.markRead(key.stringValue, at: codingPath)
        return object[key.stringValue] != nil
    }

    private func child(_ key: Key) throws -> TreeDecoder {
        ledger.markRead(key.stringValue, at: codingPath)
        guard let value = object[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
        }
        return TreeDecoder(value: value, codingPath: codingPath + [key], ledger: ledger)
    }

    func decodeNil(forKey key: Key) throws -> Bool { try child(key).decodeNil() }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).decode(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).decode(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try child(key).decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).decode(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try child(key).decode(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try child(key).decode(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try child(key).decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try child(key).decode(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try child(key).decode(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try child(key).decode(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try child(key).decode(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try child(key).decode(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try child(key).decode(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try T(from: child(key)) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try child(key).unkeyedContainer() }
    func superDecoder() throws -> any Decoder { TreeDecoder(value: .object(object), codingPath: codingPath, ledger: ledger) }
    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    let ledger: KeyLedger
    var currentIndex = 0

    init(elements: [JSONValue], codingPath: [any CodingKey], ledger: KeyLedger) {
        self.elements = elements
        self.codingPath = codingPath
        self.ledger = ledger
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private mutating func next() throws -> TreeDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "the array has too few elements"))
        }
        defer { currentIndex += 1 }
        return TreeDecoder(value: elements[currentIndex], codingPath: codingPath + [AnyKey(currentIndex)], ledger: ledger)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next().decode(type) }
    mutating func decode(_ type: String.Type) throws -> String { try next().decode(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try next().decode(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try next().decode(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next().decode(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next().decode(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next().decode(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next().decode(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next().decode(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next().decode(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next().decode(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next().decode(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next().decode(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next().decode(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: next()) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try next() }
}
