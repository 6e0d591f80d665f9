import CongressCore
import CongressStore
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Cases over the API (SPEC §13, Appendix B), mounted at `/v1/cases`: registered and read with their status, moved on
/// by events (`POST /v1/cases/{id}/events`), which are append-only.
struct CaseController: Sendable {
    let cases: CaseService
    /// The list's pages as last rendered: the staff's dashboards ask for the same page far more often than cases change.
    let listPages = RenderedPages()

    var reads: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get(use: list)
            .get("{id}", use: get)
            .get("{id}/events", use: events)
    }

    var writes: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .post(use: register)
            .post("{id}/events", use: record)
            .delete("{id}/contact", use: eraseContact)
    }

    /// A case as staff register it: the record's fields, and the constituent's name and phone, input only.
    struct Registration: Decodable {
        var record: RecordInput<Case>
        var constituent: Constituent?

        struct Constituent: Decodable {
            var name: String?
            var phone: String?
        }

        private enum CodingKeys: String, CodingKey { case constituent }

        init(from decoder: any Decoder) throws {
            record = try RecordInput<Case>(from: decoder)
            constituent = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Constituent.self, forKey: .constituent)
        }
    }

    /// What a client sends for an event: the case is the URL's; the node sets when it was recorded.
    struct EventInput: Decodable {
        var action: CaseAction
        var units: [String]?
        var to: RegionCode?
        var text: String?
        var grade: SuggestionGrade?
        var satisfaction: Satisfaction?
        var on: CalendarDate?
    }

    @Sendable func register(_ request: Request, context: AppRequestContext) async throws -> Response {
        let input = try await JSONBody.decode(Registration.self, from: request, limit: BodyLimit.record)
        let shown = try await cases.register(
            input.record,
            constituent: input.constituent.map { ($0.name, $0.phone) },
            confinedTo: context.confinedTo
        )
        var response = try JSONBody.response(.created, shown)
        response.headers[.location] = "/v1/cases/\(shown.record.meta.id)"
        return response
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try request.query(accepting: [])
        let id = try context.recordID()
        // The constituent only for those who write here (SPEC §13: editors of the receiving node), each reading audited.
        guard context.seesPersonKeys else { return try JSONBody.response(.ok, try await cases.get(id)) }
        return try JSONBody.response(.ok, try await cases.getWithContact(id, readBy: context.actor ?? "anonymous", address: context.address))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = try ListQuery(kind: .caseRecord, parameters: request.queryPairs)
        // The same for every caller who may read: rendered once for each state of the data.
        let stamp = RenderedPages.Stamp(lastSeq: try await cases.lastSeq(), day: Activity.today())
        let body = try await listPages.body(for: request.uri.query ?? "", at: stamp) {
            let page = try await cases.list(query)
            return try JSONBody.encoded(ListResponse(items: page.items, nextCursor: page.nextCursor))
        }
        return JSONBody.response(.ok, encoded: body)
    }

    @Sendable func events(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try request.query(accepting: [])
        return try JSONBody.response(.ok, EventList(items: try await cases.events(of: try context.recordID())))
    }

    @Sendable func record(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.recordID()
        let input = try await JSONBody.decode(EventInput.self, from: request, limit: BodyLimit.record)
        let event = CaseEvent(
            caseId: id,
            action: input.action,
            units: input.units,
            to: input.to,
            text: input.text,
            grade: input.grade,
            satisfaction: input.satisfaction,
            on: input.on
        )
        let recorded = try await cases.record(event, on: id, confinedTo: context.confinedTo)
        var response = try JSONBody.response(.created, recorded)
        response.headers[.location] = "/v1/cases/\(id)/events"
        return response
    }

    @Sendable func eraseContact(_ request: Request, context: AppRequestContext) async throws -> Response {
        struct Erased: Encodable { var erased: Bool }
        return try JSONBody.response(.ok, Erased(erased: try await cases.eraseContact(of: try context.recordID())))
    }

    private struct EventList: Encodable {
        var items: [Record<CaseEvent>]
    }
}
