import CongressCore
import CongressStore
import Hummingbird

/// Bulk loads (`POST /v1/units/import`, `/v1/deputies/import`): a JSON array of records, written all or nothing; an
/// item with an `id` (or, for units, a known `code`) replaces what is stored. Mounted in the admin group at `/v1`.
struct ImportController: Sendable {
    let records: RecordService

    var writes: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .post("deputies/import", use: importDeputies)
            .post("units/import", use: importUnits)
    }

    @Sendable func importDeputies(_ request: Request, context: AppRequestContext) async throws -> Response {
        let inputs = try await JSONBody.decode([RecordInput<Deputy>].self, from: request, limit: BodyLimit.bulk)
        return try respond(try await records.importDeputies(inputs, confinedTo: context.confinedTo), kind: .deputy, context: context)
    }

    @Sendable func importUnits(_ request: Request, context: AppRequestContext) async throws -> Response {
        let inputs = try await JSONBody.decode([RecordInput<Unit>].self, from: request, limit: BodyLimit.bulk)
        return try respond(try await records.importUnits(inputs, confinedTo: context.confinedTo), kind: .unit, context: context)
    }

    private func respond(_ summary: ImportSummary, kind: RecordKind, context: AppRequestContext) throws -> Response {
        context.logger.info(
            "imported records",
            metadata: [
                "kind": "\(kind.rawValue)", "created": "\(summary.created)", "updated": "\(summary.updated)", "unchanged": "\(summary.unchanged)",
            ]
        )
        return try JSONBody.response(.ok, summary)
    }
}
