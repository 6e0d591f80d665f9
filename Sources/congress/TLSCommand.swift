import ArgumentParser
import CongressCore
import CongressTLS
import CongressTooling

struct TLSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls",
        abstract: "Certificates for HTTPS between nodes (tests and pilots).",
        subcommands: [Initialise.self]
    )

    struct Initialise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Make a private CA and one certificate and key per node of the topology with a url (tests and pilots only).",
            discussion: """
                Writes ca.pem, ca-key.pem (0600) and, per node, CODE.pem and CODE-key.pem (0600): P-256, valid 825 days,
                named for the host of the node's url (127.0.0.1 and localhost on the loopback) and DNS:node-CODE, what a
                parent with requireClientCertificates checks. A CA already in the folder is kept and issues the new
                certificates. For tests and pilots only: in production, use certificates from the network's own CA.
                """
        )

        @Option(name: .long, help: "The topology file.")
        var topology: String = "config/topology.yaml"

        @Option(name: .long, help: "Folder for the CA and the certificates (keep it out of git).")
        var out: String = ".data/tls"

        func run() async throws {
            try await Report.run {
                let loaded = try TopologyLoader.load(contentsOf: topology)
                let written = try TLSFolder.write(for: loaded.topology, to: out)
                print(
                    "\(written.newAuthority ? "new" : "kept the") CA in \(TLSFolder.caPath(in: out)) (key \(TLSFolder.caKeyPath(in: out)), mode 0600); "
                        + "certificates for \(written.nodes.count) nodes in \(out) — for tests and pilots only, not for production"
                )
                print("in each node's config: tls: { certificate: …/CODE.pem, key: …/CODE-key.pem, ca: …/ca.pem }")
            }
        }
    }
}
