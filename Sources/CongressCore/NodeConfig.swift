#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A node's own settings (`nodes/CODE.yaml`, SPEC §6); paths are resolved against the file's folder.
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
    /// `host:port`; nil means the node's url in the topology.
    public var listen: String?
    public var database: Database
    public var dataDir: String
    public var secretsPath: String

    public init(file: String, node: RegionCode, topologyPath: String, listen: String?, database: Database, dataDir: String, secretsPath: String) {
        self.file = file
        self.node = node
        self.topologyPath = topologyPath
        self.listen = listen
        self.database = database
        self.dataDir = dataDir
        self.secretsPath = secretsPath
    }

    private static let keys = ["node", "topology", "listen", "database", "dataDir", "secrets"]

    public static func load(contentsOf path: String) throws(ConfigFileError) -> NodeConfig {
        try parse(ConfigFile.text(atPath: path, what: "the node config"), file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigFileError) -> NodeConfig {
        let reader = YAMLReader(file: file)
        guard let root = reader.compose(text), let map = reader.mapping(root, what: "the node config", allowed: keys) else {
            throw ConfigFileError(reader.diagnostics)
        }
        let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        func path(_ key: String, default fallback: String? = nil) -> String? {
            guard let text = map.string(key, required: fallback == nil)?.text ?? fallback else { return nil }
            return folder.appendingPathComponent(text).standardizedFileURL.path
        }
        var node: RegionCode?
        if let (text, mark) = map.string("node", required: true) {
            node = RegionCode(text)
            if node == nil { reader.error("'\(text)' is not a region code: \(RegionCode.formatHint)", at: mark) }
        }
        var listen: String?
        if let (text, mark) = map.string("listen") {
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
        guard let node, let topology, let dataDir, let secrets, !reader.hasErrors else { throw ConfigFileError(reader.diagnostics) }
        return NodeConfig(file: file, node: node, topologyPath: topology, listen: listen, database: database, dataDir: dataDir, secretsPath: secrets)
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
