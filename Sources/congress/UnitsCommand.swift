import ArgumentParser
import CongressCore
import CongressTooling

struct UnitsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "units", abstract: "Village and community units.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a CSV of units (code,name[,urbanRuralClass]; UTF-8 or GB18030) into a running node, all or nothing."
        )

        @Argument(help: "The CSV file.")
        var file: String

        @Option(name: .long, help: "The node's config file (nodes/CODE.yaml).")
        var node: String

        func run() async throws {
            try await Report.run {
                let rows = try UnitCSV.parse(try ImportedText.read(atPath: file), file: file)
                let setup = try NodeSetup.load(nodeFile: node, logger: .init(label: "congress"))
                let summary = try await RecordImport.send(rows, file: file, setup: setup)
                print("\(rows.count) units: \(summary.created) created, \(summary.updated) updated, \(summary.unchanged) unchanged")
            }
        }
    }
}
