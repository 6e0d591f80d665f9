import CongressCore
import CongressStore
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Request body limits: one record, and a bulk import.
enum BodyLimit {
    static let record = 256 * 1024
    static let bulk = 64 * 1024 * 1024
}

/// Create, read, replace, delete (tombstone) and list for one record kind (SPEC §10), mounted at `/v1/COLLECTION`.
struct RecordController<Body: RecordBody>: Sendable {
    let records: RecordService
    /// For deputies and stations: their public pages' codes (`contactCode`), shown where the page is served.
    var contactPages: ContactPageService?

    /// Lists and reads: mounted in the read group.
    var reads: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get(use: list)
            .get("{id}", use: get)
    }

    /// Writes: mounted in the admin group.
    var writes: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .post(use: create)
            .put("{id}", use: replace)
            .delete("{id}", use: delete)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let input = try await JSONBody.decode(RecordInput<Body>.self, from: request, limit: BodyLimit.record)
        let record = try await records.create(input, confinedTo: context.confinedTo)
        context.logger.info("created record", metadata: ["kind": "\(Body.kind.rawValue)", "id": "\(record.meta.id)"])
        var response = try JSONBody.response(.created, try await shown([record], to: context)[0])
        response.headers[.location] = "/v1/\(Body.kind.collection)/\(record.meta.id)"
        return response
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let record = try await records.get(Body.self, id: try context.recordID())
        return try JSONBody.response(.ok, try await shown([record], to: context)[0])
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let page = try await records.list(Body.self, query: ListQuery(kind: Body.kind, parameters: request.queryPairs))
        return try JSONBody.response(.ok, ListResponse(items: try await shown(page.items, to: context), nextCursor: page.nextCursor))
    }

    /// The records as the API shows them, the same after a create, a replace or a read: masked for the caller, with
    /// their contact codes.
    private func shown(_ records: [Record<Body>], to context: AppRequestContext) async throws -> [Beside<Body, ContactCode>] {
        let codes = try await contactPages?.codes(of: records) ?? [:]
        return records.map { Beside(record: Self.shown($0, to: context), extra: ContactCode(contactCode: codes[$0.meta.id])) }
    }

    /// The code of a deputy's or a station's public page (SPEC Appendix B: `contactCode`).
    struct ContactCode: Encodable {
        var contactCode: String?
    }

    /// The record as the caller may see it: a deputy's `personKey` only for those who write (SPEC §14: it is as
    /// sensitive as the ID number to whoever holds the province key).
    private static func shown(_ record: Record<Body>, to context: AppRequestContext) -> Record<Body> {
        guard !context.seesPersonKeys, var deputy = record.body as? Deputy, deputy.personKey != nil else { return record }
        deputy.personKey = nil
        return Record(meta: record.meta, body: deputy as! Body)
    }

    @Sendable func replace(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.recordID()
        let input = try await JSONBody.decode(RecordInput<Body>.self, from: request, limit: BodyLimit.record)
        let record = try await records.replace(input, id: id, confinedTo: context.confinedTo)
        context.logger.info("replaced record", metadata: ["kind": "\(Body.kind.rawValue)", "id": "\(id)", "version": "\(record.meta.version)"])
        return try JSONBody.response(.ok, try await shown([record], to: context)[0])
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let record = try await records.delete(Body.self, id: try context.recordID(), confinedTo: context.confinedTo)
        context.logger.info("deleted record", metadata: ["kind": "\(Body.kind.rawValue)", "id": "\(record.meta.id)"])
        return try JSONBody.response(.ok, record)
    }
}

/// A record with fields of its own beside its body's, in one JSON object (a deputy's contact code, a sign-in's
/// training title).
struct Beside<Body: RecordBody, Extra: Encodable>: Encodable {
    var record: Record<Body>
    var extra: Extra

    func encode(to encoder: any Encoder) throws {
        try record.encode(to: encoder)
        try extra.encode(to: encoder)
    }
}

/// A page of a list: records, or cases with their status.
struct ListResponse<Item: Encodable>: Encodable {
    var items: [Item]
    /// Encoded as null on the last page, as SPEC's Appendix A shows.
    var nextCursor: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    private enum CodingKeys: String, CodingKey { case items, nextCursor }
}
