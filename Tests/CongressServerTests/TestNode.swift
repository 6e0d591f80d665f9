import AsyncHTTPClient
import CongressCore
import CongressStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOSSL
import PostgresNIO
import Testing

@testable import CongressServer

/// The throwaway PostgreSQL server `ops/test` starts; each test gets a database of its own on it.
enum TestDatabase {
    static var server: DatabaseAddress {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["CONGRESS_TEST_DATABASE"] else {
                throw TestSetupError("CONGRESS_TEST_DATABASE is not set: run the tests with ops/test, which starts PostgreSQL")
            }
            return try DatabaseAddress(url: url)
        }
    }

    static var quietLogger: Logger { Logger(label: "test").errorsOnly }

    /// PBKDF2 rounds of the tests' person keys: the slow part tested once (CoreTests), not paid for by every import.
    static let personKeyRounds = 2

    /// A new, empty database.
    static func make(logger: Logger = quietLogger) async throws -> DatabaseAddress {
        let server = try server
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await ManagedPostgres.createDatabaseIfMissing(name, on: server, logger: logger)
        return server.with(database: name)
    }

    /// Runs `body` with a connection pool to `database`, running for as long as `body` does (PostgresNIO's own pattern:
    /// `body` stays in this task, free to change what the test holds).
    static func withClient<Value: Sendable>(on database: DatabaseAddress, _ body: (PostgresClient) async throws -> Value) async throws -> Value {
        let client = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: quietLogger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await client.run() }
            defer { tasks.cancelAll() }
            return try await body(client)
        }
    }

    /// Runs `sql` in a transaction on `database`, then `whileOpen`, then commits.
    static func inTransaction(_ sql: String, on database: DatabaseAddress, whileOpen: () async throws -> Void) async throws {
        try await withClient(on: database) { client in
            try await client.withConnection { connection in
                try await connection.query("BEGIN", logger: quietLogger)
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger)
                try await whileOpen()
                try await connection.query("COMMIT", logger: quietLogger)
            }
        }
    }

    /// Runs SQL on `database` and returns the first column of each row as text.
    static func texts(_ sql: String, on database: DatabaseAddress) async throws -> [String] {
        try await withClient(on: database) { client in
            var values: [String] = []
            for try await value in try await client.query(PostgresQuery(unsafeSQL: sql)).decode(String.self) { values.append(value) }
            return values
        }
    }

    /// The database as pg_dump writes it: every table, every column, to search for what must not be there.
    static func dump(_ database: DatabaseAddress) async throws -> String {
        let folder = ProcessInfo.processInfo.environment["CONGRESS_PG_BIN"] ?? "/usr/bin"
        let arguments = ["-h", database.host, "-p", "\(database.port)", "-U", database.username, "--no-owner", database.database]
        let finished = try await ChildProcess.run(folder + "/pg_dump", arguments, mergingErrors: false)
        #expect(finished.terminationStatus == 0)
        return finished.text
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Every log line of a node, for tests that look for what must never be logged.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var text: String { lock.withLock { lines.joined(separator: "\n") } }

    var logger: Logger {
        var logger = Logger(label: "test-node") { _ in CapturingHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    private struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append("\(event.level) \(event.message) \(all) \(event.source)")
        }
    }
}

/// One node on its own fresh database, driven through its router.
struct TestNode {
    let node: RegionCode
    let database: DatabaseAddress
    let secrets: NodeSecrets
    let logs = LogCapture()
    let configuration: AppConfiguration

    /// `federationSecrets`: every node's secrets from one `generate`, so that parents know their children's tokens.
    /// `database`: one the test made itself (on a cluster of its own), else a fresh one on the shared cluster.
    static func make(
        node: String = "420802",
        topologyYAML: String = TestTopology.standard.yaml,
        federationSecrets: [NodeSecrets]? = nil,
        database: DatabaseAddress? = nil
    ) async throws -> TestNode {
        let topology = try TopologyLoader.parse(topologyYAML, file: "test-topology.yaml").topology
        let code = RegionCode(node)!
        let secrets = (federationSecrets ?? NodeSecrets.generate(for: topology, keeping: [:], personKeyRounds: TestDatabase.personKeyRounds)).first {
            $0.node == code
        }!
        let chosen = if let database { database } else { try await TestDatabase.make() }
        return TestNode(node: code, database: chosen, secrets: secrets, topology: topology)
    }

