import Yams

/// The `tls:` part of a node config (SPEC §14): where the node's certificate, its key and the federation's CA are, each
/// path resolved as the config's other paths are, with where it was written for problems found when the files are read.
///
/// - `certificate` + `key`: the node serves HTTPS (and presents them to its parent when that one asks for a client
///   certificate).
/// - `ca`: the only certificate authority this node trusts when it calls its parent over HTTPS (instead of the system's
///   roots), and the one its children's client certificates must come from.
/// - `requireClientCertificates`: the node refuses a TLS handshake without a client certificate from `ca`, and a sync
///   request whose certificate does not name the child (`DNS:node-CODE`, see `ChildCertificateName`).
public struct TLSFiles: Sendable, Equatable {
    public var certificate: String?
    public var key: String?
    public var ca: String?
    public var requireClientCertificates: Bool
    /// Where each key is written in the config file.
    public var positions: [String: SourcePosition] = [:]

    public init(certificate: String? = nil, key: String? = nil, ca: String? = nil, requireClientCertificates: Bool = false) {
        self.certificate = certificate
        self.key = key
        self.ca = ca
        self.requireClientCertificates = requireClientCertificates
    }

    /// Whether the node serves HTTPS.
    public var serves: Bool { certificate != nil && key != nil }

    static let keys = ["certificate", "key", "ca", "requireClientCertificates"]

    /// Reads the `tls:` mapping; `resolve` turns a written path into the one to open.
    static func parse(_ node: Node, reader: YAMLReader, resolve: (String) -> String) -> TLSFiles? {
        guard let map = reader.mapping(node, what: "tls", allowed: keys) else { return nil }
        var files = TLSFiles()
        func path(_ key: String) -> String? {
            guard let (text, mark) = map.string(key) else { return nil }
            files.positions[key] = YAMLReader.position(of: mark)
            guard !text.isEmpty else {
                reader.error("tls '\(key)' must be a file path", at: mark)
                return nil
            }
            return resolve(text)
        }
        files.certificate = path("certificate")
        files.key = path("key")
        files.ca = path("ca")
        if let required = map.bool("requireClientCertificates") {
            files.requireClientCertificates = required
            files.positions["requireClientCertificates"] = YAMLReader.position(of: map.value("requireClientCertificates")?.mark)
        }
        if (files.certificate == nil) != (files.key == nil) {
            let missing = files.certificate == nil ? "certificate" : "key"
            reader.error("tls needs both 'certificate' and 'key' to serve HTTPS; '\(missing)' is missing", at: map.mark)
        }
        if files.requireClientCertificates {
            if files.ca == nil {
                reader.error("tls 'requireClientCertificates' needs 'ca': the authority the children's certificates come from", at: map.mark)
            }
            if files.certificate == nil {
                reader.error("tls 'requireClientCertificates' needs 'certificate' and 'key': the node must serve HTTPS", at: map.mark)
            }
        }
        return files
    }
}
