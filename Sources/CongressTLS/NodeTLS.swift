import CongressCore
import NIOSSL
import X509

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A node's TLS material, read and checked at start (SPEC §14): what it serves HTTPS with, what it trusts when it calls
/// its parent, and whether it asks its children for their certificates.
public struct NodeTLS: Sendable {
    /// The node's certificate chain (its own first) and key; nil when it serves plain HTTP.
    public var certificateChain: [NIOSSLCertificate]
    public var privateKey: NIOSSLPrivateKey?
    /// The federation's CA: the only roots trusted for the parent (instead of the system's) and for children's
    /// certificates; nil: the system's roots.
    public var authority: [NIOSSLCertificate]?
    public var requireClientCertificates: Bool

    public init(
        certificateChain: [NIOSSLCertificate] = [],
        privateKey: NIOSSLPrivateKey? = nil,
        authority: [NIOSSLCertificate]? = nil,
        requireClientCertificates: Bool = false
    ) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.authority = authority
        self.requireClientCertificates = requireClientCertificates
    }

    /// Whether the node serves HTTPS.
    public var serves: Bool { privateKey != nil && !certificateChain.isEmpty }

    /// What the server side of a handshake uses: the node's certificate, and with `requireClientCertificates` a
    /// handshake that fails without a client certificate issued by the CA.
    public var serverConfiguration: TLSConfiguration? {
        guard let privateKey, !certificateChain.isEmpty else { return nil }
        let chain = certificateChain.map { NIOSSLCertificateSource.certificate($0) }
        var configuration: TLSConfiguration
        if requireClientCertificates, let authority {
            configuration = .makeServerConfigurationWithMTLS(
                certificateChain: chain,
                privateKey: .privateKey(privateKey),
                trustRoots: .certificates(authority)
            )
            configuration.sendCANameList = true
        } else {
            configuration = .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
        }
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }

    /// What this node's calls to another node use (its parent's sync routes, or the CLI calling the node itself): the
    /// CA instead of the system's roots when one is configured, full verification of the name in the url (a DNS name or
    /// an IP address in the certificate's subject alternative names), and the node's own certificate for a parent that
    /// asks for one.
    public var clientConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        configuration.minimumTLSVersion = .tlsv12
        if let authority { configuration.trustRoots = .certificates(authority) }
        if let privateKey, !certificateChain.isEmpty {
            configuration.certificateChain = certificateChain.map { .certificate($0) }
            configuration.privateKey = .privateKey(privateKey)
        }
        return configuration
    }
}

extension NodeTLS {
    /// Reads and checks the files `files` names (from the config `configFile`): every problem is reported at the key
    /// that names the file, with the file's path — a missing or unreadable file, one that is not PEM, a key that is
    /// not the certificate's, a certificate outside its validity at `now`.
    public static func load(_ files: TLSFiles, configFile: String, now: Date = Date()) throws(ConfigFileError) -> NodeTLS {
        var problems: [Diagnostic] = []
        func report(_ key: String, _ message: String) {
            problems.append(Diagnostic(file: configFile, at: files.positions[key] ?? .start, severity: .error, message: message))
        }
        func read(_ key: String, _ path: String, what: String) -> String? {
            guard let data = FileManager.default.contents(atPath: path) else {
                report(key, "cannot read \(what) \(path) (missing or unreadable)")
                return nil
            }
            guard let text = String(data: data, encoding: .utf8), text.contains("-----BEGIN ") else {
                report(key, "\(path) is not PEM: \(what) is expected as a PEM file (-----BEGIN …-----)")
                return nil
            }
            return text
        }
        func certificates(_ key: String, _ path: String, what: String) -> [(NIOSSLCertificate, Certificate)]? {
            guard let text = read(key, path, what: what) else { return nil }
            do {
                let chain = try NIOSSLCertificate.fromPEMBytes(Array(text.utf8))
                guard !chain.isEmpty else {
                    report(key, "\(path) holds no certificate (-----BEGIN CERTIFICATE-----): \(what) is expected")
                    return nil
                }
                return try chain.map { ($0, try Certificate(derEncoded: try $0.toDERBytes())) }
            } catch {
                report(key, "\(path) is not a readable PEM certificate (\(what) is expected): \(error)")
                return nil
            }
        }
        var tls = NodeTLS(requireClientCertificates: files.requireClientCertificates)
        var leaf: Certificate?
        if let path = files.certificate, let chain = certificates("certificate", path, what: "the node's certificate") {
            leaf = chain.first?.1
            if let leaf {
                if leaf.notValidAfter < now {
                    report("certificate", "the certificate \(path) expired on \(leaf.notValidAfter.formatted(.iso8601)): make a new one")
                } else if leaf.notValidBefore > now {
                    report("certificate", "the certificate \(path) is not valid before \(leaf.notValidBefore.formatted(.iso8601))")
                }
            }
            tls.certificateChain = chain.map(\.0)
        }
        if let path = files.key, let text = read("key", path, what: "the node's private key") {
            do {
                let key = try Certificate.PrivateKey(pemEncoded: text)
                if let leaf, key.publicKey != leaf.publicKey {
                    report("key", "the key \(path) does not match the certificate \(files.certificate ?? ""): they must be made together")
                }
                tls.privateKey = try NIOSSLPrivateKey(bytes: Array(text.utf8), format: .pem)
            } catch {
                report("key", "\(path) is not a readable PEM private key: \(error)")
            }
        }
        if let path = files.ca, let authority = certificates("ca", path, what: "the CA's certificate") {
            tls.authority = authority.map(\.0)
        }
        guard problems.isEmpty else { throw ConfigFileError(problems) }
        return tls
    }
}
