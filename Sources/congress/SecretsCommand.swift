import ArgumentParser
import CongressCore
import CongressTooling
import Foundation

struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "secrets", abstract: "Node tokens and keys.", subcommands: [Initialise.self])

    struct Initialise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Write one secrets file per node of the topology, keeping tokens that already exist."
        )

        @Option(name: .long, help: "The topology file.")
        var topology: String = "config/topology.yaml"

        @Option(name: .long, help: "Folder for the secrets files (never commit it).")
        var out: String = ".data/secrets"

        func run() async throws {
            try await Report.run {
                let (count, created, contactKeys) = try Self.write(topology: topology, out: out)
                let added = contactKeys > 0 ? "; a contact key added to \(contactKeys) kept" : ""
                print("secrets for \(count) nodes in \(out) (\(created) new, \(count - created) kept\(added))")
            }
        }

        /// Writes a secrets file for every running node that has none, keeping the others (adding a contact key to those
        /// written before contacts); returns (nodes, new files, kept files given a contact key).
        static func write(topology: String, out: String) throws -> (Int, Int, Int) {
            let loaded = try TopologyLoader.load(contentsOf: topology)
            // Only the secrets folder itself is private: a managed PostgreSQL (another user) must still pass through its parents.
            let parent = URL(fileURLWithPath: out).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var existing: [RegionCode: NodeSecrets] = [:]
            for node in loaded.topology.runningNodes {
                let path = "\(out)/\(node.code).yaml"
                if FileManager.default.fileExists(atPath: path) { existing[node.code] = try NodeSecrets.load(contentsOf: path) }
            }
            let all = NodeSecrets.generate(for: loaded.topology, keeping: existing)
            for secrets in all {
                let path = "\(out)/\(secrets.node).yaml"
                let temporary = path + ".new"
                guard FileManager.default.createFile(atPath: temporary, contents: Data(secrets.yaml.utf8), attributes: [.posixPermissions: 0o600])
                else {
                    throw InputError(field: "out", message: "cannot write \(temporary)")
                }
                // rename(2) replaces atomically: a node never reads half a secrets file.
                guard rename(temporary, path) == 0 else { throw InputError(field: "out", message: "cannot replace \(path)") }
            }
            return (all.count, all.count - existing.count, existing.values.filter { $0.contactKey == nil }.count)
        }
    }
}
