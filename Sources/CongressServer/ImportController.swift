import CongressCore
import CongressStore
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Bulk loads (`POST /v1/units/import`, `/v1/deputies/import`): a JSON array of records,
/// written all or nothing; an item with an `id` (or, for units, a known `code`) replaces what is stored.
struct ImportController: Sendable {
    let deputies: RecordController<Deputy>
    let units: RecordController<Unit>

    static let maximumItems = 200_000

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/v1/deputies/import", use: importDeputies)
        api.add(.post, "/v1/units/import", use: importUnits)
    }

    @Sendable func importDeputies(_ request: Request, context: some RequestContext) async throws -> Response {
        let inputs = try await Self.decodeItems(Deputy.self, from: request)
        let ids = inputs.map { $0.id ?? UUID() }
        // The stored body lets a deputy re-imported without an ID number keep its personKey.
        let stored = try await deputies.store.existing(Deputy.self, ids: ids)
        let prepared = try Self.prepareEach(inputs) { (index, input) throws(InputError) in
            try deputies.prepare(input, id: ids[index], previous: stored[ids[index]]?.body)
        }
        return try await respond(deputies.store.importRecords(prepared), kind: .deputy, context: context)
    }

    @Sendable func importUnits(_ request: Request, context: some RequestContext) async throws -> Response {
        let inputs = try await Self.decodeItems(Unit.self, from: request)
        let known = try await units.store.unitIDs(forCodes: inputs.map(\.body.code))
        let prepared = try Self.prepareEach(inputs) { (_, input) throws(InputError) in
            try units.prepare(input, id: input.id ?? known[input.body.code] ?? UUID(), previous: nil)
        }
        return try await respond(units.store.importRecords(prepared), kind: .unit, context: context)
    }

    private func respond(_ summary: ImportSummary, kind: RecordKind, context: some RequestContext) throws -> Response {
        context.logger.info(
            "imported records",
            metadata: [
                "kind": "\(kind.rawValue)", "created": "\(summary.created)", "updated": "\(summary.updated)", "unchanged": "\(summary.unchanged)",
            ]
        )
        return try JSONBody.response(.ok, summary)
    }

    private static func decodeItems<Body: RecordBody>(_ type: Body.Type, from request: Request) async throws -> [RecordInput<Body>] {
        let items = try await JSONBody.decode([RecordInput<Body>].self, from: request, limit: BodyLimit.bulk)
        guard !items.isEmpty else { throw InputError(field: nil, message: "the import is empty: send a JSON array of records") }
        guard items.count <= maximumItems else {
            throw InputError(field: nil, message: "at most \(maximumItems) records per import; split the file")
        }
        return items
    }

    /// Prepares every item, naming the failing one by its index.
    private static func prepareEach<Body: RecordBody>(
        _ inputs: [RecordInput<Body>],
        _ prepare: (Int, RecordInput<Body>) throws(InputError) -> PreparedRecord<Body>
    ) throws(InputError) -> [PreparedRecord<Body>] {
        var prepared: [PreparedRecord<Body>] = []
        prepared.reserveCapacity(inputs.count)
        for (index, input) in inputs.enumerated() {
            do {
                prepared.append(try prepare(index, input))
            } catch {
                throw error.nested(under: "[\(index)]")
            }
        }
        return prepared
    }
}
