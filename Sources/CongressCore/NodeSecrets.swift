import Crypto
import Yams

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A node's secrets file (SPEC §6): its tokens, its children's token hashes and the province key.
public struct NodeSecrets: Sendable, Equatable {
    public var node: RegionCode
    /// Bearer token for writes to this node.
    public var adminToken: String
    /// Bearer token for dashboards and other readers.
    public var readToken: String
    /// What this node presents to its parent; nil at the root.
    public var parentToken: String?
    /// SHA-256 (hex) of each child's parent token: the node never keeps the tokens themselves.
    public var childTokenHashes: [String: String]
    /// HMAC key for `personKey`, shared by every node of the federation.
    public var provinceKey: String
    /// PBKDF2 rounds of `personKey` (SPEC §14), the same at every node of the federation.
    public var personKeyRounds: Int
    /// The node's own key for constituents' contacts (SPEC §13), 64 hex digits; nil in a file written before contacts.
    public var contactKey: String?

    /// About 0.4 s per key on this project's machines (PBKDF2-HMAC-SHA256): what a guess costs, and what each row with
    /// an ID number costs an import. SPEC §14 asks for seconds; a federation whose registers are small may raise it.
    public static let defaultPersonKeyRounds = 2_000_000

    public init(
        node: RegionCode,
        adminToken: String,
        readToken: String,
        parentToken: String?,
        childTokenHashes: [String: String],
        provinceKey: String,
        personKeyRounds: Int = NodeSecrets.defaultPersonKeyRounds,
        contactKey: String? = nil
    ) {
        self.node = node
        self.adminToken = adminToken
        self.readToken = readToken
        self.parentToken = parentToken
        self.childTokenHashes = childTokenHashes
        self.provinceKey = provinceKey
        self.personKeyRounds = personKeyRounds
        self.contactKey = contactKey
    }

    /// The deriver of `personKey` these secrets make.
    public var personKeys: PersonKeyDeriver { PersonKeyDeriver(provinceKey: provinceKey, rounds: personKeyRounds) }

    /// The vault that seals this node's constituents' contacts. A secrets file from before contacts loads (the node serves
    /// everything else), but no contact is taken until `congress secrets init` has added the key: a key made up at
    /// start would be lost at the next, and with it every contact sealed under it.
    public func contactVault() throws(ContactVaultError) -> ContactVault {
        guard let vault = contactKey.flatMap(Hex.decode).flatMap({ ContactVault(contactKey: $0) }) else {
            throw ContactVaultError(
                reason: .noContactKey,
                message: "the secrets file of node \(node) has no contactKey, so constituents' contacts cannot be stored: "
                    + "run 'congress secrets init' to add it (it keeps every existing token and key)"
            )
        }
        return vault
    }

    private static let keys = [
        "node", "adminToken", "readToken", "parentToken", "childTokenHashes", "provinceKey", "personKeyRounds", "contactKey",
    ]

