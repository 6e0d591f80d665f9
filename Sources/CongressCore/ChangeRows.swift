#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The `changes` of a sync document (a pushed batch, or a page of directives) as rows for PostgreSQL's
/// `COPY … FROM STDIN` in text format: one line per change, one column per name in `fields`.
///
/// PostgreSQL then parses each body once, as `COPY` does, instead of parsing the whole document into `jsonb` and
/// copying every change out of it again (which took most of a batch's apply). A field is taken as `->>` takes it: a
/// string's value, another scalar's text, an object's or array's JSON text; `body` keeps its JSON text as sent; a
/// missing field or `null` is NULL. The document's other members are checked for shape and skipped.
public struct ChangeRows: Sendable, Equatable {
    /// The fields of a change, in column order.
    public static let fields = [
        "kind", "id", "origin", "regionCode", "version", "updatedAt", "deleted", "body", "epoch", "formerRegionCodes", "handedOverBy",
    ]
    /// Rows in `COPY` text format (tab-separated, `\N` for NULL, backslash escapes), each ending in a newline.
    public private(set) var copyText: [UInt8]
    public private(set) var count: Int
    /// The `kind` of each change as its row has it, once each: the statement that applies them names only these.
    public private(set) var kinds: Set<String>
    /// Whether a change carries a handover (`handedOverBy`): its checks read what earlier batches wrote.
    public private(set) var hasHandovers: Bool

    /// Reads the document's `changes` array; fails on anything that is not JSON of that shape, saying where.
    public init(document: some ContiguousBytes) throws(ChangeRowsError) {
        typealias Scanned = (output: [UInt8], count: Int, kinds: Set<String>, hasHandovers: Bool)
        let result: Result<Scanned, ChangeRowsError> = document.withUnsafeBytes { raw in
            var scanner = ChangeScanner(bytes: raw.bindMemory(to: UInt8.self))
            do throws(ChangeRowsError) {
                try scanner.document()
                return .success((scanner.output, scanner.count, scanner.kinds, scanner.hasHandovers))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let rows):
            copyText = rows.output
            count = rows.count
            kinds = rows.kinds
            hasHandovers = rows.hasHandovers
        case .failure(let error):
            throw error
        }
    }
}

/// Where and why a sync document is not what `ChangeRows` reads.
public struct ChangeRowsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset in the document.
    public var offset: Int
    /// The change being read (0-based), if any.
    public var change: Int?
    public var message: String

    public var description: String {
        (change.map { "changes[\($0)]: " } ?? "") + "\(message) (at byte \(offset))"
    }
}

