import ArgumentParser
import CongressCore
import CongressTooling

struct DeputiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deputies",
        abstract: "Deputies, one record per mandate.",
        subcommands: [Import.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a deputy register (代表花名册, CSV; UTF-8 or GB18030) into a running node, all or nothing.",
            discussion: """
                Columns are found by their headers, in any order: 姓名, 性别 (男/女) and 层级 or 代表层级 (全国, 省, 市, 县, \
                乡镇…) are required; 民族, 出生年月 (1975-06, 1975年6月, 197506…), 党派, 职业, 届次 (15 or 第十五届), 选区, 代表团, \
                状态 (在任, 辞职, 罢免, 终止, 暂停), 手机, 身份证号 and 行政区划代码 (or 选区代码: where the deputy lives or works) \
                may follow. The ID number is checked here and at the node, turned into the person key there and never \
                stored. Every problem is printed as FILE:LINE:COL, and nothing is written unless every row is right.
                """
        )

        @Argument(help: "The register, saved from Excel as CSV.")
        var file: String

        @Option(name: .long, help: "The node's config file (nodes/CODE.yaml).")
        var node: String

        @Option(
            name: .long,
            help: ArgumentHelp(
                "The deputies' congress (a region code); default: the node's own.",
                discussion: "A row of a higher level belongs to the congress above it, one of a lower level to the congress its 行政区划代码 names."
            )
        )
        var congress: String?

        @Option(name: .long, help: "Where the deputies live or work, for rows without 行政区划代码; default: the node's own code.")
        var region: String?

        @Option(name: .long, help: "The term (届次) of rows that leave it out.")
        var term: Int?

        func run() async throws {
            try await Report.run {
                let setup = try NodeSetup.load(nodeFile: node, logger: .init(label: "congress"))
                let defaults = try DeputyRegisterCSV.Defaults(
                    node: setup.config.node,
                    congress: try congress.map { code throws(InputError) in try RegionCode.parameter(code, field: "--congress") },
                    region: try region.map { code throws(InputError) in try RegionCode.parameter(code, field: "--region") },
                    term: term
                )
                let rows = try DeputyRegisterCSV.parse(try ImportedText.read(atPath: file), file: file, defaults: defaults)
                let summary = try await RecordImport.send(rows, file: file, setup: setup)
                print("\(rows.count) deputies: \(summary.created) created, \(summary.updated) updated, \(summary.unchanged) unchanged")
            }
        }
    }
}
