import CongressCore
import CongressStore
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The rules of writing records at this node (SPEC §4, §10): what a client's input becomes, who owns what, and bulk
/// imports all or nothing. Controllers decode and encode; the store writes each rule in one transaction.
struct RecordService: Sendable {
    let store: RecordStore
    let personKeys: PersonKeyDeriver

    var node: RegionCode { store.node }

    /// At most this many records in one import.
    static let maximumImport = 200_000

    func get<Body: RecordBody>(_ type: Body.Type, id: UUID) async throws -> Record<Body> {
        try await store.require(Body.self, id: id)
    }

    func list<Body: RecordBody>(_ type: Body.Type, query: ListQuery) async throws -> Page<Body> {
        try await store.list(Body.self, query: query)
    }

    func create<Body: RecordBody>(
        _ input: RecordInput<Body>,
        confinedTo scope: RegionCode? = nil,
        alongside: (@Sendable (PostgresConnection) async throws -> Void)? = nil
    ) async throws -> Record<Body> {
        let prepared = try prepare(input, id: input.id ?? UUID(), previous: nil)
        try Self.confine(prepared.regionCode, to: scope)
        return try await store.create(prepared, alongside: alongside)
    }

    func replace<Body: RecordBody>(_ input: RecordInput<Body>, id: UUID, confinedTo scope: RegionCode? = nil) async throws -> Record<Body> {
        if let sent = input.id, sent != id {
            throw InputError(field: "id", message: "the body's id \(sent) differs from the URL's \(id)")
        }
        let previous = try await store.require(Body.self, id: id)
        // A replica is refused as such before its body is judged against this node.
        try store.requireOwned(previous.meta)
        try Self.confine(previous.meta.regionCode, to: scope)
        let prepared = try prepare(input, id: id, previous: previous.body)
        try Self.confine(prepared.regionCode, to: scope)
        return try await store.replace(prepared, expectedVersion: input.version)
    }

    func delete<Body: RecordBody>(_ type: Body.Type, id: UUID, confinedTo scope: RegionCode? = nil) async throws -> Record<Body> {
        if let scope { try Self.confine(try await store.require(Body.self, id: id).meta.regionCode, to: scope) }
        return try await store.delete(Body.self, id: id)
    }

    /// Refuses a write outside the part of the subtree a person's account is confined to (SPEC §14).
    static func confine(_ region: RegionCode?, to scope: RegionCode?) throws {
        guard let scope, let region, !scope.contains(region) else { return }
        throw APIError.forbidden("this account writes only in \(scope); \(region) lies outside it")
    }

    /// Deputies in bulk; one re-imported without an ID number keeps the `personKey` it had.
    /// Deputies in bulk. A row without an `id` that is a mandate this node already holds — the same person (ID
    /// number), congress and term — updates it: a register imported again changes nothing twice.
    func importDeputies(_ inputs: [RecordInput<Deputy>], confinedTo scope: RegionCode? = nil) async throws -> ImportSummary {
        try Self.checkSize(inputs)
        let ids = inputs.map { $0.id ?? UUID() }
        let stored = try await store.existing(Deputy.self, ids: ids)
        let prepared = try Self.prepareEach(inputs) { (index, input) throws(InputError) in
            try prepare(input, id: ids[index], previous: stored[ids[index]]?.body)
        }
        for record in prepared { try Self.confine(record.regionCode, to: scope) }
        return try await store.importMandates(prepared, matching: inputs.map { $0.id == nil })
    }

    /// Villages in bulk; one whose code is already held here is updated rather than refused.
    func importUnits(_ inputs: [RecordInput<Unit>], confinedTo scope: RegionCode? = nil) async throws -> ImportSummary {
        try Self.checkSize(inputs)
        let known = try await store.unitIDs(forCodes: inputs.map(\.body.code))
        let prepared = try Self.prepareEach(inputs) { (_, input) throws(InputError) in
            try prepare(input, id: input.id ?? known[input.body.code] ?? UUID(), previous: nil)
        }
        for record in prepared { try Self.confine(record.regionCode, to: scope) }
        return try await store.importRecords(prepared)
    }

    /// Validates a client's input into what the store writes.
    func prepare<Body: RecordBody>(_ input: RecordInput<Body>, id: UUID, previous: Body?) throws(InputError) -> PreparedRecord<Body> {
        var body = input.body
        let region = try body.validate(regionCode: input.regionCode, node: node)
        try body.derive(idNumber: input.idNumber, previous: previous, personKeys: personKeys)
        return PreparedRecord(id: id, regionCode: region, body: body)
    }

    private static func checkSize<Item>(_ items: [Item]) throws(InputError) {
        guard !items.isEmpty else { throw InputError(field: nil, message: "the import is empty: send a JSON array of records") }
        guard items.count <= maximumImport else {
            throw InputError(field: nil, message: "at most \(maximumImport) records per import; split the file")
        }
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
