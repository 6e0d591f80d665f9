import CongressCore
import CongressStore
import Foundation
import Logging
import PostgresNIO
import Testing

@testable import CongressServer

/// SPEC §13: constituents' names and phones sealed at rest under a data key per case, the data key wrapped under the
/// node's contact key from its secrets file; erased on request and after the retention.
@Suite struct ContactVaultTests {
    static let name = "李秀英"
    static let phone = "138-0013-8000"
    static let normalisedPhone = "13800138000"

    @Test func aContactComesBackAsGivenNormalised() async throws {
        let node = try await TestNode.make()
        let caseID = UUID()
        let read = try await withContacts(node) { contacts in
            #expect(try await contacts.put(name: " \(Self.name) ", phone: Self.phone, forCase: caseID))
            return try await contacts.contact(ofCase: caseID, readBy: "editor1", address: "10.0.0.9")
        }
        #expect(read?.name == Self.name)
        #expect(read?.phone == Self.normalisedPhone)
        let entries = try await TestDatabase.texts("SELECT actor || '|' || action || '|' || record FROM audit_log", on: node.database)
        #expect(entries.contains("editor1|read contact|case \(caseID.uuidString.lowercased())"))
        #expect(!entries.joined().contains(Self.name) && !entries.joined().contains(Self.normalisedPhone))
    }

    @Test func anAnonymousConstituentLeavesNoRow() async throws {
        let node = try await TestNode.make()
        let caseID = UUID()
        let stored = try await withContacts(node) { contacts in
            try await contacts.put(name: "  ", phone: nil, forCase: caseID)
        }
        #expect(!stored)
        #expect(try await TestDatabase.texts("SELECT count(*)::text FROM case_contacts", on: node.database) == ["0"])
    }

    @Test func phonesAndNamesAreChecked() throws {
        #expect(try ConstituentContact.given(name: nil, phone: "+86 138 0013 8000")?.phone == "+8613800138000")
        #expect(try ConstituentContact.given(name: "王", phone: nil) == .given(name: " 王", phone: " "))
        #expect(try ConstituentContact.given(name: nil, phone: "") == nil)
        for phone in ["123456", "1234567890123456", "138-0013-800x", "１３８００１３８０００", "138--"] {
            #expect(throws: InputError.self, "\(phone)") { try ConstituentContact.given(name: nil, phone: phone) }
        }
        #expect(throws: InputError.self) { try ConstituentContact.given(name: String(repeating: "名", count: 51), phone: nil) }
        #expect(try ConstituentContact.given(name: String(repeating: "名", count: 50), phone: nil) != nil)
        #expect(throws: InputError.self) { try ConstituentContact.given(name: "张\n三", phone: nil) }
    }

