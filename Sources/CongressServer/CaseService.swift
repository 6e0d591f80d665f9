import CongressCore
import CongressStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Cases at this node (SPEC §13): registered, moved on by events, each shown with the status its events lead to.
struct CaseService: Sendable {
    let records: RecordService
    let topology: TopologyInForce
    let deadlines: CaseDeadlines

    var node: RegionCode { records.node }

    /// A case with its status, and the text this node may read: its own, or what a transfer to this node carried.
    struct Shown: Encodable {
        var record: Record<Case>
        var status: CaseStatus

        func encode(to encoder: any Encoder) throws {
            try record.encode(to: encoder)
            try status.encode(to: encoder)
        }
    }

    func register(_ input: RecordInput<Case>, confinedTo scope: RegionCode?) async throws -> Shown {
        try await shown([try await records.create(input, confinedTo: scope)])[0]
    }

    func get(_ id: UUID) async throws -> Shown {
        try await shown([try await records.get(Case.self, id: id)])[0]
    }

    func list(_ query: ListQuery) async throws -> (items: [Shown], nextCursor: String?) {
        let page = try await records.list(Case.self, query: query)
        return (try await shown(page.items), page.nextCursor)
    }

    func events(of id: UUID) async throws -> [Record<CaseEvent>] {
        _ = try await records.get(Case.self, id: id)
        // In the order the workflow reads them.
        return (try await records.store.caseEvents(of: [id])[id] ?? []).sorted {
            ($0.body.at ?? .init(.distantPast), $0.meta.id.uuidString) < ($1.body.at ?? .init(.distantPast), $1.meta.id.uuidString)
        }
    }

    /// One more event on case `id`. An opinion goes up one node at a time, to this node's parent, carrying the case's
    /// subject and text (the parent gets them from nobody else); the store checks the rest against the case's events
    /// in the write's transaction.
    func record(_ event: CaseEvent, on id: UUID, confinedTo scope: RegionCode?) async throws -> Record<CaseEvent> {
        var event = event
        event.caseId = id
        if event.action == .transfer {
            let parent = topology.topology.upstream(of: node)?.code
            guard let to = event.to, to == parent else {
                throw APIError(
                    .forbidden,
                    code: "out_of_scope",
                    message:
                        "an opinion goes up one node at a time: transfer it to \(parent?.rawValue ?? "the node above"), not \(event.to?.rawValue ?? "nowhere")",
                    field: "to"
                )
            }
            let shown = try await get(id)
            (event.subject, event.text) = (shown.record.body.subject, shown.record.body.content)
        }
        return try await records.create(RecordInput(body: event), confinedTo: scope)
    }

    /// Each case with its status, its subject and text filled in from the transfer that brought it here if it came
    /// without them.
    private func shown(_ cases: [Record<Case>]) async throws -> [Shown] {
        let events = try await records.store.caseEvents(of: cases.map(\.meta.id))
        let today = Activity.today()
        return cases.map { record in
            var record = record
            let own = events[record.meta.id] ?? []
            if record.body.content == nil, let carried = own.last(where: { $0.body.action == .transfer && $0.body.to == node }) {
                (record.body.subject, record.body.content) = (carried.body.subject, carried.body.text)
            }
            let workflow = record.body.workflow(origin: record.meta.origin, deadlines: deadlines)
            return Shown(record: record, status: workflow.status(after: own.map { $0.body.step(id: $0.meta.id, node: $0.meta.origin) }, today: today))
        }
    }
}
