#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A constituent's name and phone as given with an opinion (SPEC §13): personal data, stored only sealed by the node's
/// `ContactVault`, never replicated. Either may be missing; a constituent who gives neither stays anonymous and nothing
/// is stored.
public struct ConstituentContact: Sendable, Equatable, Codable {
    public let name: String?
    /// Digits only, with a leading `+` when one was given.
    public let phone: String?

    public static let nameLimit = 50
    public static let phoneDigits = 7...15

    /// The contact as given, checked and normalised (spaces and dashes dropped from the phone, both trimmed); nil when
    /// both are empty.
    public static func given(name: String?, phone: String?) throws(InputError) -> ConstituentContact? {
        let name = try checkedName(name)
        let phone = try normalisedPhone(phone)
        guard name != nil || phone != nil else { return nil }
        return ConstituentContact(name: name, phone: phone)
    }

    private init(name: String?, phone: String?) {
        self.name = name
        self.phone = phone
    }

    /// Decoding (from a sealed contact) checks as `given` does: what the vault opens is what was accepted.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decodeIfPresent(String.self, forKey: .name)
        let phone = try container.decodeIfPresent(String.self, forKey: .phone)
        guard let contact = try Self.given(name: name, phone: phone) else {
            throw DecodingError.dataCorruptedError(forKey: .name, in: container, debugDescription: "an empty contact")
        }
        self = contact
    }

    private static func checkedName(_ text: String?) throws(InputError) -> String? {
        guard let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        guard trimmed.count <= nameLimit else {
            throw InputError(field: "name", message: "a name has at most \(nameLimit) characters")
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw InputError(field: "name", message: "a name is one line of text")
        }
        return trimmed
    }

    private static func normalisedPhone(_ text: String?) throws(InputError) -> String? {
        guard let trimmed = text?.trimmingCharacters(in: .whitespaces), !trimmed.isEmpty else { return nil }
        let plus = trimmed.hasPrefix("+")
        let rest = plus ? trimmed.dropFirst() : Substring(trimmed)
        let digits = rest.filter { $0 != " " && $0 != "-" }
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), phoneDigits.contains(digits.count) else {
            throw InputError(
                field: "phone",
                message: "a phone number is \(phoneDigits.lowerBound)–\(phoneDigits.upperBound) digits (spaces and dashes allowed)"
            )
        }
        return (plus ? "+" : "") + digits
    }
}