/// A single pass over the document's bytes; values are located, not built.
private struct ChangeScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var output: [UInt8] = []
    var count = 0
    var kinds: Set<String> = []
    var hasHandovers = false
    /// The previous change's kind as written, so that a run of one kind is noted once.
    private var lastKind: [UInt8] = []
    /// The change being read, for error messages.
    var change: Int?

    /// Bodies nest a few levels; a deeper document is refused rather than recursed into without end.
    static let maxDepth = 256

    /// A located value: a string's contents without its quotes, or any other value's whole text.
    struct Value {
        var range: Range<Int>
        var isString: Bool
        var hasEscapes: Bool
        var isNull: Bool
    }

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        output.reserveCapacity(bytes.count + bytes.count / 8)
    }

    mutating func document() throws(ChangeRowsError) {
        try expect(UInt8(ascii: "{"))
        var sawChanges = false
        try members { (scanner: inout ChangeScanner, key: Value) throws(ChangeRowsError) in
            if try scanner.keyEquals(key, ChangeScanner.changesKey) {
                guard !sawChanges else { throw scanner.failure("'changes' appears twice") }
                sawChanges = true
                try scanner.changes()
            } else {
                _ = try scanner.value(depth: 1)
            }
        }
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected text after the document") }
        guard sawChanges else { throw failure("the document has no 'changes' array") }
    }

    static let changesKey = Array("changes".utf8)
    static let fieldKeys = ChangeRows.fields.map { Array($0.utf8) }
    static let bodyField = ChangeRows.fields.firstIndex(of: "body")!
    static let kindField = ChangeRows.fields.firstIndex(of: "kind")!
    static let handoverField = ChangeRows.fields.firstIndex(of: "handedOverBy")!

    private mutating func changes() throws(ChangeRowsError) {
        try expect(UInt8(ascii: "["))
        if try peekClosing(UInt8(ascii: "]")) { return }
        repeat {
            change = count
            try oneChange()
            change = nil
            count += 1
        } while try separator(closing: UInt8(ascii: "]"))
    }

    private mutating func oneChange() throws(ChangeRowsError) {
        try expect(UInt8(ascii: "{"))
        var found = [Value?](repeating: nil, count: Self.fieldKeys.count)
        try members { (scanner: inout ChangeScanner, key: Value) throws(ChangeRowsError) in
            let value = try scanner.value(depth: 2)
            if let field = try scanner.field(named: key) { found[field] = value }
        }
        for (field, value) in found.enumerated() {
            if field > 0 { output.append(UInt8(ascii: "\t")) }
            guard let value, !value.isNull else {
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
                continue
            }
            if field == Self.handoverField { hasHandovers = true }
            let start = output.count
            if value.isString && field != Self.bodyField {
                try appendDecoded(value)
            } else if value.isString {
                // The body as sent, quotes and escapes included: PostgreSQL reads it as JSON (and refuses a string).
                appendEscaped(value.range.lowerBound - 1..<value.range.upperBound + 1)
            } else {
                appendEscaped(value.range)
            }
            if field == Self.kindField { noteKind(writtenFrom: start) }
        }
        output.append(UInt8(ascii: "\n"))
    }

    private mutating func noteKind(writtenFrom start: Int) {
        let written = output[start...]
        guard !written.elementsEqual(lastKind) else { return }
        kinds.insert(String(decoding: written, as: UTF8.self))
        lastKind = Array(written)
    }

    /// The members of an object whose `{` was read, through its `}`; `each` reads the value after the colon.
    private mutating func members(_ each: (inout ChangeScanner, Value) throws(ChangeRowsError) -> Void) throws(ChangeRowsError) {
        if try peekClosing(UInt8(ascii: "}")) { return }
        repeat {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a member name in quotes") }
            let key = try string()
            try expect(UInt8(ascii: ":"))
            try each(&self, key)
        } while try separator(closing: UInt8(ascii: "}"))
    }

    /// Skips one value of any kind, checking its shape (a body's contents are checked again by PostgreSQL).
    private mutating func value(depth: Int) throws(ChangeRowsError) -> Value {
        guard depth <= Self.maxDepth else { throw failure("nested deeper than \(Self.maxDepth) levels") }
        skipWhitespace()
        guard index < bytes.count else { throw failure("unexpected end of the document") }
        let start = index
        switch bytes[index] {
        case UInt8(ascii: "\""):
            return try string()
        case UInt8(ascii: "{"):
            index += 1
            try members { (scanner: inout ChangeScanner, _: Value) throws(ChangeRowsError) in _ = try scanner.value(depth: depth + 1) }
        case UInt8(ascii: "["):
            index += 1
            if try !peekClosing(UInt8(ascii: "]")) {
                repeat { _ = try value(depth: depth + 1) } while try separator(closing: UInt8(ascii: "]"))
            }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"):
            try literal("null")
            return Value(range: start..<index, isString: false, hasEscapes: false, isNull: true)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            while index < bytes.count, Self.isNumberByte(bytes[index]) { index += 1 }
        default:
            throw failure("expected a JSON value")
        }
        return Value(range: start..<index, isString: false, hasEscapes: false, isNull: false)
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"):
            true
        default: false
        }
    }

    /// A string at `index` (its opening quote); the value's range excludes the quotes.
    private mutating func string() throws(ChangeRowsError) -> Value {
        index += 1
        let start = index
        var hasEscapes = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return Value(range: start..<index - 1, isString: true, hasEscapes: hasEscapes, isNull: false)
            }
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                index += 2
                continue
            }
            guard byte >= 0x20 else { throw failure("a control character inside a string must be escaped") }
            index += 1
        }
        throw failure("unterminated string")
    }

    /// Which of `ChangeRows.fields` a member name is, if any.
    private func field(named key: Value) throws(ChangeRowsError) -> Int? {
        for field in Self.fieldKeys.indices where try keyEquals(key, Self.fieldKeys[field]) { return field }
        return nil
    }

    /// Whether a member name is `expected`; a name spelt with escapes is compared by its value, as JSON has it.
    private func keyEquals(_ key: Value, _ expected: [UInt8]) throws(ChangeRowsError) -> Bool {
        guard key.hasEscapes else {
            return key.range.count == expected.count && expected.indices.allSatisfy { bytes[key.range.lowerBound + $0] == expected[$0] }
        }
        var name: [UInt8] = []
        try unescape(key) { name.append($0) }
        return name == expected
    }

    /// A string's value, unescaped from JSON and escaped for `COPY`.
    private mutating func appendDecoded(_ value: Value) throws(ChangeRowsError) {
        guard value.hasEscapes else { return appendEscaped(value.range) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(value.range.count)
        try unescape(value) { decoded.append($0) }
        for byte in decoded { appendEscaped(byte) }
    }

    /// The UTF-8 bytes of a string value with JSON escapes, one at a time.
    private func unescape(_ value: Value, _ emit: (UInt8) -> Void) throws(ChangeRowsError) {
        var position = value.range.lowerBound
        while position < value.range.upperBound {
            let byte = bytes[position]
            guard byte == UInt8(ascii: "\\") else {
                emit(byte)
                position += 1
                continue
            }
            // The scanner ended the string at an unescaped quote, so an escape's letter is inside the range.
            let escape = bytes[position + 1]
            position += 2
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): emit(escape)
            case UInt8(ascii: "b"): emit(0x08)
            case UInt8(ascii: "f"): emit(0x0C)
            case UInt8(ascii: "n"): emit(0x0A)
            case UInt8(ascii: "r"): emit(0x0D)
            case UInt8(ascii: "t"): emit(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hexQuad(at: position, end: value.range.upperBound)
                position += 4
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate needs its low half right after it.
                    guard position + 6 <= value.range.upperBound, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
                    else { throw failure("a lone surrogate in \\u escapes", at: position) }
                    let low = try hexQuad(at: position + 2, end: value.range.upperBound)
                    guard (0xDC00..<0xE000).contains(low) else { throw failure("a lone surrogate in \\u escapes", at: position) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    position += 6
                }
                guard scalar != 0, let unicode = Unicode.Scalar(scalar) else {
                    throw failure(scalar == 0 ? "\\u0000 cannot be stored" : "a lone surrogate in \\u escapes", at: position)
                }
                UTF8.encode(unicode, into: emit)
            default:
                throw failure("unknown escape in a string", at: position - 1)
            }
        }
    }

    private func hexQuad(at position: Int, end: Int) throws(ChangeRowsError) -> UInt32 {
        guard position + 4 <= end else { throw failure("a \\u escape needs four hex digits", at: position) }
        var value: UInt32 = 0
        for offset in 0..<4 {
            let byte = bytes[position + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("a \\u escape needs four hex digits", at: position)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// `COPY` text format: backslash, tab, newline and carriage return escaped; everything else as is.
    private mutating func appendEscaped(_ range: Range<Int>) {
        for position in range { appendEscaped(bytes[position]) }
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        default: output.append(byte)
        }
    }

    private mutating func literal(_ word: StaticString) throws(ChangeRowsError) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard index + expected.count <= bytes.count, expected.indices.allSatisfy({ bytes[index + $0] == expected[$0] }) else {
            throw failure("expected a JSON value")
        }
        index += expected.count
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8) throws(ChangeRowsError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { throw failure("expected '\(Character(Unicode.Scalar(byte)))'") }
        index += 1
    }

    /// After an opening bracket: true (and consumed) if the container is empty.
    private mutating func peekClosing(_ byte: UInt8) throws(ChangeRowsError) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// After an element: true on a comma (another element follows), false on the closing bracket.
    private mutating func separator(closing: UInt8) throws(ChangeRowsError) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw failure("unexpected end of the document") }
        switch bytes[index] {
        case UInt8(ascii: ","):
            index += 1
            return true
        case closing:
            index += 1
            return false
        default:
            throw failure("expected ',' or '\(Character(Unicode.Scalar(closing)))'")
        }
    }

    func failure(_ message: String, at offset: Int? = nil) -> ChangeRowsError {
        ChangeRowsError(offset: offset ?? index, change: change, message: message)
    }
}
