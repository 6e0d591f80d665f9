import Yams

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A node's own settings (`nodes/CODE.yaml`, SPEC §6); relative paths are resolved against the file's folder, absolute
/// ones taken as written.
public struct NodeConfig: Sendable {
    public enum Database: Sendable, Equatable {
        /// The node runs a private PostgreSQL cluster under `dataDir`.
        case managed
        /// An existing server, `postgres://user[:password]@host[:port]/database`.
        case url(String)
    }

    public var file: String
    public var node: RegionCode
    public var topologyPath: String
    /// The points rules folder (SPEC §12): `points` beside the topology file.
    public var pointsDirectory: String { PointsFolder.directory(besideTopology: topologyPath) }
    /// `host:port`; nil means the node's url in the topology.
    public var listen: String?
    public var database: Database
    public var dataDir: String
    public var secretsPath: String
    /// HTTPS between nodes (SPEC §14); nil: plain HTTP, and the system's roots for an `https://` parent.
    public var tls: TLSFiles?
    /// Days a closed case keeps its constituent's contact before the node erases it (SPEC §13).
    public var contactRetentionDays = NodeConfig.defaultContactRetentionDays
    /// Days an opinion is replied within, from its registration (SPEC §13's `opinionReplyDays`).
    public var opinionReplyDays = CaseDeadlines.standard.opinionReplyDays
    /// Days a tombstone stays after it was logged here, once the parent has acknowledged it (issue 20): a child pulling
    /// directives less often misses a deletion from above, a parent restored from an older backup keeps what was deleted.
    public var tombstoneRetentionDays = NodeConfig.defaultTombstoneRetentionDays
    /// Where people reach this node's public contact pages (SPEC §13): the QR codes encode it, followed by `/c/CODE`.
    /// Nil until set: nodes sit on the government network, and their own address would print codes nobody can open.
    public var publicBaseURL: String?
    /// Proxies whose `X-Forwarded-For` names the client (canonical spellings); from anyone else the header is ignored.
    public var trustedProxies: [String] = []
    /// Children's batches received and applied at once (SPEC §16: memory bounded whatever the number of children).
    public var maxConcurrentBatches = NodeConfig.defaultMaxConcurrentBatches
    /// Where `node` and `listen` are written, for problems only the topology reveals.
    public var nodePosition: SourcePosition = .start
    public var listenPosition: SourcePosition?

    public init(file: String, node: RegionCode, topologyPath: String, listen: String?, database: Database, dataDir: String, secretsPath: String) {
        self.file = file
        self.node = node
        self.topologyPath = topologyPath
        self.listen = listen
        self.database = database
        self.dataDir = dataDir
        self.secretsPath = secretsPath
    }

    public static let defaultContactRetentionDays = 180
    public static let defaultTombstoneRetentionDays = 30
    /// Four batches of a few MiB each: a province's parent keeps its memory small, and its database busy.
    public static let defaultMaxConcurrentBatches = 4

    private static let keys = [
        "node", "topology", "listen", "database", "dataDir", "secrets", "tls", "contactRetentionDays", "opinionReplyDays", "publicBaseURL",
        "trustedProxies", "maxConcurrentBatches", "tombstoneRetentionDays",
    ]

