import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A constituent's contact as stored: the case's own data key wrapped under the node's contact key, and the contact
/// sealed with that data key. Nothing here reads without the node's secrets file.
public struct SealedContact: Sendable, Equatable {
    /// Which contact key wrapped `wrappedKey` (a keyed fingerprint, not the key): says "wrong key" rather than "corrupt".
    public var keyID: String
    /// The case's data key, AES key wrap (RFC 3394) under the node's contact key.
    public var wrappedKey: Data
    /// The contact as JSON, AES-256-GCM under the data key (nonce, ciphertext, tag), bound to the case id.
    public var sealed: Data

    public init(keyID: String, wrappedKey: Data, sealed: Data) {
        self.keyID = keyID
        self.wrappedKey = wrappedKey
        self.sealed = sealed
    }
}

/// Why a contact could not be sealed or opened. Its text names no key and no contact.
public struct ContactVaultError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The secrets file has no `contactKey` (written by a release before contacts).
        case noContactKey
        /// Sealed under another contact key than the node's.
        case wrongContactKey
        /// The contact belongs to another case, or its bytes were changed.
        case notThisCase
    }

    public var reason: Reason
    public var message: String

    public init(reason: Reason, message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { message }
}

/// Seals constituents' contacts at rest (SPEC §13): a fresh 256-bit data key per case, wrapped under the node's contact
/// key from its secrets file, which never enters the database. Erasing a case's row erases its data key with it.
public struct ContactVault: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    private let contactKey: SymmetricKey
    /// The keyed fingerprint of the contact key, stored with every contact it seals.
    public let keyID: String

    /// A vault on a contact key of 32 bytes; nil for any other length.
    public init?(contactKey bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        contactKey = SymmetricKey(data: bytes)
        let fingerprint = HMAC<SHA256>.authenticationCode(for: Array("congress contact key id".utf8), using: contactKey)
        keyID = Hex.encode(Array(fingerprint).prefix(8))
    }

    /// Neither the key nor anything derived from it beyond the stored fingerprint goes into a log line.
    public var description: String { "ContactVault(keyID: \(keyID))" }
    public var debugDescription: String { description }

    public func seal(_ contact: ConstituentContact, forCase caseID: UUID) throws -> SealedContact {
        let dataKey = SymmetricKey(size: .bits256)
        let plaintext = try JSONEncoder().encode(contact)
        let box = try AES.GCM.seal(plaintext, using: dataKey, authenticating: Self.associatedData(caseID))
        // The combined form (nonce, ciphertext, tag), which is what `box.combined` gives for the default 12-byte nonce.
        let sealed = Data(box.nonce) + box.ciphertext + box.tag
        return SealedContact(keyID: keyID, wrappedKey: try AES.KeyWrap.wrap(dataKey, using: contactKey), sealed: sealed)
    }

    public func open(_ sealed: SealedContact, forCase caseID: UUID) throws(ContactVaultError) -> ConstituentContact {
        guard sealed.keyID == keyID else {
            throw ContactVaultError(
                reason: .wrongContactKey,
                message: "the contact of case \(caseID) was sealed under contact key \(sealed.keyID), not this node's \(keyID): "
                    + "was the secrets file replaced?"
            )
        }
        let dataKey: SymmetricKey
        do {
            dataKey = try AES.KeyWrap.unwrap(sealed.wrappedKey, using: contactKey)
        } catch {
            throw ContactVaultError(reason: .wrongContactKey, message: "the data key of case \(caseID) does not unwrap under this node's contact key")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.sealed)
            let plaintext = try AES.GCM.open(box, using: dataKey, authenticating: Self.associatedData(caseID))
            return try JSONDecoder().decode(ConstituentContact.self, from: plaintext)
        } catch {
            throw ContactVaultError(reason: .notThisCase, message: "the stored contact does not open as case \(caseID)'s: another case's, or altered")
        }
    }

    /// What binds a sealed contact to its case: a row copied to another case does not open.
    private static func associatedData(_ caseID: UUID) -> Data {
        Data("congress case contact v1 \(caseID.uuidString.lowercased())".utf8)
    }
}
