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
    let contacts: ContactService

    var node: RegionCode { records.node }

    /// A case with its status, and the text this node may read: its own, or what a transfer to this node carried; and
    /// the constituent, for an editor of the node that received it.
    struct Shown: Encodable {
        var record: Record<Case>
        var status: CaseStatus
        var constituent: ConstituentContact?
        /// The receipt its contact page gave the constituent, at the node that received it.
        var receipt: String?

        private enum CodingKeys: String, CodingKey { case constituent, receipt }

        func encode(to encoder: any Encoder) throws {
            try record.encode(to: encoder)
            try status.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(constituent, forKey: .constituent)
            try container.encodeIfPresent(receipt, forKey: .receipt)
        }
    }

    /// Registers a case with its constituent's contact, if given, and the receipt its contact page handed out: the
    /// contact checked and sealed first, both stored in the case's own transaction, so that a case never exists without
    /// the contact it came with, nor a contact or a receipt without its case.
    func register(
        _ input: RecordInput<Case>,
        constituent: (name: String?, phone: String?)?,
        receipt: String? = nil,
        confinedTo scope: RegionCode?
    ) async throws -> Shown {
        var input = input
        let id = input.id ?? UUID()
        input.id = id
        let sealed = try constituent.flatMap { try contacts.sealed(name: $0.name, phone: $0.phone, forCase: id) }
        let (store, pages) = (contacts.store, records.store.contactPages)
        let created = try await records.create(input, confinedTo: scope) { connection in
            if let sealed { try await store.put(sealed, forCase: id, on: connection) }
            if let receipt { try await pages.putReceipt(receipt, forCase: id, on: connection) }
        }
        return try await shown([created])[0]
    }

    /// The case with its constituent's contact, for an editor of this node: each reading is an audit entry.
    func getWithContact(_ id: UUID, readBy actor: String, address: String?) async throws -> Shown {
        var shown = try await get(id)
        shown.constituent = try await contacts.contact(ofCase: id, readBy: actor, address: address)
        return shown
    }

    func get(_ id: UUID) async throws -> Shown {
        try await shown([try await records.get(Case.self, id: id)])[0]
    }

    /// The change counter: any record written here moves it.
    func lastSeq() async throws -> Int64 {
        try await records.store.lastSeq()
    }

    func list(_ query: ListQuery) async throws -> (items: [Shown], nextCursor: String?) {
        let page = query.order == .overdue ? try await records.store.casesOverdueFirst(query) : try await records.list(Case.self, query: query)
        return (try await shown(page.items), page.nextCursor)
    }

    /// The cases held here, the latest registered first (the staff's list).
    func recent(limit: Int, offset: Int) async throws -> [Shown] {
        try await shown(try await records.store.recentCases(limit: limit, offset: offset))
    }

    func events(of id: UUID) async throws -> [Record<CaseEvent>] {
        _ = try await records.get(Case.self, id: id)
        // In the order the workflow reads them.
        return (try await records.store.caseEvents(of: [id])[id] ?? []).sorted {
            CaseWorkflow.recordedBefore($0.body.step(id: $0.meta.id, node: $0.meta.origin), $1.body.step(id: $1.meta.id, node: $1.meta.origin))
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
        let recorded = try await records.create(RecordInput(body: event), confinedTo: scope)
        // The contact is kept `contactRetentionDays` after the case closes here (SPEC §13), until then if reopened.
        switch event.action {
        case .close, .answerOnSpot, .explain: try await contacts.caseClosed(id, on: recorded.body.on ?? Activity.today())
        case .reopen: try await contacts.caseReopened(id)
        default: break
        }
        return recorded
    }

    /// The cases under `region` that need attention (overdue, or supervised and open), overdue first, and how many there are.
    func needingAttention(under region: RegionCode, limit: Int) async throws -> (items: [Shown], total: Int) {
        let found = try await records.store.casesNeedingAttention(under: region, limit: limit)
        return (try await shown(found.items), found.total)
    }

    /// Erases the case's contact at the constituent's request (PIPL art. 47).
    func eraseContact(of id: UUID) async throws -> Bool {
        let shown = try await get(id)
        guard shown.record.meta.origin == node else {
            throw APIError(.conflict, code: "conflict", message: "the contact stays at \(shown.record.meta.origin), which received the case")
        }
        return try await contacts.erase(contactOfCase: id)
    }

    /// Each case with its status, its subject and text filled in from the transfer that brought it here if it came
    /// without them.
    private func shown(_ cases: [Record<Case>]) async throws -> [Shown] {
        let events = try await records.store.caseEvents(of: cases.map(\.meta.id))
        let receipts = try await records.store.contactPages.receipts(ofCases: cases.filter { $0.meta.origin == node }.map(\.meta.id))
        let today = Activity.today()
        return cases.map { record in
            var record = record
            let own = events[record.meta.id] ?? []
            if record.body.content == nil, let carried = own.last(where: { $0.body.action == .transfer && $0.body.to == node }) {
                (record.body.subject, record.body.content) = (carried.body.subject, carried.body.text)
            }
            let workflow = record.body.workflow(origin: record.meta.origin, deadlines: deadlines)
            return Shown(
                record: record,
                status: workflow.status(after: own.map { $0.body.step(id: $0.meta.id, node: $0.meta.origin) }, today: today),
                receipt: receipts[record.meta.id]
            )
        }
    }
}
