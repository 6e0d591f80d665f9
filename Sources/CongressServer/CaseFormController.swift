import CongressCore
import CongressStore
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The staff's pages for cases (SPEC §13, 社情民意 and 代表建议): the node's cases, newest first; a case with its status,
/// its events and one small form per step its state allows now; and the form that registers one met at a reception day
/// or a visit. Every write goes through `CaseService`, the JSON API's path; a refused one shows the page again with the
/// values entered and the reason, answered with the API's status. Reading is for readers (the constituent's contact
/// only for editors, each reading audited, as the API does); writing is for editors.
struct CaseFormController: Sendable {
    let cases: CaseService
    let forms: DutyFormService
    let topology: TopologyInForce

    var reads: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get(use: list)
            .get("{id}", use: show)
    }

    var writes: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("new", use: blank)
            .post(use: register)
            .post("{id}/events", use: record)
    }

    static let pageSize = 50
    static let listParameters = [QueryParameter("page", .integer(1...1000), summary: "the page of the list, 50 cases each (1 by default)")]
    static let parameters = ActivityFormController.parameters

    /// The registration form's fields, in the order a refusal is looked for; `coSigners` repeats, once per deputy ticked.
    static let fields = [
        "kind", "channel", "subject", "content", "category", "regionCode", "registeredOn", "stationId", "wantsMeeting", "complex",
        "leadDeputy", "constituent.name", "constituent.phone",
    ]
    /// Channels staff register through; `qr` is the public contact pages' own.
    static let channels = Case.Channel.allCases.filter { $0 != .qr }

    // MARK: Reading

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let page = try request.query(accepting: Self.listParameters).integer("page") ?? 1
        let found = try await cases.recent(limit: Self.pageSize + 1, offset: (page - 1) * Self.pageSize)
        let rows = found.prefix(Self.pageSize).map { shown in
            let record = shown.record
            return CaseListView.Row(
                id: record.meta.id.uuidString,
                registeredOn: record.body.registeredOn.map { "\($0)" } ?? "—",
                kind: record.body.kind.label,
                channel: record.body.channel.label,
                subject: record.body.subject ?? "（内容留在登记节点 \(nodeName(record.meta.origin))）",
                state: shown.status.state.label,
                handler: nodeName(shown.status.handler),
                dueOn: shown.status.dueOn.map { "\($0)" } ?? "—",
                overdue: shown.status.overdue
            )
        }
        let view = CaseListView(
            nodeName: nodeName(cases.node),
            nodeCode: cases.node.rawValue,
            rows: rows,
            hasRows: !rows.isEmpty,
            previous: page > 1 ? "/cases?page=\(page - 1)" : nil,
            next: found.count > Self.pageSize ? "/cases?page=\(page + 1)" : nil
        )
        return DashboardController.html(.ok, DashboardTemplates.render(.caseList(view)))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try request.query(accepting: [])
        return try await casePage(.ok, id: try context.recordID(), context: context, posted: nil)
    }

    // MARK: Registering

    @Sendable func blank(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = try request.query(accepting: Self.parameters)
        let defaults = FormBody("kind=opinion&channel=reception&regionCode=\(cases.node.rawValue)&registeredOn=\(Activity.today())")
        return try await registrationPage(.ok, form: defaults, query: query.text("q"), refusal: nil)
    }

    @Sendable func register(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await FormBody.collect(request)
        do {
            let (input, constituent) = try Self.registration(form)
            let shown = try await cases.register(input, constituent: constituent, confinedTo: context.confinedTo)
            let id = shown.record.meta.id
            context.logger.info("registered case", metadata: ["id": "\(id)"])
            return FormView.done("/cases/\(id)", record: "/v1/cases/\(id)")
        } catch {
            guard var refusal = FormView.Refusal(error) else { throw error }
            // The contact's own check names its fields as the API's `constituent` object has them.
            if let field = refusal.field, ["name", "phone"].contains(field) { refusal.field = "constituent." + field }
            return try await registrationPage(refusal.status, form: form, query: nil, refusal: refusal)
        }
    }

    /// What the registration form sent, as the API's input: the receiving (opinion) or lead (suggestion) deputy first,
    /// then the co-signers; the constituent's name and phone for `CaseService.register`, which seals them.
    static func registration(_ form: FormBody) throws(InputError) -> (RecordInput<Case>, (name: String?, phone: String?)?) {
        let kind = try form.choice("kind", CaseKind.self)
        let channel = try form.choice("channel", Case.Channel.self)
        guard channels.contains(channel) else {
            throw InputError(field: "channel", message: "choose one of \(channels.map(\.rawValue).joined(separator: ", "))")
        }
        var deputies: [UUID] = []
        if let lead = try form.id("leadDeputy") { deputies.append(lead) }
        for (index, text) in form.all("coSigners").enumerated() {
            guard !deputies.isEmpty else { throw InputError(field: "leadDeputy", message: "choose the lead deputy before the co-signers") }
            guard let id = UUID(uuidString: text) else { throw InputError(field: "deputyIds[\(index + 1)]", message: "'\(text)' is not a deputy id") }
            deputies.append(id)
        }
        let wantsMeeting = form["wantsMeeting"] == "true"
        let complex = form["complex"] == "true"
        let body = Case(
            kind: kind,
            channel: channel,
            subject: form["subject"] ?? "",
            content: form["content"] ?? "",
            category: form.filled("category"),
            deputyIds: deputies,
            stationId: try form.id("stationId"),
            // Left out where the kind has no such question; a box ticked for the other kind is refused by the case.
            wantsMeeting: kind == .opinion || wantsMeeting ? wantsMeeting : nil,
            complex: kind == .suggestion || complex ? complex : nil,
            registeredOn: try Self.ifFilled(form, "registeredOn", form.date)
        )
        let name = form.filled("constituent.name")
        let phone = form.filled("constituent.phone")
        return (RecordInput(regionCode: try form.region("regionCode"), body: body), name == nil && phone == nil ? nil : (name, phone))
    }

    // MARK: Events

    /// One step of the case, from its small form; refused, the case page again with the reason and what was typed.
    @Sendable func record(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.recordID()
        let form = try await FormBody.collect(request)
        // A case that is not here has no page to show again.
        _ = try await cases.get(id)
        do {
            _ = try await cases.record(try Self.event(form, on: id), on: id, confinedTo: context.confinedTo)
            return FormView.done("/cases/\(id)", record: "/v1/cases/\(id)/events")
        } catch {
            guard let refusal = FormView.Refusal(error) else { throw error }
            var response = try await casePage(refusal.status, id: id, context: context, posted: (form, refusal))
            response.headers[.contentLocation] = "/v1/cases/\(id)/events"
            return response
        }
    }

    /// What an event's form sent: the lead unit (主办) and the co-units (会办, one a line or separated by commas); every
    /// value is read whatever the action, so that a malformed one is refused rather than dropped.
    static func event(_ form: FormBody, on id: UUID) throws(InputError) -> CaseEvent {
        let action = try form.choice("action", CaseAction.self)
        let coUnits = (form["coUnits"] ?? "").split { $0.isNewline || ",，、;；".contains($0) }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let lead = form.filled("leadUnit")
        if lead == nil, !coUnits.isEmpty { throw InputError(field: "leadUnit", message: "name the lead unit (主办) before the co-units") }
        return CaseEvent(
            caseId: id,
            action: action,
            units: lead.map { [$0] + coUnits },
            to: try ifFilled(form, "to", form.region),
            text: form.filled("text"),
            grade: try ifFilled(form, "grade") { name throws(InputError) in try form.choice(name, SuggestionGrade.self) },
            satisfaction: try ifFilled(form, "satisfaction") { name throws(InputError) in try form.choice(name, Satisfaction.self) },
            on: try ifFilled(form, "on", form.date)
        )
    }

    /// An optional field: nil when left empty, else what `read` makes of it.
    private static func ifFilled<Value>(
        _ form: FormBody,
        _ name: String,
        _ read: (String) throws(InputError) -> Value
    ) throws(InputError) -> Value? {
        guard form.filled(name) != nil else { return nil }
        return try read(name)
    }

    // MARK: Pages

    private func nodeName(_ code: RegionCode) -> String { topology.topology.node(code)?.name ?? code.rawValue }

    /// The case with its status and events, and, for an editor, a form for each step the workflow allows this node
    /// now; `posted` is a refused step: its form keeps what was typed and shows why beside the field.
    private func casePage(
        _ status: HTTPResponse.Status,
        id: UUID,
        context: AppRequestContext,
        posted: (form: FormBody, refusal: FormView.Refusal)?
    ) async throws -> Response {
        // The page middleware lets those who write see the contact, as the API's token check does (SPEC §14).
        let editor = context.seesPersonKeys
        let shown: CaseService.Shown
        if editor {
            shown = try await cases.getWithContact(id, readBy: context.actor ?? "anonymous", address: context.address)
        } else {
            shown = try await cases.get(id)
        }
        let events = try await cases.events(of: id)
        let record = shown.record
        let names = try await forms.deputyNames(record.body.deputyIds)
        var station: String?
        if let stationId = record.body.stationId {
            station = try await forms.stations().first { $0.meta.id == stationId }?.body.name ?? stationId.uuidString
        }
        let parent = topology.topology.upstream(of: cases.node)?.code
        let workflow = record.body.workflow(origin: record.meta.origin, deadlines: cases.deadlines)
        let actions = editor ? workflow.nextActions(at: cases.node, parent: parent, after: shown.status, today: Activity.today()) : []
        let refusal = posted?.refusal
        let postedAction = posted?.form["action"]
        let view = CasePageView(
            nodeName: nodeName(cases.node),
            nodeCode: cases.node.rawValue,
            id: record.meta.id.uuidString,
            message: FormView.banner(refusal, fields: [], lists: []),
            subject: record.body.subject,
            content: record.body.content,
            origin: nodeName(record.meta.origin),
            facts: Self.facts(of: shown, deputies: names, station: station, nodeName: nodeName),
            constituent: shown.constituent.map { CasePageView.Constituent(name: $0.name ?? "（未留姓名）", phone: $0.phone ?? "（未留电话）") },
            events: events.map { Self.eventRow($0, nodeName: nodeName) },
            hasEvents: !events.isEmpty,
            actions: actions.map { action in
                let mine = postedAction == action.rawValue ? posted : nil
                return ActionForm(
                    action,
                    kind: record.body.kind,
                    parent: parent.map { ($0.rawValue, nodeName($0)) },
                    form: mine?.form,
                    refusal: mine?.refusal
                )
            },
            editor: editor,
            hasActions: !actions.isEmpty
        )
        return DashboardController.html(status, DashboardTemplates.render(.casePage(view)))
    }

    /// The case's registration and every status field, as the page lists them.
    private static func facts(
        of shown: CaseService.Shown,
        deputies names: [UUID: String],
        station: String?,
        nodeName: (RegionCode) -> String
    ) -> [CasePageView.Fact] {
        let (body, status) = (shown.record.body, shown.status)
        let deputies = body.deputyIds.map { names[$0] ?? $0.uuidString }
        var facts: [(String, String?)] = [
            ("类型", body.kind.label), ("渠道", body.channel.label), ("类别", body.category),
            ("登记日期", body.registeredOn.map { "\($0)" }), ("登记节点", nodeName(shown.record.meta.origin)),
            ("所在区划", shown.record.meta.regionCode.rawValue),
        ]
        switch body.kind {
        case .opinion:
            facts += [("接待代表", deputies.first), ("希望面谈", body.wantsMeeting == true ? "是" : "否")]
        case .suggestion:
            facts += [
                ("领衔代表", deputies.first), ("附议代表", deputies.count > 1 ? deputies.dropFirst().joined(separator: "、") : nil),
                ("涉及面广、难度大", body.complex == true ? "是（六个月内办结）" : "否"),
            ]
        }
        facts += [
            ("站点", station),
            ("状态", status.state.label + (status.closedAs.map { "（\($0.label)）" } ?? "")),
            ("承办节点", nodeName(status.handler)),
            ("承办单位（主办）", status.units.first), ("会办单位", status.units.count > 1 ? status.units.dropFirst().joined(separator: "、") : nil),
            ("办理期限", status.dueOn.map { "\($0)" }), ("逾期", status.overdue ? "已逾期" : "否"),
            ("督办", status.supervised ? "已督办" : "否"), ("面商", status.consultedOn.map { "\($0)" }),
            ("转交上级", status.transferredTo.map(nodeName)), ("答复日期", status.repliedOn.map { "\($0)" }),
            ("办理结果", status.grade?.label), ("满意度", status.satisfaction?.label), ("办结日期", status.closedOn.map { "\($0)" }),
        ]
        return facts.map { CasePageView.Fact(label: $0.0, value: $0.1 ?? "—", late: $0.0 == "逾期" && status.overdue) }
    }

    /// An event as the page lists it; a transfer's copy of the case's text is the case's own, shown above.
    private static func eventRow(_ event: Record<CaseEvent>, nodeName: (RegionCode) -> String) -> CasePageView.Event {
        let body = event.body
        var details: [String] = []
        if let lead = body.units?.first { details.append("主办：\(lead)") }
        if let co = body.units?.dropFirst(), !co.isEmpty { details.append("会办：\(co.joined(separator: "、"))") }
        if let to = body.to { details.append("转交：\(nodeName(to))") }
        if let grade = body.grade { details.append("办理结果：\(grade.label)") }
        if let satisfaction = body.satisfaction { details.append("满意度：\(satisfaction.label)") }
        return CasePageView.Event(
            on: body.on.map { "\($0)" } ?? "—",
            action: body.action.rawValue,
            label: body.action.label,
            node: nodeName(event.meta.origin),
            detail: details.isEmpty ? nil : details.joined(separator: "；"),
            text: body.action == .transfer ? nil : body.text
        )
    }

    /// The registration form with `form`'s values (what was typed, or the defaults), and `refusal` beside its field.
    private func registrationPage(_ status: HTTPResponse.Status, form: FormBody, query: String?, refusal: FormView.Refusal?) async throws -> Response
    {
        let lead = form.filled("leadDeputy").flatMap { UUID(uuidString: $0) }
        let coSigners = form.all("coSigners").map { UUID(uuidString: $0) }
        let candidates = try await forms.candidates(named: query, chosen: ([lead] + coSigners).compactMap { $0 })
        // `deputyIds[N]` of a refusal: the lead is 0, the co-signers follow.
        let refusedIndex = refusal?.index(under: "deputyIds")
        let refusedCoSigner = refusedIndex.flatMap { $0 >= 1 && $0 <= coSigners.count ? coSigners[$0 - 1] : nil }
        func field(_ name: String) -> FormView.Field { FormView.Field(name: name, value: form[name] ?? "", error: refusal?.about(name)) }
        func choice(_ name: String, _ options: [(String, String)]) -> FormView.Choice {
            FormView.Choice(name: name, options: options, chosen: form[name], error: refusal?.about(name))
        }
        let stations = try await forms.stations().map { ($0.meta.id.uuidString, $0.body.name) }
        let deputyOptions = candidates.map { ($0.meta.id.uuidString, "\($0.body.name)（\($0.body.level.label)级代表 · \($0.meta.regionCode)）") }
        var leadChoice = choice("leadDeputy", [("", "（无）")] + deputyOptions)
        leadChoice.error = refusal?.about("leadDeputy") ?? refusal?.about("deputyIds") ?? (refusedIndex == 0 ? refusal?.message : nil)
        let view = CaseFormView(
            nodeName: nodeName(cases.node),
            nodeCode: cases.node.rawValue,
            message: FormView.banner(refusal, fields: Self.fields, lists: ["deputyIds"]),
            query: query ?? "",
            kind: choice("kind", CaseKind.allCases.map { ($0.rawValue, $0.label) }),
            channel: choice("channel", Self.channels.map { ($0.rawValue, $0.label) }),
            subject: field("subject"),
            content: field("content"),
            category: field("category"),
            regionCode: field("regionCode"),
            registeredOn: field("registeredOn"),
            station: choice("stationId", [("", "（不在站点）")] + stations),
            wantsMeeting: form["wantsMeeting"] == "true",
            wantsMeetingError: refusal?.about("wantsMeeting"),
            complex: form["complex"] == "true",
            complexError: refusal?.about("complex"),
            lead: leadChoice,
            coSigners: candidates.map { deputy in
                FormView.Candidate(
                    deputy,
                    checked: coSigners.contains(deputy.meta.id),
                    refusal: deputy.meta.id == refusedCoSigner ? refusal.map { (field: $0.field ?? "", message: $0.message) } : nil
                )
            },
            hasCandidates: !candidates.isEmpty,
            constituentName: field("constituent.name"),
            constituentPhone: field("constituent.phone")
        )
        return DashboardController.html(status, DashboardTemplates.render(.caseForm(view)))
    }
}

