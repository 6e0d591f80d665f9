#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a person signed in may do (SPEC §14). No role both manages accounts and erases the audit log: accounts are
/// managed by admins, the audit log is pruned only by the operator's audited command, and an auditor only reads it.
public enum AccountRole: String, CaseIterable, Codable, Sendable {
    /// Reads records and figures.
    case viewer
    /// Also writes records (and cases), inside its region if confined.
    case editor
    /// Also runs the node: sync, division changes, the audit log; must use a second factor (TOTP).
    case admin
    /// Reads the audit log, and nothing else.
    case auditor
}

/// A person's account at a node, as listed (never its password, token or TOTP secret).
public struct Account: Sendable, Equatable, Codable {
    public var name: String
    public var role: AccountRole
    /// The part of the node's subtree its writes are confined to; nil: the whole subtree.
    public var region: RegionCode?
    public var disabled: Bool
    public var totpEnabled: Bool
    /// The one-time password it was given is still its password: it must choose its own before anything else.
    public var passwordExpired: Bool
    public var lockedUntil: Timestamp?

    public init(
        name: String,
        role: AccountRole,
        region: RegionCode?,
        disabled: Bool,
        totpEnabled: Bool,
        passwordExpired: Bool,
        lockedUntil: Timestamp?
    ) {
        self.name = name
        self.role = role
        self.region = region
        self.disabled = disabled
        self.totpEnabled = totpEnabled
        self.passwordExpired = passwordExpired
        self.lockedUntil = lockedUntil
    }

    /// What the account must do before anything else: choose its own password, enrol a second factor (admins).
    public var pending: [String] {
        (passwordExpired ? ["password"] : []) + (role == .admin && !totpEnabled ? ["totp"] : [])
    }
}

/// The rules for names and passwords people choose (等保 level 3: unique names, passwords of some strength).
public enum AccountRules {
    public static let nameLength = 1...64
    public static let passwordLength = 12...128

    /// Names are how people are shown in the audit log: letters (any script), digits, `.`, `_`, `-`.
    public static func checkName(_ name: String) throws(InputError) {
        guard nameLength.contains(name.count), name.allSatisfy({ $0.isLetter || $0.isNumber || ".-_".contains($0) }) else {
            throw InputError(
                field: "name",
                message: "a name is \(nameLength.lowerBound) to \(nameLength.upperBound) letters, digits, '.', '-' or '_'"
            )
        }
    }

    /// At least 12 characters (at most 128: a slow hash of a longer one is a way to load the node), of at least three
    /// kinds among lower-case, upper-case, digits and others.
    public static func checkPassword(_ password: String, field: String = "password") throws(InputError) {
        guard passwordLength.contains(password.count) else {
            throw InputError(field: field, message: "a password has \(passwordLength.lowerBound) to \(passwordLength.upperBound) characters")
        }
        let kinds = [
            password.contains { $0.isLowercase }, password.contains { $0.isUppercase }, password.contains { $0.isNumber },
            password.contains { !$0.isLetter && !$0.isNumber },
        ].count { $0 }
        guard kinds >= 3 else {
            throw InputError(field: field, message: "a password mixes at least three of: lower-case, upper-case, digits, other characters")
        }
    }

    /// A password or token the node makes: `length` characters from an alphabet without look-alikes, from the system's
    /// secure generator, with each kind the password rule asks for.
    public static func generated(length: Int = 20) -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_")
        var generator = SystemRandomNumberGenerator()
        while true {
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            if (try? checkPassword(text)) != nil || length < passwordLength.lowerBound { return text }
        }
    }
}
