import ArgumentParser
import CongressCore
import CongressTooling
import Foundation

struct TopologyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Check the federation's topology file, compare two versions of it, or write one from the official division list.",
        subcommands: [Check.self, Diff.self, Import.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Validate a topology file, the points rules folder beside it (and node configs): every problem as FILE:LINE:COL, exit 0 when valid."
        )

        @Argument(help: "The topology file.")
        var file: String = "config/topology.yaml"

        @Option(name: .long, help: "A folder of node configs (nodes/CODE.yaml) to check against the topology: one per node with a url.")
        var nodes: String?

        func run() async throws {
            try await Report.run {
                let loaded = try TopologyLoader.load(contentsOf: file)
                var problems = loaded.warnings
                if let nodes { problems += try NodeConfigFolder.diagnostics(folder: nodes, topology: loaded.topology, topologyFile: file) }
                var points = PointsFolder.empty
                do throws(ConfigFileError) {
                    points = try PointsFolder.load(directory: PointsFolder.directory(besideTopology: file))
                    problems += points.warnings
                } catch {
                    problems += error.diagnostics
                }
                for problem in problems { Report.standardError(problem.description) }
                guard !problems.contains(where: { $0.severity == .error }) else { throw ExitCode.failure }
                let topology = loaded.topology
                let counts = topology.countsByLevel.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
                print("\(file): ok: \(counts); \(topology.runningNodes.count) with a url; hash \(topology.hash.prefix(12))")
                let without = topology.withoutCongressByLevel.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
                if !without.isEmpty {
                    print("without a congress of their own (stations yes, seats no): \(without) — streets (街道), units 400–599, xxxx7x")
                }
                print("\(PointsFolder.directory(besideTopology: file)): ok: \(points.rules.count) points rules files; hash \(points.hash.prefix(12))")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the topology of a province (or CN, the whole country) from the official 统计用区划代码 files (SPEC §15)."
        )

        @Option(name: .long, help: "The folder of one edition: provinces.csv, cities.csv, areas.csv, streets.csv.")
        var divisions: String

        @Option(name: .long, help: "A province's code (42), or CN for the whole country.")
        var region: String

        @Option(name: .long, help: "Levels whose regions run a node, comma-separated (province,city,county): they get a url.")
        var urls: String = ""

        @Option(name: .long, help: "The url given to a node, {code} replaced by its code; set the real addresses after.")
        var urlPattern: String = DivisionList.defaultURLPattern

        @Option(name: .long, help: "Where to write the topology (default: standard output).")
        var out: String?

        func run() async throws {
            try await Report.run {
                let region = try RegionCode.parameter(region, field: "--region")
                var levels: Set<Level> = []
                for name in urls.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
                    guard let level = Level(rawValue: name) else {
                        throw InputError(
                            field: "--urls",
                            message: "unknown level '\(name)' (one of \(Level.allCases.map(\.rawValue).joined(separator: ", ")))"
                        )
                    }
                    levels.insert(level)
                }
                let list = try DivisionList.read(directory: divisions)
                let source = URL(fileURLWithPath: divisions).lastPathComponent
                let imported = try list.topology(of: region, urls: levels, urlPattern: urlPattern, source: source)
                // What is written must load as any operator's file does.
                let loaded = try TopologyLoader.parse(imported.yaml, file: out ?? "topology.yaml")
                if let out {
                    try Data(imported.yaml.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
                } else {
                    print(imported.yaml, terminator: "")
                }
                let counts = Level.allCases.compactMap { level in imported.counts[level].map { "\($0) \(level.rawValue)" } }
                Report.standardError("\(out ?? "topology"): \(counts.joined(separator: ", ")); hash \(loaded.topology.hash.prefix(12))")
                for note in imported.skipped { Report.standardError("left out: \(note)") }
            }
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List what changed between two topology files: nodes added, removed, moved, renamed, url or schedule changed."
        )

        @Argument(help: "The topology as it was.")
        var old: String

        @Argument(help: "The topology as it is now.")
        var new: String

        @Flag(help: "Print a change file (SPEC §15) proposing the renames, recodes and moves, with merge and split candidates.")
        var changes = false

        func run() async throws {
            try await Report.run {
                let (before, after) = try Self.loadBoth(old, new)
                if self.changes {
                    print(after.proposedChanges(since: before, title: "Division changes from \(old) to \(new)"), terminator: "")
                    return
                }
                let changes = after.changes(since: before)
                for change in changes { print(change.description) }
                let counts = TopologyChange.Kind.allCases.compactMap { kind in
                    let count = changes.count { $0.kind == kind }
                    return count > 0 ? "\(count) \(kind.rawValue)" : nil
                }
                print(changes.isEmpty ? "no changes" : "\(changes.count) changes: \(counts.joined(separator: ", "))")
            }
        }

        /// Both files, with the errors of both reported when either is broken.
        private static func loadBoth(_ old: String, _ new: String) throws -> (Topology, Topology) {
            var errors: [Diagnostic] = []
            var topologies: [Topology] = []
            for file in [old, new] {
                do throws(ConfigFileError) {
                    topologies.append(try TopologyLoader.load(contentsOf: file).topology)
                } catch {
                    errors += error.diagnostics
                }
            }
            guard errors.isEmpty else { throw ConfigFileError(errors) }
            return (topologies[0], topologies[1])
        }
    }
}

/// The node configs of a federation checked together against its topology.
enum NodeConfigFolder {
    static func diagnostics(folder: String, topology: Topology, topologyFile: String) throws -> [Diagnostic] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }.sorted()
        var problems: [Diagnostic] = []
        var configured: Set<RegionCode> = []
        for name in names {
            let path = (folder as NSString).appendingPathComponent(name)
            do throws(ConfigFileError) {
                let config = try NodeConfig.load(contentsOf: path)
                configured.insert(config.node)
                problems += config.diagnostics(against: topology)
                if name != "\(config.node).yaml" {
                    problems.append(
                        Diagnostic(
                            file: path,
                            at: config.nodePosition,
                            severity: .warning,
                            message: "the config of node \(config.node) is usually named \(config.node).yaml"
                        )
                    )
                }
            } catch {
                problems += error.diagnostics
            }
        }
        for node in topology.runningNodes where !configured.contains(node.code) {
            problems.append(
                Diagnostic(
                    file: topologyFile,
                    at: node.position,
                    severity: .warning,
                    message: "node \(node.code) \(node.name) has a url but no config in \(folder)"
                )
            )
        }
        return problems
    }
}
