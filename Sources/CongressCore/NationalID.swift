import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Checks of the 18-character citizen identity number (GB 11643-1999).
///
/// The number itself is only ever held long enough to check it and derive a ``PersonKey``:
/// no error message, description or stored value contains it.
public enum NationalID {
    private static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    private static let checkCharacters: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]

    /// The 18th character GB 11643 derives from the first 17 digits.
    public static func checkCharacter(of digits: [Int]) -> Character {
        checkCharacters[zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 } % 11]
    }

    /// Validates `text` and returns it normalized (upper-case `X`), or throws a message that never repeats it.
    public static func normalized(_ text: String) throws(InputError) -> String {
        let upper = text.uppercased()
        let characters = Array(upper)
        guard characters.count == 18 else {
            throw InputError(field: "idNumber", message: "an ID number has 18 characters, this one has \(characters.count)")
        }
        let digits = characters.prefix(17).compactMap { $0.wholeNumberValue }
        guard digits.count == 17, characters.prefix(17).allSatisfy(\.isASCII) else {
            throw InputError(field: "idNumber", message: "the first 17 characters of an ID number must be digits")
        }
        guard characters[17].isASCII, characters[17].isNumber || characters[17] == "X" else {
            throw InputError(field: "idNumber", message: "the last character of an ID number must be a digit or X")
        }
        let year = digits[6] * 1000 + digits[7] * 100 + digits[8] * 10 + digits[9]
        let month = digits[10] * 10 + digits[11]
        let day = digits[12] * 10 + digits[13]
        guard (1800...2100).contains(year), (1...12).contains(month), (1...CalendarDate.days(inMonth: month, year: year)).contains(day) else {
            throw InputError(field: "idNumber", message: "the ID number's birth date (characters 7–14) is not a real date")
        }
        guard checkCharacter(of: digits) == characters[17] else {
            throw InputError(field: "idNumber", message: "the ID number's check digit is wrong (GB 11643): check for a typing error")
        }
        return upper
    }
}

/// Derives the `personKey` that lets upper levels count distinct persons without knowing who they are.
public struct PersonKeyDeriver: Sendable {
    private let key: SymmetricKey

    /// `provinceKey` is the secret shared by every node of the federation (hex or any text).
    public init(provinceKey: String) {
        self.key = SymmetricKey(data: Data(provinceKey.utf8))
    }

    /// HMAC-SHA256(province key, normalized ID number), hex encoded.
    public func personKey(forNormalizedID normalizedID: String) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Data(normalizedID.utf8), using: key))
    }
}

/// Lower-case hex, as tokens, digests and person keys are written.
public enum Hex {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return text
    }

    public static func sha256(_ text: String) -> String { encode(SHA256.hash(data: Data(text.utf8))) }
}
