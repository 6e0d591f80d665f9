import CongressCore
import Crypto
import SwiftASN1
import X509

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private certificate authority for tests and pilots (`congress tls init`, SPEC §14): a P-256 key, a self-signed CA
/// certificate, and certificates it issues to nodes. Never for production keys an operator did not make himself.
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    let key: Certificate.PrivateKey

    /// A new CA named `name`, valid from an hour before `now` for `days`.
    public static func make(name: String = "Congress Registry test CA", now: Date = Date(), days: Int = 825) throws -> CertificateAuthority {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let subject = try DistinguishedName {
            OrganizationName("Congress Registry (tests and pilots only)")
            CommonName(name)
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: key.publicKey,
            notValidBefore: now - 3600,
            notValidAfter: now + Double(days) * 86400,
            issuer: subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: key.publicKey)
            },
            issuerPrivateKey: key
        )
        return CertificateAuthority(certificate: certificate, key: key)
    }

    /// The CA written earlier as PEM (`ca.pem`, `ca-key.pem`), to issue more certificates from it.
    public init(certificatePEM: String, keyPEM: String) throws {
        self.init(certificate: try Certificate(pemEncoded: certificatePEM), key: try Certificate.PrivateKey(pemEncoded: keyPEM))
    }

    init(certificate: Certificate, key: Certificate.PrivateKey) {
        self.certificate = certificate
        self.key = key
    }

    public var certificatePEM: String { get throws { try certificate.serializeAsPEM().pemString } }
    public var keyPEM: String { get throws { try key.serializeAsPEM().pemString } }

    /// A certificate for a server and client named `commonName`, valid for `hosts` (each an IP address or a DNS name)
    /// and `dnsNames`, from `notValidBefore` for `days`: P-256, serverAuth and clientAuth.
    public func issue(
        commonName: String,
        hosts: [String],
        dnsNames: [String] = [],
        notValidBefore: Date = Date() - 3600,
        days: Int = 825
    ) throws -> IssuedCertificate {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        var names: [GeneralName] = []
        for host in hosts {
            let name = Self.generalName(host: host)
            if !names.contains(name) { names.append(name) }
        }
        for name in dnsNames where !names.contains(.dnsName(name)) { names.append(.dnsName(name)) }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: key.publicKey,
            notValidBefore: notValidBefore,
            notValidAfter: notValidBefore + Double(days) * 86400,
            issuer: self.certificate.subject,
            subject: try DistinguishedName {
                OrganizationName("Congress Registry (tests and pilots only)")
                CommonName(commonName)
            },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(names)
                AuthorityKeyIdentifier(keyIdentifier: try self.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: self.key
        )
        return IssuedCertificate(certificate: certificate, key: key, chain: [certificate])
    }

    /// The certificate of node `code` reached at `url`: named for the url's host (and, on the loopback, for both
    /// 127.0.0.1 and localhost) and for the node (`DNS:node-CODE`, what a parent requiring client certificates checks).
    public func issue(node code: RegionCode, url: String?, notValidBefore: Date = Date() - 3600, days: Int = 825) throws -> IssuedCertificate {
        var hosts: [String] = []
        if let url, let host = HostAndPort(url: url)?.host {
            let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            hosts.append(bare)
            if ["127.0.0.1", "localhost", "::1"].contains(bare) { hosts += ["127.0.0.1", "localhost"] }
        }
        let name = ChildCertificateName.dnsName(for: code)
        return try issue(commonName: name, hosts: hosts, dnsNames: [name], notValidBefore: notValidBefore, days: days)
    }

    /// An IP address SAN for an address, else a DNS name.
    static func generalName(host: String) -> GeneralName {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return .ipAddress(ASN1OctetString(contentBytes: withUnsafeBytes(of: v4) { Array($0)[...] }))
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return .ipAddress(ASN1OctetString(contentBytes: withUnsafeBytes(of: v6) { Array($0)[...] }))
        }
        return .dnsName(host)
    }
}

/// A certificate and its key, as PEM files hold them.
public struct IssuedCertificate: Sendable {
    public let certificate: Certificate
    let key: Certificate.PrivateKey
    /// The certificate, then the issuers to send with it (none for a CA's direct issue).
    let chain: [Certificate]

    public var certificatePEM: String {
        get throws { try chain.map { try $0.serializeAsPEM().pemString }.joined(separator: "\n") + "\n" }
    }
    public var keyPEM: String { get throws { try key.serializeAsPEM().pemString + "\n" } }
}

/// What a parent requiring client certificates looks for in a child's certificate: the DNS subject alternative name
/// `node-CODE` (a region code alone is not a host name; the prefix keeps it one).
public enum ChildCertificateName {
    public static func dnsName(for code: RegionCode) -> String { "node-\(code)" }

    /// The DNS names of the certificate in DER form; empty when it cannot be read.
    public static func dnsNames(inDER bytes: [UInt8]) -> [String] {
        guard let certificate = try? Certificate(derEncoded: bytes),
            let names = try? certificate.extensions.subjectAlternativeNames
        else { return [] }
        return names.compactMap {
            if case .dnsName(let name) = $0 { return name }
            return nil
        }
    }
}