    public static func load(contentsOf path: String) throws(ConfigFileError) -> NodeSecrets {
        try parse(ConfigFile.text(atPath: path, what: "the secrets file", hint: "create it with 'congress secrets init'"), file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigFileError) -> NodeSecrets {
        let reader = YAMLReader(file: file)
        guard let root = reader.compose(text), let map = reader.mapping(root, what: "the secrets file", allowed: keys) else {
            throw ConfigFileError(reader.diagnostics)
        }
        func token(_ key: String, required: Bool = true) -> String? {
            guard let (text, mark) = map.string(key, required: required) else { return nil }
            guard text.count >= 32 else {
                reader.error("'\(key)' is too short to be a token (at least 32 characters)", at: mark)
                return nil
            }
            return text
        }
        let node = map.string("node", required: true).flatMap { RegionCode($0.text) }
        let admin = token("adminToken")
        let read = token("readToken")
        let parent = token("parentToken", required: false)
        let provinceKey = token("provinceKey")
        var hashes: [String: String] = [:]
        if let hashesNode = map.value("childTokenHashes") {
            if case .mapping(let mapping) = hashesNode {
                for (key, value) in mapping {
                    guard let code = key.scalar?.string, let hash = value.scalar?.string, hash.count == 64, hash.allSatisfy(\.isHexDigit) else {
                        reader.error("childTokenHashes maps a node code to a SHA-256 hex digest", at: key.mark)
                        continue
                    }
                    hashes[code] = hash.lowercased()
                }
            } else if hashesNode.scalar?.string.isEmpty == false {
                reader.error("childTokenHashes must be a mapping", at: hashesNode.mark)
            }
        }
        var rounds = defaultPersonKeyRounds
        if let (text, mark) = map.string("personKeyRounds", required: false) {
            if let value = Int(text), value >= 1 { rounds = value } else { reader.error("personKeyRounds is a whole number of at least 1", at: mark) }
        }
        var contactKey: String?
        if let (text, mark) = map.string("contactKey", required: false) {
            if text.count == 64, Hex.decode(text) != nil {
                contactKey = text.lowercased()
            } else {
                // Not "make a new one": the contacts sealed under the old key open with it only.
                reader.error("contactKey is 64 hex digits (32 bytes): restore it from a copy of this file", at: mark)
            }
        }
        guard let node, let admin, let read, let provinceKey, !reader.hasErrors else { throw ConfigFileError(reader.diagnostics) }
        return NodeSecrets(
            node: node,
            adminToken: admin,
            readToken: read,
            parentToken: parent,
            childTokenHashes: hashes,
            provinceKey: provinceKey,
            personKeyRounds: rounds,
            contactKey: contactKey
        )
    }

    /// The file's YAML text.
    public var yaml: String {
        var lines = [
            "# Secrets of node \(node). Never commit this file.",
            "node: \"\(node)\"",
            "adminToken: \(adminToken)",
            "readToken: \(readToken)",
        ]
        if let parentToken { lines.append("parentToken: \(parentToken)") }
        if childTokenHashes.isEmpty {
            lines.append("childTokenHashes: {}")
        } else {
            lines.append("childTokenHashes:")
            for (code, hash) in childTokenHashes.sorted(by: { $0.key < $1.key }) { lines.append("  \"\(code)\": \(hash)") }
        }
        lines.append("provinceKey: \(provinceKey)")
        lines.append("personKeyRounds: \(personKeyRounds)")
        if let contactKey { lines.append("contactKey: \(contactKey)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A fresh random token: 32 bytes from the system's secure generator, hex encoded.
    public static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    public static func sha256Hex(_ text: String) -> String {
        Hex.sha256(text)
    }

    /// Secrets for every running node of `topology`, keeping whatever `existing` already holds
    /// so that re-running `secrets init` after adding a node does not cut the others off. Each node gets a contact key
    /// of its own (contacts never leave it); one it has is kept, or its contacts could no longer be opened.
    /// `personKeyRounds` is for tests, which keep it low; the federation's existing setting wins.
    public static func generate(
        for topology: Topology,
        keeping existing: [RegionCode: NodeSecrets],
        personKeyRounds: Int = defaultPersonKeyRounds
    ) -> [NodeSecrets] {
        let provinceKey = existing.values.first?.provinceKey ?? newToken()
        let rounds = existing.values.first?.personKeyRounds ?? personKeyRounds
        var secrets: [RegionCode: NodeSecrets] = [:]
        for node in topology.runningNodes {
            let old = existing[node.code]
            let hasParent = topology.upstream(of: node.code) != nil
            secrets[node.code] = NodeSecrets(
                node: node.code,
                adminToken: old?.adminToken ?? newToken(),
                readToken: old?.readToken ?? newToken(),
                parentToken: hasParent ? (old?.parentToken ?? newToken()) : nil,
                childTokenHashes: [:],
                provinceKey: provinceKey,
                personKeyRounds: rounds,
                contactKey: old?.contactKey ?? newToken()
            )
        }
        let parentTokens = secrets.compactMapValues(\.parentToken)
        for node in topology.runningNodes {
            let children = topology.downstream(of: node.code)
            secrets[node.code]?.childTokenHashes = Dictionary(
                uniqueKeysWithValues: children.compactMap { child in parentTokens[child.code].map { (child.code.rawValue, sha256Hex($0)) } }
            )
        }
        return topology.runningNodes.compactMap { secrets[$0.code] }
    }
}
