import CongressCore
import CongressStore
import Foundation
import Logging
import Testing

/// `database: managed`: the node makes, starts, reuses and stops its own cluster.
@Suite(.serialized) struct ManagedPostgresTests {
    static func scratch() throws -> String {
        let path = "/tmp/congress-managed-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        return path
    }

    @Test func createsStartsReusesAndStops() async throws {
        let dataDir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let managed = ManagedPostgres(dataDir: dataDir + "/node", logger: Logger(label: "test"))
        let first = try await managed.start()
        #expect(first.startedHere)
        #expect(first.address.host == "127.0.0.1")
        let second = try await managed.start()
        #expect(!second.startedHere, "a running cluster is reused")
        #expect(second.address.port == first.address.port)
        _ = try await TestDatabase.texts("SELECT 'ok'", on: first.address)
        try managed.stop()
        #expect(!FileManager.default.fileExists(atPath: dataDir + "/node/postgres/postmaster.pid"))

        // A stale pid file left by a crash is removed, with a warning, and the cluster starts.
        let stalePid = "99999999\n\(dataDir)/node/postgres\n0\n\(first.address.port)\n"
        try stalePid.write(toFile: dataDir + "/node/postgres/postmaster.pid", atomically: true, encoding: .utf8)
        let third = try await managed.start()
        #expect(third.startedHere)
        try managed.stop()

        // A pid file naming a live process that is not PostgreSQL is reported, not overwritten.
        let foreign = "\(getpid())\n\(dataDir)/node/postgres\n0\n\(first.address.port)\n"
        try foreign.write(toFile: dataDir + "/node/postgres/postmaster.pid", atomically: true, encoding: .utf8)
        await #expect {
            try await managed.start()
        } throws: { error in
            "\(error)".contains("not PostgreSQL")
        }
    }
}