    private init(node: RegionCode, database: DatabaseAddress, secrets: NodeSecrets, topology: Topology) {
        self.node = node
        self.database = database
        self.secrets = secrets
        var configuration = AppConfiguration(
            node: node,
            topology: topology,
            secrets: secrets,
            database: database,
            listen: HostAndPort(host: "127.0.0.1", port: 0),
            logger: Logger(label: "unused")
        )
        // Compacted after pushes only: a test reading a node's change-log history must not race a scheduled pass.
        configuration.compactionInterval = nil
        // Coverage maintained when read only: tests that let days pass maintain with days of their own.
        configuration.coverageMaintenanceInterval = nil
        self.configuration = configuration
    }

    /// The same database and tokens under another code and topology: a node restarted after a change file recoded it.
    func reopened(as code: String, topologyYAML: String) throws -> TestNode {
        var secrets = secrets
        secrets.node = RegionCode(code)!
        return TestNode(
            node: secrets.node,
            database: database,
            secrets: secrets,
            topology: try TopologyLoader.parse(topologyYAML, file: "test-topology.yaml").topology
        )
    }

    /// Runs `body` against the node (its router, or a real socket with `.live`) with its services and migrations running.
    func run<Value: Sendable>(
        _ setup: TestingSetup = .router,
        configure: (inout AppConfiguration) -> Void = { _ in },
        _ body: @Sendable (APIClient) async throws -> Value
    ) async throws -> Value {
        var configuration = configuration
        configuration.logger = logs.logger
        configure(&configuration)
        let app = try buildApplication(configuration)
        let secrets = secrets
        return try await app.test(setup) { client in try await body(APIClient(client: client, secrets: secrets)) }
    }

    /// Runs the node as `congress serve` would, on the port its configuration names (HummingbirdTesting's `.live`
    /// always binds port 0, and other nodes must find this one at its topology url), until `body` returns.
    func serve<Value: Sendable>(
        configure: (inout AppConfiguration) -> Void = { _ in },
        _ body: @Sendable (APIClient) async throws -> Value
    ) async throws -> Value {
        var configuration = configuration
        configuration.logger = logs.logger
        configure(&configuration)
        let app = try buildApplication(configuration)
        let scheme = configuration.tls?.serves == true ? "https" : "http"
        let client = APIClient(
            baseURL: "\(scheme)://\(configuration.listen.host):\(configuration.listen.port)",
            secrets: secrets,
            tls: configuration.tls?.clientConfiguration
        )
        let node = configuration.node
        return try await whileRunning([app], logger: TestDatabase.quietLogger) {
            try await client.waitUntilHealthy(node: node)
            return try await body(client)
        }
    }

    /// Row counts of every record table and the change log, to prove a refused request changed nothing.
    func snapshot() async throws -> [String] {
        let tables = RecordKind.allCases.map(\.collection) + ["change_log"]
        let sql = tables.map { "SELECT '\($0)=' || count(*) || '/' || coalesce(max(version), 0) FROM \($0)" }.joined(separator: " UNION ALL ")
            .replacingOccurrences(of: "max(version), 0) FROM change_log", with: "max(seq), 0) FROM change_log")
        return try await TestDatabase.texts(sql, on: database).sorted()
    }
}

/// A test's view of the API: JSON in, status and JSON out, through a router or over real HTTP.
struct APIClient: Sendable {
    typealias Transport = @Sendable (_ uri: String, _ method: HTTPRequest.Method, _ headers: HTTPFields, _ body: ByteBuffer?) async throws -> Reply
    let transport: Transport
    let secrets: NodeSecrets
    /// Where the node listens, for clients other than this one (a browser); nil through a router.
    let baseURL: String?

