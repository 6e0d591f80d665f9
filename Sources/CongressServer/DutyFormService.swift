import CongressCore
import CongressStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the staff's forms for activities and groups read, and confirming an activity (SPEC §12). Records are created and
/// replaced through `RecordService`, the same path as the JSON API, so that one set of rules decides.
struct DutyFormService: Sendable {
    let records: RecordService

    var node: RegionCode { records.node }
    private var store: RecordStore { records.store }

    /// At most this many deputies are offered at once: a name narrows the list.
    static let candidateLimit = 300
    static let recentLimit = 100

    /// Deputies a form may name, narrowed by part of a name, with `chosen` (already picked, perhaps outside the
    /// narrowed list) first.
    func candidates(named text: String?, chosen: [UUID]) async throws -> [Record<Deputy>] {
        let picked = try await store.existing(Deputy.self, ids: chosen)
        let first = chosen.compactMap { picked[$0] }
        let rest = try await store.nameableMandates(nameContaining: text, limit: Self.candidateLimit)
        return first + rest.filter { picked[$0.meta.id] == nil }
    }

    /// The stations of the subtree, to say where an activity took place.
    func stations() async throws -> [Record<Station>] {
        try await all(Station.self).filter { node.contains($0.meta.regionCode) }.sorted { $0.body.name < $1.body.name }
    }

    /// The groups of the subtree, by name.
    func groups() async throws -> [Record<DeputyGroup>] {
        try await all(DeputyGroup.self).filter { node.contains($0.meta.regionCode) }.sorted { $0.body.name < $1.body.name }
    }

    func group(_ id: UUID) async throws -> Record<DeputyGroup> { try await records.get(DeputyGroup.self, id: id) }

    func recentActivities() async throws -> [Record<Activity>] { try await store.recentActivities(limit: Self.recentLimit) }

    /// Names of the deputies `ids`, as stored here (a deputy since deleted keeps its name on old activities).
    func deputyNames(_ ids: [UUID]) async throws -> [UUID: String] {
        try await store.existing(Deputy.self, ids: Array(Set(ids))).mapValues(\.body.name)
    }

    /// Marks an activity confirmed (SPEC §12: only confirmed activities count), a replace at the version read so that
    /// an edit in between is not overwritten.
    func confirm(activity id: UUID, confinedTo scope: RegionCode?) async throws -> Record<Activity> {
        let current = try await records.get(Activity.self, id: id)
        guard current.body.confirmed != true else { return current }
        var body = current.body
        body.confirmed = true
        let input = RecordInput(id: id, version: current.meta.version, regionCode: current.meta.regionCode, body: body)
        return try await records.replace(input, id: id, confinedTo: scope)
    }

    /// Every live record of a kind, page by page (stations and groups of one node are a few hundred at most).
    private func all<Body: RecordBody>(_ type: Body.Type) async throws -> [Record<Body>] {
        var items: [Record<Body>] = []
        var cursor: String?
        repeat {
            var parameters = [("limit", "\(ListQuery.maximumLimit)")]
            if let cursor { parameters.append(("cursor", cursor)) }
            let page = try await records.list(Body.self, query: ListQuery(kind: Body.kind, parameters: parameters))
            items += page.items
            cursor = page.nextCursor
        } while cursor != nil
        return items
    }
}
