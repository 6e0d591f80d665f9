import Crypto
import _CryptoExtras

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
///
/// Birth month, gender and region narrow an ID number to a few tens of thousands of candidates, so whoever holds the
/// province key (every node does) could recover it from a fast keyed hash by trying them. The key is therefore slow
/// (SPEC §14): PBKDF2-HMAC-SHA256 of the ID number's HMAC under the province key, `rounds` rounds (about 0.4 s a guess at
/// the default), written `p2` + 64 hex digits. Because it is a function of the HMAC, the
/// keys older releases stored (the bare HMAC, 64 hex digits) are re-keyed without the ID numbers (`rekeyed(legacy:)`).
public struct PersonKeyDeriver: Sendable {
    private let key: SymmetricKey
    public let rounds: Int

    /// What marks a key of this derivation.
    public static let prefix = "p2"
    private static let salt = Array("congress personKey v2".utf8)

    /// `provinceKey` is the secret shared by every node of the federation (hex or any text); `rounds` too is one setting
    /// of the whole federation (its secrets files), or the same person gets different keys at different nodes.
    public init(provinceKey: String, rounds: Int) {
        self.key = SymmetricKey(data: Data(provinceKey.utf8))
        self.rounds = max(1, rounds)
    }

    public func personKey(forNormalizedID normalizedID: String) -> String {
        stretched(HMAC<SHA256>.authenticationCode(for: Data(normalizedID.utf8), using: key).map { $0 })
    }

    /// The key of a record an older release wrote (the bare HMAC), or nil for a text that is not one.
    public func rekeyed(legacy: String) -> String? {
        guard Self.isLegacy(legacy), let bytes = Hex.decode(legacy) else { return nil }
        return stretched(bytes)
    }

    /// 64 lower-case hex digits: the key as releases before the slow derivation wrote it.
    public static func isLegacy(_ key: String) -> Bool {
        key.utf8.count == 64 && key.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// A key for synthetic people (seeds, benchmarks), in the same form but without the slow part: they are nobody.
    public func syntheticKey(_ text: String) -> String {
        Self.prefix + Hex.encode(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key))
    }

    private func stretched(_ hmac: [UInt8]) -> String {
        // PBKDF2 fails only for an output size or hash it does not take; both are fixed here.
        let derived = try! KDF.Insecure.PBKDF2.deriveKey(
            from: hmac,
            salt: Self.salt,
            using: .sha256,
            outputByteCount: 32,
            unsafeUncheckedRounds: rounds
        )
        return Self.prefix + derived.withUnsafeBytes { Hex.encode($0) }
    }
}

/// Lower-case hex, as tokens, digests and person keys are written.
public enum Hex {
    /// The bytes of an even number of hex digits, or nil.
    public static func decode(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case 0x30...0x39: digit - 0x30
            case 0x61...0x66: digit - 0x61 + 10
            case 0x41...0x46: digit - 0x41 + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

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
