import CongressCore
import CongressStore
import Foundation
import Logging
import Testing

/// One-shot commands (`congress seed`, …) against a database that goes away under them (issue 20): a dropped connection
/// fails the command with a clear error instead of hanging, and a command that started the node's managed PostgreSQL
/// stops it however it ends — an error, SIGTERM or SIGINT.
@Suite struct OneShotCommandTests {
    /// The seed's write of the deputies is held by a lock and its connection ended by the server meanwhile.
    @Test func aConnectionDroppedUnderTheSeedsWriteFailsTheCommandAndWritesNothingOfIt() async throws {
        let node = try await TestNode.make()
        let files = try NodeProcess(node, topologyYAML: TestTopology.standard.yaml)
        try await TestDatabase.withClient(on: node.database) { try await Migrations.apply(on: $0, logger: TestDatabase.quietLogger) }
        let lock = try await HeldLock("LOCK TABLE deputies IN SHARE MODE", on: node.database)
        let seed = try RunningCommand(["seed", "--synthetic", "--scale", "small", "--node", files.configFile.path], in: files.folder)

        try await Self.terminateBackend(waitingOn: "INSERT INTO deputies", on: node.database)
        try await lock.releaseAndWait()
        let status = await seed.exitStatus(within: .seconds(60))
        #expect(status != nil && status != 0, "\(seed.output)")
        #expect(seed.output.contains("error: the database connection was lost while writing"), "\(seed.output)")
        #expect(seed.output.contains("deputies"), "\(seed.output)")
        // The seed's transaction of the deputies rolled back whole: neither the records nor their change-log entries.
        #expect(try await TestDatabase.texts("SELECT count(*)::text FROM deputies", on: node.database) == ["0"])
        #expect(try await TestDatabase.texts("SELECT count(*)::text FROM change_log WHERE kind = 'deputy'", on: node.database) == ["0"])
        // What came before it was committed in transactions of its own.
        #expect(try await TestDatabase.texts("SELECT count(*)::text FROM units", on: node.database) != ["0"])
    }

    enum Ending: String, CaseIterable {
        case sigterm, sigint, droppedConnection
    }

    /// `database: managed`: the seed starts the node's own cluster; held mid-write, it is ended by a signal or by its
    /// connection dropping, and the cluster is stopped either way.
    @Test(arguments: Ending.allCases)
    func aOneShotCommandStopsTheManagedClusterItStartedHoweverItEnds(_ ending: Ending) async throws {
        let node = try await TestNode.make()
        let files = try NodeProcess(node, topologyYAML: TestTopology.standard.yaml)
        let config = try String(contentsOf: files.configFile, encoding: .utf8)
            .replacingOccurrences(of: "database: \(node.database.redacted)", with: "database: managed")
        try config.write(to: files.configFile, atomically: true, encoding: .utf8)
        let dataDir = files.folder.appendingPathComponent("data").path
        let seed = try RunningCommand(["seed", "--synthetic", "--scale", "small", "--node", files.configFile.path], in: files.folder)

        // Once the cluster is up and migrated, the seed's last writes are held by a lock.
        let cluster = try await Self.managedCluster(dataDir, of: seed)
        let lock = try await HeldLock("LOCK TABLE activities, cases, case_events IN SHARE MODE", on: cluster)
        switch ending {
        case .sigterm:
            try await Self.waitForWriteOnLock(on: cluster)
            kill(seed.pid, SIGTERM)
        case .sigint:
            try await Self.waitForWriteOnLock(on: cluster)
            kill(seed.pid, SIGINT)
        case .droppedConnection:
            try await Self.terminateBackend(waitingOn: "INSERT INTO", on: cluster)
            try? await lock.releaseAndWait()
        }
        let status = await seed.exitStatus(within: .seconds(60))
        try? await lock.releaseAndWait()
        #expect(status != nil && status != 0, "\(seed.output)")
        switch ending {
        case .sigterm: #expect(seed.output.contains("error: interrupted by SIGTERM"), "\(seed.output)")
        case .sigint: #expect(seed.output.contains("error: interrupted by SIGINT"), "\(seed.output)")
        case .droppedConnection: #expect(seed.output.contains("error: the database connection was lost while writing"), "\(seed.output)")
        }
        let pidFile = dataDir + "/postgres/postmaster.pid"
        #expect(!FileManager.default.fileExists(atPath: pidFile), "the managed PostgreSQL still runs: \(seed.output)")
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = Int32(text.prefix { $0 != "\n" }) {
            kill(pid, SIGKILL)
        }
    }

    /// The managed cluster's address once the command has started it and migrated its database.
    static func managedCluster(_ dataDir: String, of command: RunningCommand) async throws -> DatabaseAddress {
        let ready = try await eventually {
            FileManager.default.fileExists(atPath: dataDir + "/postgres/postmaster.pid")
                && FileManager.default.fileExists(atPath: dataDir + "/postgres.port")
        } until: {
            $0
        }
        guard ready else { throw TestSetupError("the managed PostgreSQL did not start: \(command.output)") }
        let port = try String(contentsOfFile: dataDir + "/postgres.port", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let password = try String(contentsOfFile: dataDir + "/postgres.password", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let address = DatabaseAddress(host: "127.0.0.1", port: Int(port) ?? 0, username: "congress", password: password, database: "congress")
        let latest = ["\(Migrations.latestVersion)"]
        let migrated = try await eventually {
            (try? await TestDatabase.texts("SELECT max(version)::text FROM schema_migrations", on: address)) ?? []
        } until: {
            $0 == latest
        }
        guard migrated == latest else { throw TestSetupError("the managed database was not migrated: \(command.output)") }
        return address
    }

    /// Waits until a statement of another session waits for a lock on `database`.
    static func waitForWriteOnLock(on database: DatabaseAddress, running statement: String = "INSERT INTO") async throws {
        let waiting = try await eventually {
            try await TestDatabase.texts(
                """
                SELECT pid::text FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%\(statement)%'
                """,
                on: database
            )
        } until: {
            !$0.isEmpty
        }
        guard !waiting.isEmpty else { throw TestSetupError("no statement \(statement)… waited for the lock") }
    }

    /// Ends, from the server's side, the session whose `statement` waits for a lock on `database`.
    static func terminateBackend(waitingOn statement: String, on database: DatabaseAddress) async throws {
        try await waitForWriteOnLock(on: database, running: statement)
        let terminated = try await TestDatabase.texts(
            """
            SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%\(statement)%'
            """,
            on: database
        )
        #expect(terminated.contains("true"))
    }
}

/// The `congress` executable run in the background, so that a test can signal it and bound how long it takes.
final class RunningCommand: @unchecked Sendable {
    // Only touched by the one test that owns it.
    private let process = Process()
    private let outputFile: URL

    init(_ arguments: [String], in folder: URL) throws {
        outputFile = folder.appendingPathComponent("command-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: try NodeProcess.executable)
        process.arguments = arguments
        let output = try FileHandle(forWritingTo: outputFile)
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Standard output and error so far.
    var output: String { (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "" }

    /// The exit status once the command has ended; nil if it is still running after `limit` (then it is killed).
    func exitStatus(within limit: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + limit
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(100))
        }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
