import CongressCore
import CongressStore
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The staff's pages for activities (SPEC §12, 履职活动): the form that records one (`GET /activities/new`, `POST
/// /activities`) and the node's recent activities, each unconfirmed one with its 确认 button. Writes go through
/// `RecordService` as the JSON API's do; a refused one shows the form again with the values entered and the reason
/// beside the field. Mounted behind `PageAccessMiddleware` (editors) and the audit.
struct ActivityFormController: Sendable {
    let forms: DutyFormService
    let topology: TopologyInForce

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get(use: list)
            .get("new", use: blank)
            .post(use: create)
            .post("{id}/confirm", use: confirm)
    }

    /// `?q=` narrows the deputies offered by name.
    static let parameters = [QueryParameter("q", .text(maxLength: 50), summary: "part of a deputy's name: only those deputies are offered")]

    /// The form's fields, in the order a refusal is looked for; `participants` repeats, once per deputy ticked.
    static let fields = ["kind", "title", "on", "halfDays", "regionCode", "stationId", "groupId", "constituentsMet", "summary", "confirmed"]

    @Sendable func blank(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = try request.query(accepting: Self.parameters)
        let defaults = FormBody("kind=reception&halfDays=1&constituentsMet=0&regionCode=\(forms.node.rawValue)&on=\(Activity.today())")
        return try await page(.ok, form: defaults, query: query.text("q"), refusal: nil)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await FormBody.collect(request)
        do {
            let record = try await forms.records.create(try Self.input(form), confinedTo: context.confinedTo)
            context.logger.info("recorded activity", metadata: ["id": "\(record.meta.id)"])
            return FormView.done("/activities", record: "/v1/activities/\(record.meta.id)")
        } catch {
            guard let refusal = FormView.Refusal(error) else { throw error }
            return try await page(refusal.status, form: form, query: nil, refusal: refusal)
        }
    }

    /// A refusal (another node's activity, one changed meanwhile, one dated in the future) is a page of its own.
    @Sendable func confirm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let record = try await forms.confirm(activity: try context.recordID(), confinedTo: context.confinedTo)
        return FormView.done("/activities", record: "/v1/activities/\(record.meta.id)")
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let activities = try await forms.recentActivities()
        let names = try await forms.deputyNames(activities.flatMap(\.body.participants))
        let rows = activities.map { record in
            let activity = record.body
            let people = activity.participants.map { names[$0] ?? "?" }
            return ActivityListView.Row(
                id: record.meta.id.uuidString,
                on: "\(activity.on)",
                kind: activity.kind.label,
                title: activity.title,
                participants: people.count > 5 ? people.prefix(5).joined(separator: "、") + " 等 \(people.count) 人" : people.joined(separator: "、"),
                halfDays: activity.halfDays ?? 1,
                constituentsMet: activity.constituentsMet ?? 0,
                confirmed: activity.confirmed == true
            )
        }
        let view = ActivityListView(nodeName: nodeName, nodeCode: forms.node.rawValue, rows: rows, hasRows: !rows.isEmpty)
        return DashboardController.html(.ok, DashboardTemplates.render(.activityList(view)))
    }

    /// What the form sent, as the API's input: the browser's strings read as the record's types (a value that is no date
    /// or number is refused here, naming its field); every rule is the record's and the store's.
    static func input(_ form: FormBody) throws(InputError) -> RecordInput<Activity> {
        var participants: [UUID] = []
        for (index, text) in form.all("participants").enumerated() {
            guard let id = UUID(uuidString: text) else { throw InputError(field: "participants[\(index)]", message: "'\(text)' is not a deputy id") }
            participants.append(id)
        }
        let body = Activity(
            kind: try form.choice("kind", Activity.Kind.self),
            title: form["title"] ?? "",
            on: try form.date("on"),
            halfDays: try form.integer("halfDays"),
            stationId: try form.id("stationId"),
            groupId: try form.id("groupId"),
            participants: participants,
            constituentsMet: try form.integer("constituentsMet"),
            summary: form["summary"],
            confirmed: form["confirmed"] == "true"
        )
        return RecordInput(regionCode: try form.region("regionCode"), body: body)
    }

    private var nodeName: String { topology.topology.node(forms.node)?.name ?? forms.node.rawValue }

    /// The form with `form`'s values (what was typed, or the defaults), and `refusal` beside its field.
    private func page(_ status: HTTPResponse.Status, form: FormBody, query: String?, refusal: FormView.Refusal?) async throws -> Response {
        // Ticked boxes by id (a box that names no id, which no browser sends, is still refused by its index).
        let ticked = form.all("participants").map { UUID(uuidString: $0) }
        let candidates = try await forms.candidates(named: query, chosen: ticked.compactMap { $0 })
        let refusedIndex = refusal?.index(under: "participants")
        let refusedID = refusedIndex.flatMap { $0 < ticked.count ? ticked[$0] : nil }
        func field(_ name: String) -> FormView.Field { FormView.Field(name: name, value: form[name] ?? "", error: refusal?.about(name)) }
        let stations = try await forms.stations().map { ($0.meta.id.uuidString, $0.body.name) }
        let groups = try await forms.groups().map { ($0.meta.id.uuidString, $0.body.name) }
        let view = ActivityFormView(
            nodeName: nodeName,
            nodeCode: forms.node.rawValue,
            message: FormView.banner(refusal, fields: Self.fields, lists: ["participants"]),
            query: query ?? "",
            kind: FormView.Choice(
                name: "kind",
                options: Activity.Kind.allCases.map { ($0.rawValue, $0.label) },
                chosen: form["kind"],
                error: refusal?.about("kind")
            ),
            title: field("title"),
            on: field("on"),
            halfDays: field("halfDays"),
            regionCode: field("regionCode"),
            station: FormView.Choice(
                name: "stationId",
                options: [("", "（不在站点）")] + stations,
                chosen: form["stationId"] ?? "",
                error: refusal?.about("stationId")
            ),
            group: FormView.Choice(
                name: "groupId",
                options: [("", "（不是小组活动）")] + groups,
                chosen: form["groupId"] ?? "",
                error: refusal?.about("groupId")
            ),
            constituentsMet: field("constituentsMet"),
            summary: field("summary"),
            confirmed: form["confirmed"] == "true",
            confirmedError: refusal?.about("confirmed"),
            participantsError: refusal?.about("participants") ?? refusedIndex.map { _ in refusal?.message ?? "" },
            candidates: candidates.map { deputy in
                FormView.Candidate(
                    deputy,
                    checked: ticked.contains(deputy.meta.id),
                    refusal: deputy.meta.id == refusedID ? refusal.map { (field: $0.field ?? "", message: $0.message) } : nil
                )
            },
            hasCandidates: !candidates.isEmpty
        )
        return DashboardController.html(status, DashboardTemplates.render(.activityForm(view)))
    }
}

/// The activity form as the template shows it.
struct ActivityFormView {
    var nodeName: String
    var nodeCode: String
    var message: String?
    var query: String
    var kind: FormView.Choice
    var title: FormView.Field
    var on: FormView.Field
    var halfDays: FormView.Field
    var regionCode: FormView.Field
    var station: FormView.Choice
    var group: FormView.Choice
    var constituentsMet: FormView.Field
    var summary: FormView.Field
    var confirmed: Bool
    var confirmedError: String?
    var participantsError: String?
    var candidates: [FormView.Candidate]
    var hasCandidates: Bool
}

/// The node's recent activities.
struct ActivityListView {
    struct Row {
        var id: String
        var on: String
        var kind: String
        var title: String
        var participants: String
        var halfDays: Int
        var constituentsMet: Int
        var confirmed: Bool
    }

    var nodeName: String
    var nodeCode: String
    var rows: [Row]
    var hasRows: Bool
}