/// One step's small form on the case page: only the fields its action takes (nil for the others).
struct ActionForm {
    var action: String
    var label: String
    var leadUnit: FormView.Field?
    var coUnits: FormView.Field?
    var text: FormView.Field?
    var grade: FormView.Choice?
    var satisfaction: FormView.Choice?
    var to: FormView.Choice?
    var on: FormView.Field?
    /// A refusal of this form that names no field it shows (`error` is the fields' own).
    var refusal: String?

    init(_ action: CaseAction, kind: CaseKind, parent: (code: String, name: String)?, form: FormBody?, refusal: FormView.Refusal?) {
        self.action = action.rawValue
        label = action.label
        func field(_ name: String, _ value: String = "") -> FormView.Field {
            FormView.Field(name: name, value: form?[name] ?? value, error: refusal?.about(name))
        }
        func choice(_ name: String, _ options: [(String, String)]) -> FormView.Choice {
            FormView.Choice(name: name, options: options, chosen: form?[name], error: refusal?.about(name))
        }
        switch action {
        case .assign:
            leadUnit = field("leadUnit")
            leadUnit?.error = refusal?.about("leadUnit") ?? refusal?.about("units") ?? refusal?.about("units[0]")
            coUnits = field("coUnits")
            coUnits?.error = refusal?.index(under: "units").flatMap { $0 > 0 ? refusal?.message : nil }
        case .reply, .answerOnSpot, .explain:
            text = field("text")
            if action == .reply, kind == .suggestion { grade = choice("grade", SuggestionGrade.allCases.map { ($0.rawValue, $0.label) }) }
        case .feedback:
            satisfaction = choice("satisfaction", Satisfaction.allCases.map { ($0.rawValue, $0.label) })
        case .transfer:
            // Up one node at a time (SPEC §13): the parent is the one choice.
            to = choice("to", parent.map { [($0.code, "\($0.name)（\($0.code)）")] } ?? [])
        case .consult:
            on = field("on", "\(Activity.today())")
        case .supervise, .reopen, .close:
            break
        }
        let shown = [leadUnit?.error, coUnits?.error, text?.error, grade?.error, satisfaction?.error, to?.error, on?.error].contains { $0 != nil }
        self.refusal = shown ? nil : refusal?.message
    }
}

