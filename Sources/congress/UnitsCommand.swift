import ArgumentParser
import AsyncHTTPClient
import CongressCore
import CongressTooling
import Foundation
import NIOCore

struct UnitsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "units", abstract: "Village and community units.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a CSV of units (code,name[,urbanRuralClass]) into a running node, all or nothing."
        )

        @Argument(help: "The CSV file.")
        var file: String

        @Option(name: .long, help: "The node's config file (nodes/CODE.yaml).")
        var node: String

        func run() async throws {
            try await Report.run {
                guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                    throw ConfigFileError(file: file, message: "cannot read the file (missing, unreadable or not UTF-8)")
                }
                let rows = try UnitCSV.parse(text, file: file)
                let setup = try NodeSetup.load(nodeFile: node, logger: .init(label: "congress"))
                let body = try JSONEncoder().encode(rows.map { UnitInputWire($0.input.body) })
                let request = NodeHTTP.request(
                    "http://\(setup.listen)/v1/units/import",
                    method: .POST,
                    token: setup.secrets.adminToken,
                    json: ByteBuffer(bytes: body)
                )
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(300))
                let answer = try await response.body.collect(upTo: 1 << 20)
                guard response.status == .ok else {
                    throw Self.located(APIErrorWire.parse(answer), rows: rows, file: file, status: response.status.code)
                }
                let summary = try JSONDecoder().decode(Summary.self, from: answer)
                print("\(rows.count) units: \(summary.created) created, \(summary.updated) updated, \(summary.unchanged) unchanged")
            }
        }

        /// Points an error about item `[i]` at the CSV line it came from.
        static func located(_ error: APIErrorWire?, rows: [UnitCSV.Row], file: String, status: UInt) -> ConfigFileError {
            let message = error?.message ?? "the node answered HTTP \(status)"
            var line = 1
            if let field = error?.field, field.hasPrefix("["), let close = field.firstIndex(of: "]"),
                let index = Int(field[field.index(after: field.startIndex)..<close]), rows.indices.contains(index)
            {
                line = rows[index].line
            }
            return ConfigFileError([Diagnostic(file: file, line: line, column: 1, severity: .error, message: message)])
        }
    }

    private struct Summary: Decodable {
        var created: Int
        var updated: Int
        var unchanged: Int
    }
}

/// A unit as the import endpoint takes it.
struct UnitInputWire: Encodable {
    var code: String
    var name: String
    var urbanRuralClass: String?

    init(_ unit: CongressCore.Unit) {
        code = unit.code.rawValue
        name = unit.name
        urbanRuralClass = unit.urbanRuralClass
    }
}

/// SPEC §10's error body, as the CLI reads it.
struct APIErrorWire: Decodable {
    var code: String
    var message: String
    var field: String?

    private struct Envelope: Decodable { var error: APIErrorWire }

    static func parse(_ buffer: ByteBuffer) -> APIErrorWire? {
        try? JSONDecoder().decode(Envelope.self, from: Data(buffer.readableBytesView)).error
    }
}
