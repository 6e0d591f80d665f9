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

/// Create, read, replace, delete (tombstone) and list for one record kind (SPEC §10).
struct RecordController<Body: RecordBody>: Sendable {
    let store: RecordStore
    let personKeys: PersonKeyDeriver

    var node: RegionCode { store.node }

    func addRoutes(to api: APIRoutes) {
        let path = "/v1/\(Body.kind.collection)"
        api.add(.post, path, use: create)
        api.add(.get, path, use: list)
        api.add(.get, path + "/{id}", use: get)
        api.add(.put, path + "/{id}", use: replace)
        api.add(.delete, path + "/{id}", use: delete)
    }

    @Sendable func create(_ request: Request, context: some RequestContext) async throws -> Response {
        let input = try await JSONBody.decode(RecordInput<Body>.self, from: request, limit: BodyLimit.record)
        let record = try await store.create(prepare(input, id: input.id ?? UUID(), previous: nil))
        context.logger.info("created record", metadata: ["kind": "\(Body.kind.rawValue)", "id": "\(record.meta.id)"])
        return try JSONBody.response(.created, record)
    }

    @Sendable func get(_ request: Request, context: some RequestContext) async throws -> Response {
        try JSONBody.response(.ok, try await store.require(Body.self, id: try Self.id(context)))
    }

    @Sendable func list(_ request: Request, context: some RequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
        let page = try await store.list(Body.self, query: ListQuery(kind: Body.kind, parameters: parameters))
        return try JSONBody.response(.ok, ListResponse(items: page.items, nextCursor: page.nextCursor))
    }

    @Sendable func replace(_ request: Request, context: some RequestContext) async throws -> Response {
        let id = try Self.id(context)
        let input = try await JSONBody.decode(RecordInput<Body>.self, from: request, limit: BodyLimit.record)
        if let sent = input.id, sent != id {
            throw InputError(field: "id", message: "the body's id \(sent) differs from the URL's \(id)")
        }
        let previous = try await store.require(Body.self, id: id)
        // A replica is refused as such before its body is judged against this node.
        try store.requireOwned(previous.meta)
        let record = try await store.replace(prepare(input, id: id, previous: previous.body), expectedVersion: input.version)
        context.logger.info("replaced record", metadata: ["kind": "\(Body.kind.rawValue)", "id": "\(id)", "version": "\(record.meta.version)"])
        return try JSONBody.response(.ok, record)
    }

    @Sendable func delete(_ request: Request, context: some RequestContext) async throws -> Response {
        let record = try await store.delete(Body.self, id: try Self.id(context))
        context.logger.info("deleted record", metadata: ["kind": "\(Body.kind.rawValue)", "id": "\(record.meta.id)"])
        return try JSONBody.response(.ok, record)
    }

    /// Validates a client's input into what the store writes.
    func prepare(_ input: RecordInput<Body>, id: UUID, previous: Body?) throws(InputError) -> PreparedRecord<Body> {
        var body = input.body
        let region = try body.validate(regionCode: input.regionCode, node: node)
        try body.derive(idNumber: input.idNumber, previous: previous, personKeys: personKeys)
        return PreparedRecord(id: id, regionCode: region, body: body)
    }

    static func id(_ context: some RequestContext) throws -> UUID {
        let text = context.parameters.get("id") ?? ""
        guard let id = UUID(uuidString: text) else { throw InputError(.badRequest, field: "id", message: "'\(text)' is not a UUID") }
        return id
    }
}

struct ListResponse<Body: RecordBody>: Encodable {
    var items: [Record<Body>]
    /// Encoded as null on the last page, as SPEC's Appendix A shows.
    var nextCursor: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    private enum CodingKeys: String, CodingKey { case items, nextCursor }
}
