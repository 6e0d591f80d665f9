import CongressCore
import CongressStore
import Foundation
import NIOSSL
import Testing

/// A test node run as its own `congress serve` process, on its test database, so that a test can SIGKILL it.
final class NodeProcess: @unchecked Sendable {
    // Only touched by the one test that owns it, one step at a time.
    let node: TestNode
    let folder: URL
    private var process: Process?

    /// The `congress` executable `swift build --build-tests` put beside the test bundle.
    static var executable: String {
        get throws {
            if let path = ProcessInfo.processInfo.environment["CONGRESS_BIN"] { return path }
            let packageRoot = Repository.root
            let path = packageRoot.appendingPathComponent(".build/debug/congress").path
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw TestSetupError("\(path) is missing: build it with `swift build --build-tests` (ops/test does)")
            }
            return path
        }
    }

    /// Writes the node's topology, secrets and config into a fresh folder; the config names the other files by paths
    /// relative to its own folder, or absolute ones (as under /etc/congress).
    init(_ node: TestNode, topologyYAML: String, absolutePaths: Bool = false) throws {
        self.node = node
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("congress-node-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try topologyYAML.write(to: folder.appendingPathComponent("topology.yaml"), atomically: true, encoding: .utf8)
        try node.secrets.yaml.write(to: folder.appendingPathComponent("secrets.yaml"), atomically: true, encoding: .utf8)
        let base = absolutePaths ? folder.path + "/" : ""
        let config = """
            node: "\(node.node)"
            topology: \(base)topology.yaml
            database: \(node.database.redacted)
            dataDir: \(base)data
            secrets: \(base)secrets.yaml
            """
        try config.write(to: configFile, atomically: true, encoding: .utf8)
    }

    var configFile: URL { folder.appendingPathComponent("node.yaml") }

    /// `congress serve`, returning once the node answers `/health`.
    func start(tls: TLSConfiguration? = nil) async throws -> APIClient {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.executable)
        process.arguments = ["serve", "--node", configFile.path, "--log-level", "warning"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: logFile)
        try process.run()
        self.process = process
        let client = APIClient(baseURL: node.configuration.topology.node(node.node)!.url!, secrets: node.secrets, tls: tls)
        do {
            try await client.waitUntilHealthy()
        } catch {
            kill()
            throw TestSetupError("congress serve for \(node.node) did not start: \(log)")
        }
        return client
    }

    private var logFile: URL {
        let url = folder.appendingPathComponent("serve.log")
        if !FileManager.default.fileExists(atPath: url.path) { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        return url
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// SIGKILL: no shutdown, no last words; waits until the process is gone.
    func kill() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// `congress sync --node FILE`: its exit status and what it printed.
    func syncOnce() async throws -> (status: Int32, output: String) {
        try await command(["sync"])
    }

    /// `congress ARGUMENTS --node CONFIG` run to its end: its exit status and what it printed.
    func command(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let finished = try await ChildProcess.run(try Self.executable, arguments + ["--node", configFile.path])
        return (finished.terminationStatus, finished.text)
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(at: folder)
    }
}

/// Holds a PostgreSQL lock in an open transaction until released, to stop another session in the middle of its work.
final class HeldLock: @unchecked Sendable {
    private let release = AsyncStream<Void>.makeStream()
    private let task: Task<Void, any Error>

    /// Runs `sql` (e.g. `LOCK TABLE deputies IN SHARE MODE`) in a transaction on `database` and keeps it open.
    init(_ sql: String, on database: DatabaseAddress) async throws {
        let held = AsyncStream<Void>.makeStream()
        let release = release
        task = Task {
            defer { held.continuation.finish() }
            try await TestDatabase.inTransaction(sql, on: database) {
                held.continuation.yield()
                for await _ in release.stream { break }
            }
        }
        var taken = false
        for await _ in held.stream {
            taken = true
            break
        }
        if !taken {
            try await task.value
            throw TestSetupError("\(sql) ended before it was held")
        }
    }

    /// Ends the transaction. Bounded: when a test has stopped the server meanwhile, PostgresNIO never answers the COMMIT
    /// sent on the closed connection.
    func releaseAndWait() async throws {
        release.continuation.yield()
        release.continuation.finish()
        let task = task
        try await firstOf(within: .seconds(10)) { try await task.value }
    }
}
