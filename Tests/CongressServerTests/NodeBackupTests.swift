import CongressCore
import CongressStore
import Foundation
import Testing

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
}
