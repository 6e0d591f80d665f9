import CongressCore
import Foundation
import Logging
import PostgresNIO
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The node's own PostgreSQL cluster under `dataDir` (SPEC §6 `database: managed`).
///
/// Created with initdb on first start, started on a free loopback port, reused when already running,
/// stopped by the node that started it. PostgreSQL refuses to run as root, so under root the cluster
/// belongs to and runs as the unprivileged `postgres` user.
public struct ManagedPostgres: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let dataDir: String
    let logger: Logger
    static let superuser = "congress"
    static let databaseName = "congress"
    static let serviceUser = "postgres"

    public init(dataDir: String, logger: Logger) {
        self.dataDir = dataDir
        self.logger = logger
    }

    var clusterDir: String { dataDir + "/postgres" }
    var passwordFile: String { dataDir + "/postgres.password" }
    var portFile: String { dataDir + "/postgres.port" }
    var logFile: String { dataDir + "/postgres.log" }
    var runsAsRoot: Bool { getuid() == 0 }

    /// Starts (or finds running) the cluster and makes sure the node's database exists.
    /// `startedHere` tells whether this call started the server, and so whether `stop()` should stop it.
    public func start() async throws -> (address: DatabaseAddress, startedHere: Bool) {
        let binaries = try Self.binaryFolder()
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let password = try ensurePassword()
        if !FileManager.default.fileExists(atPath: clusterDir + "/PG_VERSION") {
            try initialise(binaries: binaries, password: password)
        }
        var startedHere = false
        let port: Int
        if let running = try runningPort() {
            port = running
            logger.info("reusing running PostgreSQL", metadata: ["port": "\(port)", "dataDir": "\(clusterDir)"])
        } else {
            port = try choosePort()
            try launch(binaries: binaries, port: port)
            startedHere = true
            logger.info("started managed PostgreSQL", metadata: ["port": "\(port)", "dataDir": "\(clusterDir)"])
        }
        let server = DatabaseAddress(host: "127.0.0.1", port: port, username: Self.superuser, password: password, database: "postgres")
        try await Self.createDatabaseIfMissing(Self.databaseName, on: server, logger: logger)
        return (server.with(database: Self.databaseName), startedHere)
    }

    /// `immediately`: as a crash would, without closing sessions cleanly (tests of a database that goes away).
    public func stop(immediately: Bool = false) throws {
        let binaries = try Self.binaryFolder()
        let mode = immediately ? "immediate" : "fast"
        try run(binaries + "/pg_ctl", ["-D", clusterDir, "-m", mode, "-w", "-t", "60", "stop"], asService: true)
        logger.info("stopped managed PostgreSQL", metadata: ["dataDir": "\(clusterDir)"])
    }

    /// Creates `name` on the server unless it exists (used by tests for a database each, too).
    public static func createDatabaseIfMissing(_ name: String, on server: DatabaseAddress, logger: Logger) async throws {
        let quiet = logger.errorsOnly
        let client = PostgresClient(configuration: server.clientConfiguration, backgroundLogger: quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let rows = try await client.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger)
            var exists = false
            for try await _ in rows { exists = true }
            if !exists {
                do {
                    try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(name)\""), logger: logger)
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P04" {
                    // Created meanwhile by another node or test: what we wanted.
                }
            }
        }
    }

    // MARK: Steps

    private func ensurePassword() throws -> String {
        if let existing = try? String(contentsOfFile: passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            !existing.isEmpty
        {
            return existing
        }
        let password = NodeSecrets.newToken()
        _ = FileManager.default.createFile(atPath: passwordFile, contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600])
        return password
    }

    private func initialise(binaries: String, password: String) throws {
        try FileManager.default.createDirectory(atPath: clusterDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // initdb reads the password from a file the service user can read; it is removed right after.
        let initialPassword = clusterDir + "/.initial-password"
        _ = FileManager.default.createFile(atPath: initialPassword, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600])
        defer { try? FileManager.default.removeItem(atPath: initialPassword) }
        if runsAsRoot {
            try checkTraversable()
            try run("/bin/chown", ["-R", Self.serviceUser, clusterDir], asService: false)
        }
        logger.info("creating managed PostgreSQL cluster", metadata: ["dataDir": "\(clusterDir)"])
        let staging = clusterDir + "/cluster"
        try? FileManager.default.removeItem(atPath: staging)
        try run(
            binaries + "/initdb",
            ["-D", staging, "-U", Self.superuser, "--pwfile", initialPassword, "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C.UTF-8"],
            asService: true
        )
        // Move the cluster into place only when initdb has finished, so an interrupted first start
        // leaves no half-made cluster that later starts would mistake for a real one.
        // PG_VERSION, which marks a finished cluster, moves last.
        let items = try FileManager.default.contentsOfDirectory(atPath: staging).sorted {
            ($0 == "PG_VERSION" ? 1 : 0) < ($1 == "PG_VERSION" ? 1 : 0)
        }
        for item in items {
            try FileManager.default.moveItem(atPath: staging + "/" + item, toPath: clusterDir + "/" + item)
        }
        try FileManager.default.removeItem(atPath: staging)
    }

    /// The port of a server already running on this cluster; removes a stale pid file.
    private func runningPort() throws -> Int? {
        let pidFile = clusterDir + "/postmaster.pid"
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4, let pid = Int32(lines[0].trimmingCharacters(in: .whitespaces)), let port = Int(lines[3]) else {
            throw Failure(description: "\(pidFile) is unreadable: if no PostgreSQL runs on \(clusterDir), remove it and start again")
        }
        guard kill(pid, 0) == 0 || errno == EPERM else {
            logger.warning("removing stale PostgreSQL pid file", metadata: ["file": "\(pidFile)", "pid": "\(pid)"])
            try FileManager.default.removeItem(atPath: pidFile)
            return nil
        }
        let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
        guard command.contains("postgres") else {
            throw Failure(
                description:
                    "\(pidFile) names process \(pid), which is not PostgreSQL: if no server runs on \(clusterDir), remove the file and start again"
            )
        }
        return port
    }

    private func choosePort() throws -> Int {
        if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            if LoopbackPort.isFree(port) { return port }
            logger.warning("the managed PostgreSQL's previous port is taken; choosing another", metadata: ["port": "\(port)"])
        }
        let port = try LoopbackPort.free()
        try "\(port)\n".write(toFile: portFile, atomically: true, encoding: .utf8)
        return port
    }

    private func launch(binaries: String, port: Int) throws {
        if runsAsRoot {
            _ = FileManager.default.createFile(atPath: logFile, contents: nil)
            try run("/bin/chown", [Self.serviceUser, logFile], asService: false)
        }
        let options = "-p \(port) -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=100"
        do {
            try run(binaries + "/pg_ctl", ["-D", clusterDir, "-l", logFile, "-w", "-t", "60", "-o", options, "start"], asService: true)
        } catch {
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            let tail = log.split(separator: "\n").suffix(5).joined(separator: "\n")
            if log.contains("could not bind") || log.contains("Address already in use") {
                throw Failure(description: "port \(port) is already in use; PostgreSQL could not start. Last log lines:\n\(tail)")
            }
            throw Failure(description: "PostgreSQL did not start (\(error)). Last lines of \(logFile):\n\(tail)")
        }
    }

    /// Under root, the `postgres` user must be able to reach the cluster folder.
    private func checkTraversable() throws {
        var url = URL(fileURLWithPath: clusterDir).deletingLastPathComponent()
        while url.path != "/" {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
            if mode & 0o001 == 0 {
                throw Failure(
                    description:
                        "\(url.path) is closed to other users (mode \(String(mode, radix: 8))); PostgreSQL runs as '\(Self.serviceUser)' and must reach \(clusterDir): chmod o+x \(url.path)"
                )
            }
            url.deleteLastPathComponent()
        }
    }

    private func run(_ executable: String, _ arguments: [String], asService: Bool) throws {
        let command =
            asService && runsAsRoot ? ["/usr/sbin/runuser", "-u", Self.serviceUser, "--", executable] + arguments : [executable] + arguments
        // Output goes to a file, not a pipe: the server pg_ctl starts inherits the descriptors and would hold
        // a pipe open for its whole life. Foundation's Process waits on such descriptors too, hence posix_spawn.
        let outputPath = dataDir + "/command.out"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArguments = command.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else { throw Failure(description: "cannot run \(command[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitCode = (status >> 8) & 0xff
        guard status & 0x7f == 0 && exitCode == 0 else {
            let text = ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(description: "\((executable as NSString).lastPathComponent) failed (exit \(exitCode)): \(text)")
        }
    }

    /// The folder holding initdb and pg_ctl: on PATH, else the newest Debian install.
    public static func binaryFolder() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for folder in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(folder)/initdb") {
            return URL(fileURLWithPath: "\(folder)/initdb").resolvingSymlinksInPath().deletingLastPathComponent().path
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let folder = "/usr/lib/postgresql/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: folder + "/initdb") { return folder }
        }
        throw Failure(description: "PostgreSQL server programs (initdb, pg_ctl) not found: install them with 'apt-get install postgresql'")
    }
}

/// Free ports on 127.0.0.1.
public enum LoopbackPort {
    public static func isFree(_ port: Int) -> Bool { (try? bind(port)) != nil }

    /// A free port below Linux's ephemeral range (32768–60999). A port from that range may be taken meanwhile by any
    /// outgoing connection, even by a client's own attempt to reach the not-yet-listening server (a TCP self-connect).
    /// Never the same port twice in one process: two nodes started side by side (tests in parallel) must not both
    /// pick a port before either binds it.
    public static func free() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20_000..<32_768)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            if isFree(port) { return port }
        }
        return try bind(0)
    }

    private static let handedOut = Mutex<Set<Int>>([])

    private static func bind(_ port: Int) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ManagedPostgres.Failure(description: "cannot open a socket") }
        defer { close(fd) }
        // As servers bind (NIO, PostgreSQL): connections of a just-stopped server lingering in TIME_WAIT do not count.
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw ManagedPostgres.Failure(description: "port \(port) is in use") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
