import CongressCore

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

/// The folder `congress tls init` writes (tests and pilots only): `ca.pem` and `ca-key.pem` (0600), and for each node
/// of the topology with a url `CODE.pem` and `CODE-key.pem` (0600). A CA already in the folder is kept and issues the
/// new certificates, so that certificates made earlier stay trusted.
public enum TLSFolder {
    public struct Written: Sendable {
        /// Whether the CA was made now (else the folder's own was used).
        public var newAuthority: Bool
        public var nodes: [RegionCode]
    }

    public static func caPath(in directory: String) -> String { directory + "/ca.pem" }
    public static func caKeyPath(in directory: String) -> String { directory + "/ca-key.pem" }
    public static func certificatePath(of node: RegionCode, in directory: String) -> String { directory + "/\(node).pem" }
    public static func keyPath(of node: RegionCode, in directory: String) -> String { directory + "/\(node)-key.pem" }

    public static func write(for topology: Topology, to directory: String, now: Date = Date()) throws -> Written {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let caPath = caPath(in: directory)
        let caKeyPath = caKeyPath(in: directory)
        let authority: CertificateAuthority
        let newAuthority: Bool
        if let certificate = FileManager.default.contents(atPath: caPath), let key = FileManager.default.contents(atPath: caKeyPath) {
            do {
                authority = try CertificateAuthority(
                    certificatePEM: String(decoding: certificate, as: UTF8.self),
                    keyPEM: String(decoding: key, as: UTF8.self)
                )
            } catch {
                throw InputError(field: "out", message: "\(caPath) or \(caKeyPath) cannot be read as a CA (\(error)): remove both to make a new CA")
            }
            newAuthority = false
        } else {
            authority = try CertificateAuthority.make(now: now)
            try save(try authority.certificatePEM, to: caPath, mode: 0o644)
            try save(try authority.keyPEM, to: caKeyPath, mode: 0o600)
            newAuthority = true
        }
        var nodes: [RegionCode] = []
        for node in topology.runningNodes {
            let issued = try authority.issue(node: node.code, url: node.url, notValidBefore: now - 3600)
            try save(try issued.certificatePEM, to: certificatePath(of: node.code, in: directory), mode: 0o644)
            try save(try issued.keyPEM, to: keyPath(of: node.code, in: directory), mode: 0o600)
            nodes.append(node.code)
        }
        return Written(newAuthority: newAuthority, nodes: nodes)
    }

    /// Writes beside the file and renames over it, created with `mode` (a key is never readable by others, even briefly).
    static func save(_ text: String, to path: String, mode: Int) throws {
        let temporary = path + ".new"
        try? FileManager.default.removeItem(atPath: temporary)
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw InputError(field: "out", message: "cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else { throw InputError(field: "out", message: "cannot replace \(path)") }
    }
}