    init(client: any TestClientProtocol, secrets: NodeSecrets) {
        self.secrets = secrets
        baseURL = nil
        transport = { uri, method, headers, body in
            try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
                Reply(status: response.status, body: String(buffer: response.body), headers: response.headers)
            }
        }
    }

    /// A node listening at `baseURL`, reached with AsyncHTTPClient (over HTTPS with `tls`).
    init(baseURL: String, secrets: NodeSecrets, tls: TLSConfiguration? = nil) {
        self.secrets = secrets
        self.baseURL = baseURL
        transport = { uri, method, headers, body in
            var request = HTTPClientRequest(url: baseURL + uri)
            request.tlsConfiguration = tls
            request.method = .init(rawValue: method.rawValue)
            for field in headers { request.headers.add(name: field.name.rawName, value: field.value) }
            if let body { request.body = .bytes(body) }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            let bytes = try await response.body.collect(upTo: 64 << 20)
            var fields = HTTPFields()
            for (name, value) in response.headers { if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) } }
            return Reply(status: .init(code: Int(response.status.code)), body: String(buffer: bytes), headers: fields)
        }
    }

    enum Token {
        case admin, read, none
        case custom(String)
    }

    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var body: String
        var headers: HTTPFields

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }

        var error: (code: String, message: String, field: String?)? {
            guard let error = json["error"] as? [String: Any], let code = error["code"] as? String, let message = error["message"] as? String else {
                return nil
            }
            return (code, message, error["field"] as? String)
        }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try JSONDecoder().decode(type, from: Data(body.utf8))
        }

        /// A CSV answer's lines after the UTF-8 byte-order mark that makes Excel read it as UTF-8, checked here so that
        /// every test of a CSV export checks it.
        var csvLines: [Substring] {
            #expect(body.unicodeScalars.first == "\u{FEFF}", "a CSV export starts with a UTF-8 byte-order mark: \(body.prefix(40))")
            return String(body.unicodeScalars.drop { $0 == "\u{FEFF}" }).split(separator: "\n")
        }
    }

    @discardableResult
    func send(_ method: HTTPRequest.Method, _ uri: String, json: String? = nil, token: Token? = nil) async throws -> Reply {
        var headers: HTTPFields = [:]
        let chosen = token ?? (method == .get ? .read : .admin)
        switch chosen {
        case .admin: headers[.authorization] = "Bearer \(secrets.adminToken)"
        case .read: headers[.authorization] = "Bearer \(secrets.readToken)"
        case .custom(let value): headers[.authorization] = value
        case .none: break
        }
        if json != nil { headers[.contentType] = "application/json" }
        return try await transport(uri, method, headers, json.map { ByteBuffer(string: $0) })
    }

    /// Polls `/health` until the node answers (a node starts its database and migrations first).
    /// Waits for `/health`; when `node` is given, the node answering must be that one (not another test's on the port).
    /// Generous: the whole suite starts dozens of nodes at once on CI's two cores, each migrating a fresh database.
    static let healthyWithin: Duration = .seconds(120)

    func waitUntilHealthy(node: RegionCode? = nil) async throws {
        let deadline = ContinuousClock.now + Self.healthyWithin
        while true {
            if let reply = try? await send(.get, "/health", token: Token.none), reply.status == .ok {
                if let node, let answering = reply.json["node"] as? String, answering != node.rawValue {
                    throw TestSetupError("\(baseURL ?? "the port") is served by node \(answering), not \(node)")
                }
                return
            }
            guard ContinuousClock.now < deadline else { throw TestSetupError("the node did not become healthy within \(Self.healthyWithin)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Creates a record and returns its id, failing the test with the server's answer otherwise.
    func create(_ collection: String, _ json: String) async throws -> String {
        let reply = try await send(.post, "/v1/\(collection)", json: json)
        guard reply.status == .created, let id = reply.json["id"] as? String else {
            throw TestSetupError("creating \(collection) answered \(reply.status): \(reply.body)")
        }
        return id
    }
}

enum Fixture {
    static func deputy(
        name: String = "张三",
        region: String = "420802101",
        level: String = "county",
        congress: String = "420802",
        extra: String = ""
    ) -> String {
        """
        {"name": "\(name)", "gender": "female", "ethnicity": "汉族", "birthMonth": "1975-06", "party": "中共党员", "occupation": "农民",
         "level": "\(level)", "congressCode": "\(congress)", "term": 15, "status": "in_office", "regionCode": "\(region)"\(extra)}
        """
    }

    static func station(name: String = "龙泉街道人大代表之家", region: String = "420802101", units: [String] = ["420802101001"]) -> String {
        let covered = units.map { "\"\($0)\"" }.joined(separator: ", ")
        return """
            {"name": "\(name)", "type": "home", "regionCode": "\(region)", "address": "龙泉路1号", "coveredUnits": [\(covered)],
             "staff": [{"role": "head", "name": "李四"}], "standards": {"site": true, "staff": true, "rules": true, "activities": false},
             "status": "active", "openedOn": "2021-03-01"}
            """
    }

    static func unit(code: String = "420802101001", name: String = "龙泉社区") -> String {
        #"{"code": "\#(code)", "name": "\#(name)", "urbanRuralClass": "111"}"#
    }

    static func training(branchRegion: String = "420802101") -> String {
        """
        {"title": "代表履职培训", "startsOn": "2026-12-01", "endsOn": "2026-12-02", "mode": "hybrid",
         "audience": {"levels": ["county", "township"], "regionPrefix": "420802"},
         "venues": [{"kind": "main", "regionCode": "420802", "name": "区人大会议中心", "capacity": 300},
                    {"kind": "branch", "regionCode": "\(branchRegion)", "name": "龙泉分会场", "capacity": 80}]}
        """
    }
}
