import CongressCore
import CongressStore
import Foundation
import Testing

@testable import CongressServer

@Suite struct NodeBackupTests {
    /// Backup, more writes, restore: the node holds exactly what it held at the backup, and what it writes next
    /// carries a version past anything written before the restore.
    @Test func aRestoredNodeHoldsWhatItsBackupHeldAndWritesNewerVersions() async throws {
        let node = try await TestNode.make()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("backup-\(UUID().uuidString).dump").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let station = try await node.run { api in
            _ = try await api.create("deputies", Fixture.deputy(name: "备份前"))
            return try await api.create("stations", Fixture.station())
        }
        let atBackup = try await node.snapshot()
        let seqAtBackup = try await TestDatabase.texts("SELECT last_seq::text FROM change_counter", on: node.database)
        try NodeBackup.dump(node.database, to: file)

        try await node.run { api in
            _ = try await api.create("deputies", Fixture.deputy(name: "备份后"))
            #expect(try await api.send(.delete, "/v1/stations/\(station)").status == .ok)
        }
        #expect(try await node.snapshot() != atBackup)

        try NodeBackup.restore(node.database, from: file)
        #expect(try await node.snapshot() == atBackup)
        let names = try await TestDatabase.texts("SELECT body->>'name' FROM deputies ORDER BY 1", on: node.database)
        #expect(names == ["备份前"])
        let seq = try await TestDatabase.texts("SELECT last_seq::text FROM change_counter", on: node.database)
        #expect(Int64(seq[0]) == Int64(seqAtBackup[0])! + NodeBackup.seqJumpOnRestore)

        try await node.run { api in
            let created = try await api.create(Deputy.self, Fixture.deputy(name: "恢复后"))
            #expect(created.meta.version > NodeBackup.seqJumpOnRestore)
        }

        // A backup that is not there changes nothing.
        let before = try await node.snapshot()
        #expect(throws: StoreError.self) { try NodeBackup.restore(node.database, from: file + ".missing") }
        #expect(try await node.snapshot() == before)
    }

    /// Erasing a contact's data key erases the backups' copies of it too (SPEC §13): a backup holds contacts sealed and
    /// no key; a restore keeps the live keys, so a contact erased since the backup stays erased and the others open.
    @Test func aContactErasedAfterABackupStaysErasedWhenTheBackupIsRestored() async throws {
        let node = try await TestNode.make()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("backup-\(UUID().uuidString).dump").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        @Sendable func opinion(_ name: String) -> String {
            """
            {"kind": "opinion", "channel": "reception", "subject": "路灯", "content": "村口路灯不亮", "regionCode": "420802",
             "constituent": {"name": "\(name)", "phone": "13900001111"}}
            """
        }
        let (erased, kept) = try await node.run { api in
            let erased = try await api.send(.post, "/v1/cases", json: opinion("张三")).json["id"] as? String ?? ""
            let kept = try await api.send(.post, "/v1/cases", json: opinion("李四")).json["id"] as? String ?? ""
            return (erased, kept)
        }
        try NodeBackup.dump(node.database, to: file)
        let folder = ProcessInfo.processInfo.environment["CONGRESS_PG_BIN"] ?? "/usr/bin"
        let listing = try await ChildProcess.run(folder + "/pg_restore", ["--list", file], mergingErrors: false).text
        #expect(listing.contains("case_contacts") && !listing.contains("case_contact_keys"), "\(listing)")

        try await node.run { api in
            let reply = try await api.send(.delete, "/v1/cases/\(erased)/contact", token: .admin)
            #expect(reply.json["erased"] as? Bool == true, "\(reply.body)")
        }
        try NodeBackup.restore(node.database, from: file)
        try await node.run { api in
            #expect(try await api.send(.get, "/v1/cases/\(erased)", token: .admin).json["constituent"] == nil, "the backup brought it back")
            let contact = try await api.send(.get, "/v1/cases/\(kept)", token: .admin).json["constituent"] as? [String: Any]
            #expect(contact?["name"] as? String == "李四")
        }
        // The sealed copy the restore brought back, with no key to open it, goes at the next erasing pass.
        let erasedNow = try await TestDatabase.withClient(on: node.database) { client in
            try await ContactStore(client: client, logger: TestDatabase.quietLogger).eraseDue(today: Activity.today())
        }
        #expect(erasedNow == 0)
        let left = try await TestDatabase.texts("SELECT count(*)::text FROM case_contacts", on: node.database)
        #expect(left == ["1"])
    }
}
