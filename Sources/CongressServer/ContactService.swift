import CongressCore
import CongressStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Constituents' contacts at this node (SPEC §13): sealed before they reach the store, opened only here, each reading an
/// audit entry (SPEC §14), erased on request or `retentionDays` after their case closes. Who may call it (editors of
/// this node) is the caller's rule.
struct ContactService: Sendable {
    let store: ContactStore
    /// The node's vault, or why it has none (a secrets file from before contacts): taking or reading a contact then
    /// fails with that error, everything else works.
    let vault: Result<ContactVault, ContactVaultError>
    let retentionDays: Int
    let audit: AuditTrail

    init(store: ContactStore, secrets: NodeSecrets, retentionDays: Int, audit: AuditTrail) {
        self.store = store
        self.vault = Result { () throws(ContactVaultError) in try secrets.contactVault() }
        self.retentionDays = retentionDays
        self.audit = audit
    }

    /// Stores the contact given with a case, checked; false when both are empty (an anonymous constituent: nothing is
    /// stored, and a contact the case had is erased).
    @discardableResult
    func put(name: String?, phone: String?, forCase caseID: UUID) async throws -> Bool {
        guard let contact = try ConstituentContact.given(name: name, phone: phone) else {
            try await store.erase(contactOfCase: caseID)
            return false
        }
        try await store.put(try vault.get().seal(contact, forCase: caseID), forCase: caseID)
        return true
    }

    /// The contact given with a case, checked and sealed for it; nil when both are empty (nothing is stored). Refused
    /// with 503 when the node's secrets have no contact key yet.
    func sealed(name: String?, phone: String?, forCase caseID: UUID) throws -> SealedContact? {
        guard let contact = try ConstituentContact.given(name: name, phone: phone) else { return nil }
        do {
            return try vault.get().seal(contact, forCase: caseID)
        } catch {
            throw APIError(.serviceUnavailable, code: "no_contact_key", message: "\(error)")
        }
    }

    /// The case's contact for `actor`, recorded in the audit log; nil when it has none.
    func contact(ofCase caseID: UUID, readBy actor: String, address: String?) async throws -> ConstituentContact? {
        guard let sealed = try await store.contact(ofCase: caseID) else { return nil }
        let contact = try vault.get().open(sealed, forCase: caseID)
        await audit.append(actor: actor, address: address, action: "read contact", record: Self.record(caseID), outcome: "200")
        return contact
    }

    /// The case closed on `day`: its contact is kept `retentionDays` more days, then erased.
    func caseClosed(_ caseID: UUID, on day: CalendarDate) async throws {
        try await store.keep(contactOfCase: caseID, until: day.adding(days: retentionDays))
    }

    /// The case was reopened: its contact is kept until it closes again.
    func caseReopened(_ caseID: UUID) async throws {
        try await store.keep(contactOfCase: caseID, until: nil)
    }

    /// Erases the case's contact at the constituent's request (PIPL art. 47); false when it had none.
    @discardableResult
    func erase(contactOfCase caseID: UUID) async throws -> Bool {
        try await store.erase(contactOfCase: caseID)
    }

    static func record(_ caseID: UUID) -> String { "case \(caseID.uuidString.lowercased())" }
}