/// The case page as the template shows it.
struct CasePageView {
    struct Fact {
        var label: String
        var value: String
        var late: Bool
    }

    struct Event {
        var on: String
        var action: String
        var label: String
        var node: String
        var detail: String?
        var text: String?
    }

    struct Constituent {
        var name: String
        var phone: String
    }

    var nodeName: String
    var nodeCode: String
    var id: String
    var message: String?
    var subject: String?
    var content: String?
    var origin: String
    var facts: [Fact]
    var constituent: Constituent?
    var events: [Event]
    var hasEvents: Bool
    var actions: [ActionForm]
    var editor: Bool
    var hasActions: Bool
}

/// The registration form as the template shows it.
struct CaseFormView {
    var nodeName: String
    var nodeCode: String
    var message: String?
    var query: String
    var kind: FormView.Choice
    var channel: FormView.Choice
    var subject: FormView.Field
    var content: FormView.Field
    var category: FormView.Field
    var regionCode: FormView.Field
    var registeredOn: FormView.Field
    var station: FormView.Choice
    var wantsMeeting: Bool
    var wantsMeetingError: String?
    var complex: Bool
    var complexError: String?
    var lead: FormView.Choice
    var coSigners: [FormView.Candidate]
    var hasCandidates: Bool
    var constituentName: FormView.Field
    var constituentPhone: FormView.Field
}

/// The cases held here, a page of them.
struct CaseListView {
    struct Row {
        var id: String
        var registeredOn: String
        var kind: String
        var channel: String
        var subject: String
        var state: String
        var handler: String
        var dueOn: String
        var overdue: Bool
    }

    var nodeName: String
    var nodeCode: String
    var rows: [Row]
    var hasRows: Bool
    var previous: String?
    var next: String?
}