    public static func load(contentsOf path: String) throws(ConfigFileError) -> NodeConfig {
        try parse(ConfigFile.text(atPath: path, what: "the node config"), file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigFileError) -> NodeConfig {
        let reader = YAMLReader(file: file)
        guard let root = reader.compose(text), let map = reader.mapping(root, what: "the node config", allowed: keys) else {
            throw ConfigFileError(reader.diagnostics)
        }
        let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        func resolve(_ text: String) -> String {
            // An absolute path is taken as written (`/etc/congress/config/topology.yaml`), a relative one from the file's folder.
            let url = text.hasPrefix("/") ? URL(fileURLWithPath: text) : folder.appendingPathComponent(text)
            return url.standardizedFileURL.path
        }
        func path(_ key: String, default fallback: String? = nil) -> String? {
            guard let text = map.string(key, required: fallback == nil)?.text ?? fallback else { return nil }
            return resolve(text)
        }
        var node: RegionCode?
        var nodeMark: Mark?
        if let (text, mark) = map.string("node", required: true) {
            node = RegionCode(text)
            nodeMark = mark
            if node == nil { reader.error("'\(text)' is not a region code: \(RegionCode.formatHint)", at: mark) }
        }
        var listen: String?
        var listenMark: Mark?
        if let (text, mark) = map.string("listen") {
            listenMark = mark
            if HostAndPort(text) == nil { reader.error("listen '\(text)' must be HOST:PORT, e.g. 127.0.0.1:8411", at: mark) } else { listen = text }
        }
        var database = Database.managed
        if let (text, mark) = map.string("database") {
            if text == "managed" {
                database = .managed
            } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"), URLComponents(string: text)?.host != nil {
                database = .url(text)
            } else {
                reader.error("database must be 'managed' or postgres://user@host:port/db", at: mark)
            }
        }
        let topology = path("topology")
        let code = node?.rawValue ?? "node"
        let dataDir = path("dataDir", default: "../.data/\(code)")
        let secrets = path("secrets", default: "../.data/secrets/\(code).yaml")
        let tls = map.value("tls").flatMap { TLSFiles.parse($0, reader: reader, resolve: resolve) }
        func days(_ key: String, in range: ClosedRange<Int>, default value: Int) -> Int {
            guard let (text, mark) = map.string(key) else { return value }
            guard let days = Int(text), range.contains(days) else {
                reader.error("\(key) is a number of days, \(range.lowerBound) to \(range.upperBound)", at: mark)
                return value
            }
            return days
        }
        let retention = days("contactRetentionDays", in: 0...3650, default: defaultContactRetentionDays)
        let replyDays = days("opinionReplyDays", in: 1...365, default: CaseDeadlines.standard.opinionReplyDays)
        let tombstoneDays = days("tombstoneRetentionDays", in: 0...3650, default: defaultTombstoneRetentionDays)
        var maxConcurrentBatches = defaultMaxConcurrentBatches
        if let (text, mark) = map.string("maxConcurrentBatches") {
            if let count = Int(text), (1...64).contains(count) {
                maxConcurrentBatches = count
            } else {
                reader.error("maxConcurrentBatches is a number of batches, 1 to 64", at: mark)
            }
        }
        var publicBaseURL: String?
        if let (text, mark) = map.string("publicBaseURL") {
            publicBaseURL = Self.baseURL(text)
            if publicBaseURL == nil {
                reader.error("publicBaseURL '\(text)' must be an http(s) address without query, e.g. https://rd.example.gov.cn/congress", at: mark)
            }
        }
        var trustedProxies: [String] = []
        if let value = map.value("trustedProxies") {
            if let sequence = value.sequence {
                for item in sequence {
                    guard let text = item.scalar?.string, let address = IPAddress.canonical(text) else {
                        reader.error("each of trustedProxies is an IP address, e.g. 10.0.0.5 or fd00::5", at: item.mark)
                        continue
                    }
                    trustedProxies.append(address)
                }
            } else {
                reader.error("trustedProxies is a list of IP addresses, e.g. [10.0.0.5]", at: value.mark)
            }
        }
        guard let node, let topology, let dataDir, let secrets, !reader.hasErrors else { throw ConfigFileError(reader.sortedDiagnostics) }
        var config = NodeConfig(
            file: file,
            node: node,
            topologyPath: topology,
            listen: listen,
            database: database,
            dataDir: dataDir,
            secretsPath: secrets
        )
        config.tls = tls
        config.contactRetentionDays = retention
        config.opinionReplyDays = replyDays
        config.tombstoneRetentionDays = tombstoneDays
        config.publicBaseURL = publicBaseURL
        config.trustedProxies = trustedProxies
        config.maxConcurrentBatches = maxConcurrentBatches
        config.nodePosition = YAMLReader.position(of: nodeMark)
        config.listenPosition = listenMark.map(YAMLReader.position(of:))
        return config
    }

    /// `text` without a trailing slash when it is an absolute http(s) address with a host and no query or fragment.
    static func baseURL(_ text: String) -> String? {
        guard let url = URLComponents(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false,
            url.query == nil, url.fragment == nil
        else { return nil }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    /// Problems between this file and the topology it names: the node must be in it and have an address.
    public func diagnostics(against topology: Topology) -> [Diagnostic] {
        guard let entry = topology.node(node) else {
            var message = "node \(node) is not in the topology \(topologyPath)"
            let codes = topology.allNodes.map(\.code.rawValue)
            if let suggestion = Suggestion.closest(to: node.rawValue, in: codes) { message += "; did you mean '\(suggestion)'?" }
            return [Diagnostic(file: file, at: nodePosition, severity: .error, message: message)]
        }
        guard let url = entry.url else {
            guard listen != nil else {
                let message = "node \(node) has no url in the topology and no 'listen' here: give it a url in the topology"
                return [Diagnostic(file: file, at: nodePosition, severity: .error, message: message)]
            }
            let message = "node \(node) has no url in the topology: its parent and children will not find it"
            return [Diagnostic(file: file, at: nodePosition, severity: .warning, message: message)]
        }
        let https = url.lowercased().hasPrefix("https://")
        if https != (tls?.serves ?? false) {
            let message =
                https
                ? "the node's url \(url) in the topology is https:// but this file has no tls certificate and key to serve it"
                : "this file's tls certificate makes the node serve HTTPS but its url \(url) in the topology is http://: make it https://"
            return [Diagnostic(file: file, at: tls?.positions["certificate"] ?? nodePosition, severity: .error, message: message)]
        }
        if let listen, let written = HostAndPort(listen), let published = HostAndPort(url: url), written.port != published.port {
            let message = "listen \(listen) is not the port of the node's url \(url) in the topology: its parent and children will call that"
            return [Diagnostic(file: file, at: listenPosition ?? nodePosition, severity: .warning, message: message)]
        }
        return []
    }

    /// The address to listen on: `listen`, else the port of the node's url in the topology.
    public func listenAddress(in topology: Topology) -> HostAndPort? {
        listen.flatMap { HostAndPort($0) } ?? topology.node(node)?.url.flatMap { HostAndPort(url: $0) }
    }
}

/// `host:port` as written in `listen:` and derived from node URLs.
public struct HostAndPort: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        let host = String(text[..<colon])
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    /// The host and port of a node URL such as `http://127.0.0.1:8411`.
    public init?(url: String) {
        guard let components = URLComponents(string: url), let host = components.host else { return nil }
        self.init(host: host, port: components.port ?? (components.scheme == "https" ? 443 : 80))
    }

    public var description: String { "\(host):\(port)" }
}
