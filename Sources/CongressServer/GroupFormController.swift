import CongressCore
import CongressStore
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The staff's pages for deputy groups (SPEC §12, 代表小组): the node's groups, and the form that creates one or edits
/// it, each deputy offered with a role (组长, 副组长, 联络员, 组员). Writes go through `RecordService` as the JSON API's
/// do; a refused one shows the form again with the values entered and the reason beside the field. Mounted behind
/// `PageAccessMiddleware` (editors) and the audit.
struct GroupFormController: Sendable {
    let forms: DutyFormService
    let topology: TopologyInForce

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get(use: list)
            .get("new", use: blank)
            .post(use: create)
            .get("{id}", use: edit)
            .post("{id}", use: replace)
    }

    static let parameters = ActivityFormController.parameters

    static let fields = ["name", "kind", "congressCode", "regionCode", "version"]
    /// A member's role is sent as `role.DEPUTY-ID`; none for a deputy not in the group.
    static let rolePrefix = "role."

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let groups = try await forms.groups()
        let names = try await forms.deputyNames(groups.flatMap { $0.body.members.map(\.deputyId) })
        let rows = groups.map { record in
            let group = record.body
            let leader = group.members.first { $0.role == .leader }.map { names[$0.deputyId] ?? "?" }
            return GroupListView.Row(
                id: record.meta.id.uuidString,
                name: group.name,
                kind: group.kind.label,
                congress: group.congressCode.rawValue,
                leader: leader ?? "—",
                members: group.members.count,
                own: record.meta.origin == forms.node
            )
        }
        let view = GroupListView(nodeName: nodeName, nodeCode: forms.node.rawValue, rows: rows, hasRows: !rows.isEmpty)
        return DashboardController.html(.ok, DashboardTemplates.render(.groupList(view)))
    }

    @Sendable func blank(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = try request.query(accepting: Self.parameters)
        let defaults = FormBody("kind=geographic&congressCode=\(forms.node.rawValue)&regionCode=\(forms.node.rawValue)")
        return try await page(.ok, form: defaults, id: nil, query: query.text("q"), refusal: nil)
    }

    @Sendable func edit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = try request.query(accepting: Self.parameters)
        let record = try await forms.group(try context.recordID())
        return try await page(.ok, form: Self.form(of: record), id: record.meta.id, query: query.text("q"), refusal: nil)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await FormBody.collect(request)
        do {
            let record = try await forms.records.create(try Self.input(form, id: nil), confinedTo: context.confinedTo)
            return FormView.done("/groups", record: "/v1/groups/\(record.meta.id)")
        } catch {
            guard let refusal = FormView.Refusal(error) else { throw error }
            return try await page(refusal.status, form: form, id: nil, query: nil, refusal: refusal)
        }
    }

    @Sendable func replace(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.recordID()
        let form = try await FormBody.collect(request)
        do {
            let record = try await forms.records.replace(try Self.input(form, id: id), id: id, confinedTo: context.confinedTo)
            return FormView.done("/groups", record: "/v1/groups/\(record.meta.id)")
        } catch {
            // A group that is not there has no form to show again.
            guard let refusal = FormView.Refusal(error), refusal.status != .notFound else { throw error }
            var response = try await page(refusal.status, form: form, id: id, query: nil, refusal: refusal)
            response.headers[.contentLocation] = "/v1/groups/\(id)"
            return response
        }
    }

    /// What the form sent, as the API's input (the version read, so that an edit in between is refused with 409).
    static func input(_ form: FormBody, id: UUID?) throws(InputError) -> RecordInput<DeputyGroup> {
        var members: [DeputyGroup.Member] = []
        for (name, value) in form.pairs where name.hasPrefix(rolePrefix) && !value.isEmpty {
            let field = "members[\(members.count)]"
            guard let deputy = UUID(uuidString: String(name.dropFirst(rolePrefix.count))) else {
                throw InputError(field: field + ".deputyId", message: "'\(name)' names no deputy id")
            }
            guard let role = DeputyGroup.Member.Role(rawValue: value) else {
                throw InputError(
                    field: field + ".role",
                    message: "choose one of \(DeputyGroup.Member.Role.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            members.append(DeputyGroup.Member(deputyId: deputy, role: role))
        }
        let body = DeputyGroup(
            name: form["name"] ?? "",
            kind: try form.choice("kind", DeputyGroup.Kind.self),
            congressCode: try form.region("congressCode"),
            members: members
        )
        var version: Int64?
        if id != nil, let text = form.filled("version") {
            guard let number = Int64(text), RecordInput<DeputyGroup>.versions.contains(number) else {
                throw InputError(field: "version", message: "'\(text)' is not a version this node gave")
            }
            version = number
        }
        return RecordInput(id: id, version: version, regionCode: try form.region("regionCode"), body: body)
    }

    /// A stored group as its form's fields.
    static func form(of record: Record<DeputyGroup>) -> FormBody {
        var form = FormBody("")
        let group = record.body
        form.pairs = [
            ("name", group.name), ("kind", group.kind.rawValue), ("congressCode", group.congressCode.rawValue),
            ("regionCode", record.meta.regionCode.rawValue), ("version", "\(record.meta.version)"),
        ]
        form.pairs += group.members.map { (name: rolePrefix + $0.deputyId.uuidString, value: $0.role.rawValue) }
        return form
    }

    private var nodeName: String { topology.topology.node(forms.node)?.name ?? forms.node.rawValue }

    private func page(_ status: HTTPResponse.Status, form: FormBody, id: UUID?, query: String?, refusal: FormView.Refusal?) async throws -> Response {
        // The deputies given a role, in the form's order: `members[N]` of a refusal is the Nth of them.
        let roles = form.pairs.filter { $0.name.hasPrefix(Self.rolePrefix) && !$0.value.isEmpty }
            .map { (id: UUID(uuidString: String($0.name.dropFirst(Self.rolePrefix.count))), role: $0.value) }
        let candidates = try await forms.candidates(named: query, chosen: roles.compactMap(\.id))
        let refusedIndex = refusal?.index(under: "members")
        let refusedID = refusedIndex.flatMap { $0 < roles.count ? roles[$0].id : nil }
        func field(_ name: String) -> FormView.Field { FormView.Field(name: name, value: form[name] ?? "", error: refusal?.about(name)) }
        let view = GroupFormView(
            nodeName: nodeName,
            nodeCode: forms.node.rawValue,
            action: id.map { "/groups/\($0.uuidString)" } ?? "/groups",
            editing: id != nil,
            message: FormView.banner(refusal, fields: Self.fields, lists: ["members"]),
            query: query ?? "",
            name: field("name"),
            kind: FormView.Choice(
                name: "kind",
                options: DeputyGroup.Kind.allCases.map { ($0.rawValue, $0.label) },
                chosen: form["kind"],
                error: refusal?.about("kind")
            ),
            congressCode: field("congressCode"),
            regionCode: field("regionCode"),
            version: field("version"),
            membersError: refusal?.about("members") ?? refusedIndex.map { _ in refusal?.message ?? "" },
            candidates: candidates.map { deputy in
                FormView.Candidate(
                    deputy,
                    role: roles.first { $0.id == deputy.meta.id }?.role,
                    refusal: deputy.meta.id == refusedID ? refusal.map { (field: $0.field ?? "", message: $0.message) } : nil
                )
            },
            hasCandidates: !candidates.isEmpty
        )
        return DashboardController.html(status, DashboardTemplates.render(.groupForm(view)))
    }
}

/// The group form as the template shows it.
struct GroupFormView {
    var nodeName: String
    var nodeCode: String
    var action: String
    var editing: Bool
    var message: String?
    var query: String
    var name: FormView.Field
    var kind: FormView.Choice
    var congressCode: FormView.Field
    var regionCode: FormView.Field
    var version: FormView.Field
    var membersError: String?
    var candidates: [FormView.Candidate]
    var hasCandidates: Bool
}

/// The node's groups.
struct GroupListView {
    struct Row {
        var id: String
        var name: String
        var kind: String
        var congress: String
        var leader: String
        var members: Int
        /// Recorded here: editable. A group of a child node is read-only here.
        var own: Bool
    }

    var nodeName: String
    var nodeCode: String
    var rows: [Row]
    var hasRows: Bool
}
