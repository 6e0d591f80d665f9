#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The text of a file an office hands over for import (a CSV saved from Excel): UTF-8, with or without a byte-order
/// mark, else GB18030 — what Excel writes when it saves "CSV (逗号分隔)" on a computer set up for China.
///
/// UTF-8 is tried first: Chinese text in GB18030 is almost never valid UTF-8 (its lead bytes are not followed by the
/// continuation bytes UTF-8 needs), so the order decides nothing a person would notice. GB18030 goes through the C
/// library's iconv: Foundation reads it on Linux too, but only in full Foundation (through ICU), which this module
/// does not link, and it takes bytes GB18030 does not define (a lone 0x80, as Windows' code page 936 writes €).
public enum ImportedText {
    /// The file's text, its byte-order mark removed, or why not as `FILE:1:1: error: …`.
    public static func read(atPath path: String) throws(ConfigFileError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigFileError(file: path, message: "cannot read the file (missing or unreadable)")
        }
        return try decode(Array(data), file: path)
    }

    /// `bytes` as text, its byte-order mark removed; `file` names it in the error.
    public static func decode(_ bytes: [UInt8], file: String) throws(ConfigFileError) -> String {
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        if bytes.starts(with: byteOrderMark) {
            guard let text = String(validating: bytes.dropFirst(byteOrderMark.count), as: UTF8.self) else {
                throw ConfigFileError(file: file, message: "the file starts with a UTF-8 byte-order mark but is not UTF-8 after it")
            }
            return text
        }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        if let text = fromGB18030(bytes) { return text }
        throw ConfigFileError(
            file: file,
            message: "the file's text is not UTF-8 or GB18030: save it from Excel as \"CSV UTF-8\" or \"CSV (逗号分隔)\""
        )
    }

    /// GB18030 bytes as a String; nil for a sequence GB18030 does not define or one cut off at the end (iconv is strict
    /// unless asked to skip), or where the C library cannot convert from GB18030 at all.
    private static func fromGB18030(_ bytes: [UInt8]) -> String? {
        guard let converter = iconv_open("UTF-8", "GB18030"), converter != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        var input = bytes
        // One GB18030 byte becomes one UTF-8 byte, two become at most three, four at most four.
        var output = [UInt8](repeating: 0, count: input.count * 3 / 2 + 4)
        let written: Int? = input.withUnsafeMutableBufferPointer { inputBytes in
            output.withUnsafeMutableBufferPointer { outputBytes in
                var inputCursor = UnsafeMutableRawPointer(inputBytes.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var inputLeft = inputBytes.count
                var outputCursor = UnsafeMutableRawPointer(outputBytes.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var outputLeft = outputBytes.count
                guard iconv(converter, &inputCursor, &inputLeft, &outputCursor, &outputLeft) != -1, inputLeft == 0 else { return nil }
                return outputBytes.count - outputLeft
            }
        }
        guard let written else { return nil }
        return String(validating: output[..<written], as: UTF8.self)
    }
}

/// A record read from one line of an imported file, kept with the line so that the node's refusal of it can be
/// pointed there.
public struct ImportRow<Body: RecordBody>: Sendable {
    /// The line's number in the file, from 1.
    public var line: Int
    public var input: RecordInput<Body>

    public init(line: Int, input: RecordInput<Body>) {
        self.line = line
        self.input = input
    }
}