    @Test func anotherContactKeyDoesNotOpenItAndSaysWhy() throws {
        let secrets = try Self.secrets()
        let vault = try secrets.node.contactVault()
        let other = try #require(ContactVault(contactKey: Array(repeating: 7, count: 32)))
        let caseID = UUID()
        let contact = try #require(try ConstituentContact.given(name: Self.name, phone: nil))
        let sealed = try vault.seal(contact, forCase: caseID)
        let error = #expect(throws: ContactVaultError.self) { try other.open(sealed, forCase: caseID) }
        #expect(error?.reason == .wrongContactKey)
        #expect(error?.description.contains("secrets file") == true)
        // Same fingerprint, other key: the key wrap's own check says so too.
        var relabelled = sealed
        relabelled.keyID = other.keyID
        #expect(
            throws: ContactVaultError(
                reason: .wrongContactKey,
                message: "the data key of case \(caseID) does not unwrap under this node's contact key"
            )
        ) {
            try other.open(relabelled, forCase: caseID)
        }
        #expect(try vault.open(sealed, forCase: caseID).name == Self.name)
        #expect(!"\(vault)".contains(try #require(secrets.node.contactKey)))
    }

    @Test func aRowMovedToAnotherCaseDoesNotOpen() async throws {
        let node = try await TestNode.make()
        let (first, second) = (UUID(), UUID())
        let error = try await withContacts(node) { contacts in
            try await contacts.put(name: Self.name, phone: Self.phone, forCase: first)
            // The sealed row and its data key both moved, as one with write access to the database could.
            _ = try await TestDatabase.texts(
                """
                WITH key AS (UPDATE case_contact_keys SET case_id = '\(second)' RETURNING 1)
                UPDATE case_contacts SET case_id = '\(second)' WHERE EXISTS (SELECT 1 FROM key) RETURNING 'moved'
                """,
                on: node.database
            )
            return await #expect(throws: ContactVaultError.self) {
                try await contacts.contact(ofCase: second, readBy: "editor1", address: nil)
            }
        }
        #expect(error?.reason == .notThisCase)
    }

    @Test func dumpsHoldNeitherTheContactNorItsKeysAndErasingRemovesTheRow() async throws {
        let node = try await TestNode.make()
        let (erased, kept) = (UUID(), UUID())
        try await withContacts(node) { contacts in
            try await contacts.put(name: Self.name, phone: Self.phone, forCase: erased)
            try await contacts.put(name: "赵敏", phone: "0724-2345678", forCase: kept)
            // Read back, so that the query logs of reading are searched too.
            _ = try await contacts.contact(ofCase: erased, readBy: "editor1", address: nil)
        }
        let contactKey = try #require(node.secrets.contactKey)
        let keyBytes = try #require(Hex.decode(contactKey))
        let forbidden =
            [Self.name, Self.phone, Self.normalisedPhone, "赵敏", "07242345678", "0724-2345678"].flatMap { text in
                [text, Data(text.utf8).base64EncodedString(), Hex.encode(Array(text.utf8))]
            } + [contactKey, contactKey.uppercased(), Data(keyBytes).base64EncodedString()]
        let dump = try await TestDatabase.dump(node.database)
        let sealedRows = Self.rows(of: "case_contacts", in: dump)
        #expect(sealedRows.contains(erased.uuidString.lowercased()) && sealedRows.contains("\\x"), "the dump should hold the sealed rows")
        let logs = node.logs.text
        for needle in forbidden {
            #expect(!dump.contains(needle), "the dump holds \(needle)")
            #expect(!logs.contains(needle), "a log line holds \(needle)")
        }

        let gone = try await withContacts(node) { contacts in
            let erasedNow = try await contacts.erase(contactOfCase: erased)
            return (erasedNow, try await contacts.contact(ofCase: erased, readBy: "editor1", address: nil))
        }
        #expect(gone.0 && gone.1 == nil)
        // The audit log names the case that was read; the contacts' own rows are what must lose it.
        let after = Self.rows(of: "case_contacts", in: try await TestDatabase.dump(node.database))
        #expect(!after.contains(erased.uuidString.lowercased()))
        #expect(after.contains(kept.uuidString.lowercased()))
    }

    @Test func retentionErasesOnlyWhatIsDueAndAuditsACount() async throws {
        let node = try await TestNode.make()
        let (closedLongAgo, closedRecently, open) = (UUID(), UUID(), UUID())
        // Far enough ahead that the node's own daily pass (on the real date) finds nothing of these due.
        let today = Activity.today().adding(days: 1000)
        try await withContacts(node, retentionDays: 180) { contacts in
            for id in [closedLongAgo, closedRecently, open] { try await contacts.put(name: Self.name, phone: nil, forCase: id) }
            try await contacts.caseClosed(closedLongAgo, on: today.adding(days: -181))
            // Its last day is today: kept until tomorrow.
            try await contacts.caseClosed(closedRecently, on: today.adding(days: -180))
        }
        try await TestDatabase.withClient(on: node.database) { client in
            let audit = AuditTrail(store: AuditStore(client: client, logger: TestDatabase.quietLogger), logger: TestDatabase.quietLogger)
            let eraser = ContactEraser(
                store: ContactStore(client: client, logger: TestDatabase.quietLogger),
                audit: audit,
                interval: .seconds(1),
                startsAfter: ReadySignal(),
                logger: TestDatabase.quietLogger
            )
            await eraser.eraseDue(today: today)
            await eraser.eraseDue(today: today)
        }
        let left = try await TestDatabase.texts("SELECT case_id::text FROM case_contacts ORDER BY case_id", on: node.database)
        #expect(Set(left) == Set([closedRecently, open].map { $0.uuidString.lowercased() }))
        let entries = try await TestDatabase.texts(
            "SELECT action || '|' || outcome || '|' || coalesce(record, '-') FROM audit_log WHERE action LIKE 'erase%'",
            on: node.database
        )
        #expect(entries == ["erase contacts past retention|1 contacts|-"], "one entry for the pass that erased, none for the empty one")

        // A reopened case keeps its contact whatever its earlier closing said.
        try await withContacts(node) { contacts in
            try await contacts.caseClosed(open, on: today.adding(days: -400))
            try await contacts.caseReopened(open)
            #expect(try await contacts.store.eraseDue(today: today.adding(days: 1)) == 1)
        }
        #expect(try await TestDatabase.texts("SELECT case_id::text FROM case_contacts", on: node.database) == [open.uuidString.lowercased()])
    }

    @Test func theNodeErasesDueContactsWhenItStarts() async throws {
        let node = try await TestNode.make()
        let (due, open) = (UUID(), UUID())
        try await withContacts(node, retentionDays: 0) { contacts in
            try await contacts.put(name: Self.name, phone: nil, forCase: due)
            try await contacts.put(name: nil, phone: Self.phone, forCase: open)
            try await contacts.caseClosed(due, on: Activity.today().adding(days: -1))
        }
        // The next start's pass finds it due (its last day was yesterday).
        try await node.run { api in
            // Until the pass is over: its audit entry comes after the erasure.
            _ = try await eventually {
                try await TestDatabase.texts("SELECT 1::text FROM audit_log WHERE action LIKE 'erase%'", on: node.database)
            } until: {
                !$0.isEmpty
            }
        }
        #expect(try await TestDatabase.texts("SELECT case_id::text FROM case_contacts", on: node.database) == [open.uuidString.lowercased()])
        let entries = try await TestDatabase.texts("SELECT actor || '|' || outcome FROM audit_log WHERE action LIKE 'erase%'", on: node.database)
        #expect(entries == ["node|1 contacts"])
    }

    @Test func secretsWithoutAContactKeyLoadButTakeNoContactUntilRegenerated() async throws {
        let (topology, secrets) = try Self.secrets()
        let key = try #require(secrets.contactKey)
        #expect(key.count == 64)
        let written = try NodeSecrets.parse(secrets.yaml, file: "s.yaml")
        #expect(written == secrets)

        let older = secrets.yaml.split(separator: "\n").filter { !$0.hasPrefix("contactKey:") }.joined(separator: "\n")
        let loaded = try NodeSecrets.parse(older, file: "old.yaml")
        #expect(loaded.contactKey == nil && loaded.adminToken == secrets.adminToken)
        let refusal = #expect(throws: ContactVaultError.self) { try loaded.contactVault() }
        #expect(refusal?.reason == .noContactKey)
        #expect(refusal?.description.contains("congress secrets init") == true)

        // The node serves, but takes no contact, and says what to do.
        let node = try await TestNode.make()
        let health = try await node.run(configure: { $0.secrets.contactKey = nil }, { api in try await api.send(.get, "/health").status })
        #expect(health == .ok)
        let error = try await withContacts(node, secrets: loaded) { contacts in
            await #expect(throws: ContactVaultError.self) { try await contacts.put(name: Self.name, phone: nil, forCase: UUID()) }
        }
        #expect(error?.reason == .noContactKey)

        // `congress secrets init` adds a key to the older file and keeps what it had; a key once made is kept.
        let regenerated = try #require(NodeSecrets.generate(for: topology, keeping: [loaded.node: loaded]).first { $0.node == loaded.node })
        #expect(regenerated.adminToken == loaded.adminToken && regenerated.contactKey?.count == 64)
        let again = try #require(NodeSecrets.generate(for: topology, keeping: [secrets.node: secrets]).first { $0.node == secrets.node })
        #expect(again.contactKey == key)
        // Each node has its own.
        let all = NodeSecrets.generate(for: topology, keeping: [:], personKeyRounds: 2)
        #expect(Set(all.compactMap(\.contactKey)).count == all.count)

        let malformed = older + "\ncontactKey: 1234\n"
        #expect(throws: ConfigFileError.self) { try NodeSecrets.parse(malformed, file: "bad.yaml") }
    }

    @Test func nodeConfigTakesTheRetention() throws {
        let base = "node: \"420802\"\ntopology: ../config/topology.yaml\n"
        #expect(try NodeConfig.parse(base, file: "/n/420802.yaml").contactRetentionDays == 180)
        #expect(try NodeConfig.parse(base + "contactRetentionDays: 30\n", file: "/n/420802.yaml").contactRetentionDays == 30)
        #expect(throws: ConfigFileError.self) { try NodeConfig.parse(base + "contactRetentionDays: soon\n", file: "/n/420802.yaml") }
        // The reply deadline of opinions (SPEC §13), 15 days unless the node says otherwise.
        #expect(try NodeConfig.parse(base, file: "/n/420802.yaml").opinionReplyDays == 15)
        #expect(try NodeConfig.parse(base + "opinionReplyDays: 10\n", file: "/n/420802.yaml").opinionReplyDays == 10)
        #expect(throws: ConfigFileError.self) { try NodeConfig.parse(base + "opinionReplyDays: 0\n", file: "/n/420802.yaml") }
    }

    // MARK: Helpers

    /// The lines of `table`'s data in a plain-format dump.
    static func rows(of table: String, in dump: String) -> String {
        guard let start = dump.range(of: "COPY public.\(table) ") else { return "" }
        let rest = dump[start.upperBound...]
        return String(rest[..<(rest.range(of: "\n\\.\n")?.lowerBound ?? rest.endIndex)])
    }

    /// The standard topology and the secrets of its node 420802.
    static func secrets() throws -> (topology: Topology, node: NodeSecrets) {
        let topology = try TopologyLoader.parse(TestTopology.standard.yaml, file: "test-topology.yaml").topology
        let secrets = try #require(NodeSecrets.generate(for: topology, keeping: [:], personKeyRounds: 2).first { $0.node.rawValue == "420802" })
        return (topology, secrets)
    }

    /// Runs `body` with the contact service of `node` (migrated, its services running), logging into the node's capture.
    private func withContacts<Value: Sendable>(
        _ node: TestNode,
        secrets: NodeSecrets? = nil,
        retentionDays: Int = NodeConfig.defaultContactRetentionDays,
        _ body: @escaping @Sendable (ContactService) async throws -> Value
    ) async throws -> Value {
        try await node.run { _ in
            try await TestDatabase.withClient(on: node.database) { client in
                let logger = node.logs.logger
                let contacts = ContactService(
                    store: ContactStore(client: client, logger: logger),
                    secrets: secrets ?? node.secrets,
                    retentionDays: retentionDays,
                    audit: AuditTrail(store: AuditStore(client: client, logger: logger), logger: logger)
                )
                return try await body(contacts)
            }
        }
    }
}
