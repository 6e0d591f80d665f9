import CongressCore
import CongressStore
import CongressTLS
import Foundation
import Testing

/// A node config's `tls:` part read and its files checked as `congress serve` does at start (SPEC §14): every problem
/// refused with a message naming the file, at the line of the config that names it.
@Suite struct TLSConfigTests {
    /// A folder with `congress tls init`'s files for a one-node topology and a node config naming them.
    struct Folder {
        let path: String
        let topology: Topology

        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("congress-tlsconf-\(UUID().uuidString)").path
            let yaml = """
                version: 1
                root: { code: "420802", name: 东宝区, level: county, url: "https://127.0.0.1:8411" }
                """
            topology = try TopologyLoader.parse(yaml, file: "topology.yaml").topology
            _ = try TLSFolder.write(for: topology, to: path + "/tls")
            try yaml.write(toFile: path + "/topology.yaml", atomically: true, encoding: .utf8)
        }

        /// The node config with `tls` as its last lines (paths relative to the config's folder).
        func config(_ tls: String) throws -> (NodeConfig, file: String) {
            let file = path + "/node.yaml"
            let text = """
                node: "420802"
                topology: topology.yaml
                tls:
                \(tls)
                """
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            return (try NodeConfig.load(contentsOf: file), file)
        }

        func load(_ tls: String) throws -> ConfigFileError? {
            let (config, file) = try config(tls)
            do {
                _ = try NodeTLS.load(try #require(config.tls), configFile: file)
                return nil
            } catch let error as ConfigFileError {
                return error
            }
        }
    }

    @Test func pathsAreTakenFromTheConfigFolderAndTheFilesLoad() throws {
        let folder = try Folder()
        let (config, file) = try folder.config(
            """
              certificate: tls/420802.pem
              key: tls/420802-key.pem
              ca: \(folder.path)/tls/ca.pem
              requireClientCertificates: true
            """
        )
        let tls = try #require(config.tls)
        #expect(tls.certificate == folder.path + "/tls/420802.pem")
        #expect(tls.ca == folder.path + "/tls/ca.pem")
        #expect(tls.requireClientCertificates)
        #expect(config.diagnostics(against: folder.topology).isEmpty)
        let loaded = try NodeTLS.load(tls, configFile: file)
        #expect(loaded.serves)
        #expect(loaded.serverConfiguration?.certificateVerification == .noHostnameVerification)
        #expect(loaded.clientConfiguration.certificateVerification == .fullVerification)
        // The CA key is the operator's alone.
        let mode = try FileManager.default.attributesOfItem(atPath: folder.path + "/tls/ca-key.pem")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func aMissingCertificateFileIsRefusedNamingIt() throws {
        let folder = try Folder()
        let error = try #require(try folder.load("  certificate: tls/missing.pem\n  key: tls/420802-key.pem"))
        #expect(
            error.description
                == "\(folder.path)/node.yaml:4:16: error: cannot read the node's certificate \(folder.path)/tls/missing.pem (missing or unreadable)"
        )
    }

    @Test func aKeyThatIsNotTheCertificatesIsRefused() throws {
        let folder = try Folder()
        let other = try CertificateAuthority.make().issue(node: RegionCode("420802")!, url: "https://127.0.0.1:8411")
        try other.keyPEM.write(toFile: folder.path + "/other-key.pem", atomically: true, encoding: .utf8)
        let error = try #require(try folder.load("  certificate: tls/420802.pem\n  key: other-key.pem"))
        #expect(error.diagnostics.map(\.line) == [5])
        #expect(
            error.description.contains("error: the key \(folder.path)/other-key.pem does not match the certificate \(folder.path)/tls/420802.pem")
        )
    }

    @Test func anExpiredCertificateIsRefused() throws {
        let folder = try Folder()
        let authority = try CertificateAuthority.make(now: Date() - 90 * 86400)
        let old = try authority.issue(node: RegionCode("420802")!, url: "https://127.0.0.1:8411", notValidBefore: Date() - 60 * 86400, days: 30)
        try old.certificatePEM.write(toFile: folder.path + "/old.pem", atomically: true, encoding: .utf8)
        try old.keyPEM.write(toFile: folder.path + "/old-key.pem", atomically: true, encoding: .utf8)
        let error = try #require(try folder.load("  certificate: old.pem\n  key: old-key.pem"))
        #expect(error.diagnostics.count == 1)
        #expect(error.description.contains("node.yaml:4:16: error: the certificate \(folder.path)/old.pem expired on "))
    }

    @Test func aCAFileThatIsNotPEMIsRefused() throws {
        let folder = try Folder()
        try "not a certificate\n".write(toFile: folder.path + "/ca.der", atomically: true, encoding: .utf8)
        let error = try #require(try folder.load("  ca: ca.der"))
        #expect(
            error.description.hasSuffix(
                "node.yaml:4:7: error: \(folder.path)/ca.der is not PEM: the CA's certificate is expected as a PEM file (-----BEGIN …-----)"
            )
        )
    }

    @Test func incompleteTLSAndURLMismatchesAreConfigErrors() throws {
        let folder = try Folder()
        #expect(throws: ConfigFileError.self) { _ = try folder.config("  certificate: tls/420802.pem") }
        #expect(throws: ConfigFileError.self) { _ = try folder.config("  ca: tls/ca.pem\n  requireClientCertificates: true") }
        // Only a CA: the node calls an https parent but serves plain HTTP, which its https url contradicts.
        let (config, _) = try folder.config("  ca: tls/ca.pem")
        let problems = config.diagnostics(against: folder.topology)
        #expect(problems.map(\.severity) == [.error])
        #expect(problems.first?.message.contains("is https:// but this file has no tls certificate and key") == true)
    }

    @Test func postgresURLsAskForTLSWithSSLMode() throws {
        #expect(try DatabaseAddress(url: "postgres://u@db.example:5432/registry").sslMode == .disable)
        let required = try DatabaseAddress(url: "postgres://u:p@db.example:5432/registry?sslmode=require")
        #expect(required.sslMode == .require)
        #expect(required.database == "registry")
        #expect(required.redacted == "postgres://u@db.example:5432/registry?sslmode=require")
        #expect("\(required.clientTLS)".contains("require"))
        #expect(
            try DatabaseAddress(url: "postgresql://u@db/r?sslmode=verify-full&sslrootcert=/etc/congress/db-ca.pem").sslMode
                == .verifyFull(rootCertificate: "/etc/congress/db-ca.pem")
        )
        #expect(try DatabaseAddress(url: "postgres://u@db/r?sslmode=verify-ca").sslMode == .verifyCA(rootCertificate: nil))
        #expect(throws: InputError.self) { _ = try DatabaseAddress(url: "postgres://u@db/r?sslmode=always") }
        // Another database on the same server keeps its TLS.
        #expect(required.with(database: "t_1").sslMode == .require)
    }
}
