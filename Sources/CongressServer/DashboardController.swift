import CongressCore
import CongressStore
import CongressSync
import Hummingbird
import Mustache

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `GET /`: the HTML dashboard (SPEC §10) — the coverage tree with ratio bars and case figures, the overdue and supervised
/// cases (SPEC §13), stale nodes, sync health per edge and the trainings under way, rendered on the server in Chinese. A person signs in with name, password and (once enrolled) a
/// TOTP code (`POST /`, SPEC §14); a machine token (`?token=`) still works. Either becomes an HttpOnly cookie.
struct DashboardController: Sendable {
    let coverage: CoverageService
    let sync: SyncService
    let store: CoverageStore
    let cases: CaseService
    let topology: TopologyInForce
    let accounts: AccountService

    static let cookie = "congress_token"
    /// A city sees its counties and townships at once.
    static let defaultDepth = 2
    /// The overdue and supervised cases listed, at most.
    static let attentionLimit = 50

    /// The dashboard: mounted behind `PageAccessMiddleware` for readers (a sign-in page rather than a JSON 401).
    var page: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self).get(use: dashboardPage)
    }

    /// The sign-in form's target: open to anyone.
    var signInForm: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self).post(use: signIn)
    }

    /// The sign-in form's fields.
    static let formFields = ["name", "password", "code"]

    /// The dashboard takes the coverage query's parameters, and `token` once.
    static let parameters =
        CoverageQuery.parameters + [QueryParameter("token", .token(maxLength: 200), summary: "a read or admin token, kept as a cookie")]

    @Sendable func dashboardPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await dashboard(request)
    }

    /// A page opened with `?token=`: the same page again without it, the token kept as a cookie from now on (out of the
    /// address bar, history and logs); nil without one.
    static func tokenToCookie(_ request: Request, accounts: AccountService) async throws -> Response? {
        let parameters = request.queryPairs
        guard let token = parameters.first(where: { $0.0 == "token" })?.1 else { return nil }
        guard try await accounts.principal(for: token)?.grants.contains(.read) == true else {
            return Self.html(.unauthorized, DashboardTemplates.render(.signIn(message: "令牌无效，请检查后重新输入。")))
        }
        let location = Self.location(request.uri.path, parameters.filter { $0.0 != "token" })
        var response = Response(status: .seeOther, headers: [.location: location])
        response.setCookie(try Cookie.validated(name: Self.cookie, value: token, path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    /// `POST /`: the sign-in form (name, password, code). Signed in, the answer is the dashboard itself, with the session
    /// as a cookie; refused, the form again with why.
    @Sendable func signIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 16 * 1024)
        let fields = Self.formFields(String(buffer: body))
        let (name, password) = (fields["name"] ?? "", fields["password"] ?? "")
        let code = fields["code"].flatMap { $0.isEmpty ? nil : $0 }
        do {
            let session = try await accounts.signIn(name: name, password: password, code: code, address: context.address)
            if let step = session.pending.first {
                return Self.html(.forbidden, DashboardTemplates.render(.signIn(message: Self.pendingMessage(step))))
            }
            var response = try await dashboard(request)
            response.setCookie(try Cookie.validated(name: Self.cookie, value: session.token, path: "/", httpOnly: true, sameSite: .strict))
            return response
        } catch let refusal as APIError {
            let message =
                switch refusal.status {
                case .tooManyRequests: "连续 5 次登录失败，账号已锁定 15 分钟。"
                case .unauthorized where refusal.code == "code_required": "请输入动态口令（TOTP）。"
                default: "用户名、密码或动态口令不正确。"
                }
            return Self.html(refusal.status, DashboardTemplates.render(.signIn(message: message)))
        } catch let error as InputError {
            return Self.html(.unprocessableContent, DashboardTemplates.render(.signIn(message: "输入有误：\(error.message)")))
        }
    }

    static func pendingMessage(_ step: String) -> String {
        step == "password" ? "请先修改初始密码（POST /v1/account/password）。" : "管理员须先绑定动态口令（TOTP）再使用。"
    }

    /// The sign-in form's fields, each once.
    static func formFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in FormBody(text).pairs where formFields.contains(name) && fields[name] == nil { fields[name] = value }
        return fields
    }

    private func dashboard(_ request: Request) async throws -> Response {
        let parameters = request.method == .get ? request.queryPairs : []
        do {
            var query = CoverageQuery(try request.query(accepting: Self.parameters))
            if !parameters.contains(where: { $0.0 == "depth" }) { query.depth = Self.defaultDepth }
            return Self.html(.ok, DashboardTemplates.render(.dashboard(try await view(query))))
        } catch {
            guard let failure = APIError(translating: error) else { throw error }
            return Self.html(failure.status, DashboardTemplates.render(.failure(status: Int(failure.status.code), message: failure.message)))
        }
    }

    private static func location(_ path: String, _ parameters: [(String, String)]) -> String {
        let kept = parameters.compactMap { name, value in
            value.addingPercentEncoding(withAllowedCharacters: .alphanumerics).map { "\(name)=\($0)" }
        }
        return kept.isEmpty ? path : path + "?" + kept.joined(separator: "&")
    }

    static func html(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    private func view(_ query: CoverageQuery) async throws -> DashboardView {
        let now = Date()
        let current = topology.topology
        let zone = current.defaultSync.timezone
        let report = try await coverage.report(query)
        let status = try await sync.status(now: now)
        let today = CalendarDate(now, timeZone: zone)
        let trainings = try await store.trainingsUnderWay(today: today, limit: 20)
        let attention = try await cases.needingAttention(under: RegionCode(report.region) ?? coverage.node, limit: Self.attentionLimit)
        let node = current.node(coverage.node)
        let names = Dictionary(uniqueKeysWithValues: current.allNodes.map { ($0.code.rawValue, $0.name) })
        func time(_ timestamp: Timestamp?) -> String { timestamp.map { DashboardView.localTime($0.date, timeZone: zone) } ?? "—" }

        let rows = report.items.map { item in
            let freshness = item.freshness
            let seats = item.deputies.seats.values.reduce(0, +)
            let staleNames = freshness.stale.map { names[$0] ?? $0 }.joined(separator: "、")
            let state: String =
                if freshness.nodes == 0 { "本节点录入" } else if freshness.partial { "过期：\(staleNames)" } else { "正常" }
            return DashboardView.Row(
                code: item.code,
                name: item.name,
                level: Level(rawValue: item.level)?.label ?? item.level,
                indent: 8 + item.depth * 18,
                link: "/?region=\(item.code)",
                stale: freshness.partial,
                own: freshness.nodes == 0,
                state: state,
                lastSync: freshness.nodes == 0 ? "" : freshness.oldestSync.map { "最后同步 " + time($0) } ?? "从未同步",
                stations: "\(item.stations.active) / \(item.stations.total)",
                units: .init(item.units.ratio, "\(item.units.covered)/\(item.units.total)"),
                townships: .init(item.townships.ratio, "\(item.townships.withStation)/\(item.townships.total)"),
                seats: seats,
                persons: item.deputies.persons,
                assigned: .init(item.deputies.assignedRatio, "\(item.deputies.assigned)/\(seats)"),
                standards: .init(item.standards.ratio, "\(item.standards.met)/\(item.stations.active)"),
                training: .init(item.training.ratio, "\(item.training.trained)/\(item.training.persons)"),
                duty: .init(item.activities, seats: seats),
                cases: .init(item.cases)
            )
        }
        let caseRows = attention.items.map {
            DashboardView.CaseRow($0, regionName: names[$0.record.meta.regionCode.rawValue], today: Activity.today())
        }
        let parent = status.parent.map { edge in
            DashboardView.ParentEdge(
                name: names[edge.code] ?? edge.code,
                code: edge.code,
                schedule: edge.schedule,
                lastSuccess: time(edge.lastSuccessAt),
                nextRun: time(edge.nextRunAt),
                pending: edge.pending,
                error: edge.lastError,
                heldBack: edge.heldBack.isEmpty ? nil : edge.heldBack.values.reduce(0, +)
            )
        }
        let children = status.children.map { child in
            DashboardView.ChildEdge(
                name: child.name,
                code: child.code,
                schedule: child.schedule,
                lastBatch: time(child.lastBatchAt),
                checkpoint: child.checkpoint,
                changes: child.changes,
                stale: child.stale,
                runs: child.schemaVersion.map { "\(child.release ?? "一期") · 结构 v\($0) · 拓扑 \(child.topologyHash?.prefix(8) ?? "—")" } ?? "尚未推送",
                lags: child.lags.map(\.label).joined(separator: "、"),
                lagging: !child.lags.isEmpty
            )
        }
        let trainingRows = trainings.map { entry in
            let training = entry.record.body
            let branches = training.venues.count { $0.kind == .branch }
            return DashboardView.TrainingRow(
                title: training.title,
                organizer: training.organizer.map { names[$0.rawValue] ?? $0.rawValue } ?? "—",
                dates: training.startsOn == training.endsOn ? "\(training.startsOn)" : "\(training.startsOn) 至 \(training.endsOn)",
                mode: DashboardView.modeLabels[training.mode] ?? training.mode.rawValue,
                venues: "1 个主会场 + \(branches) 个分会场",
                signedIn: entry.signedIn,
                underWay: training.startsOn <= today
            )
        }
        let staleCount = Set(report.items.flatMap(\.freshness.stale)).count
        return DashboardView(
            nodeName: node?.name ?? coverage.node.rawValue,
            nodeCode: coverage.node.rawValue,
            regionName: names[report.region] ?? report.region,
            generatedAt: time(report.generatedAt),
            depth: query.depth,
            rows: rows,
            activityYear: report.items.first?.activities.year ?? Activity.today().year,
            staleCount: staleCount,
            parent: parent,
            children: children,
            trainings: trainingRows,
            attention: caseRows,
            attentionTotal: attention.total,
            attentionShown: caseRows.count,
            attentionMore: attention.total > caseRows.count,
            hasAttention: !caseRows.isEmpty,
            hasStale: staleCount > 0,
            hasChildren: !children.isEmpty,
            hasTrainings: !trainingRows.isEmpty
        )
    }
}

/// What the dashboard template shows, already in words and percentages.
struct DashboardView {
    struct Bar {
        var known: Bool
        var percent: String
        var width: String
        var tone: String
        var detail: String

        init(_ ratio: Ratio, _ detail: String) {
            let value = ratio.value ?? 0
            known = ratio.value != nil
            let tenths = (value * 1000).rounded() / 10
            percent = known ? "\(tenths)%" : "—"
            width = "\(tenths)"
            tone = value >= 0.8 ? "good" : value >= 0.5 ? "fair" : "poor"
            self.detail = detail
        }
    }

    struct Row {
        var code: String
        var name: String
        var level: String
        var indent: Int
        var link: String
        var stale: Bool
        /// Written at this node: nothing to be late.
        var own: Bool
        var state: String
        var lastSync: String
        var stations: String
        var units: Bar
        var townships: Bar
        var seats: Int
        var persons: Int
        var assigned: Bar
        var standards: Bar
        var training: Bar
        var duty: Duty
        var cases: CaseFigures
    }

    /// A region's cases registered this year (SPEC §13): counts, and 办结率, 满意率 and 面商率 as bars.
    struct CaseFigures {
        var opinions: Int
        var suggestions: Int
        var closed: Bar
        var due: Int
        var overdue: Int
        var hasOverdue: Bool
        var satisfied: Bar
        var consulted: Bar
        var transferred: Int

        init(_ cases: CoverageItem.Cases) {
            opinions = cases.byKind[CaseKind.opinion.rawValue] ?? 0
            suggestions = cases.byKind[CaseKind.suggestion.rawValue] ?? 0
            closed = Bar(cases.closedRatio, "\(cases.closed)/\(opinions + suggestions) 件办结")
            due = cases.due
            overdue = cases.overdue
            hasOverdue = cases.overdue > 0
            satisfied = Bar(cases.satisfiedRatio, "有反馈的答复")
            consulted = Bar(cases.consultedRatio, "\(suggestions) 件建议")
            transferred = cases.transferredUp
        }
    }

    /// An overdue or supervised case (督办): its subject as text (the template escapes it), where it stands.
    struct CaseRow {
        var link: String
        var subject: String
        var kind: String
        var region: String
        var state: String
        var dueOn: String
        var overdue: Bool
        var overdueDays: Int
        var supervised: Bool

        init(_ shown: CaseService.Shown, regionName: String?, today: CalendarDate) {
            let (record, status) = (shown.record, shown.status)
            link = "/cases/\(record.meta.id.uuidString.lowercased())"
            // Above the node that registered it, a case comes without its subject (SPEC §13).
            subject = record.body.subject ?? "（标题留在登记节点 \(record.meta.origin)）"
            kind = DashboardView.kindLabels[record.body.kind] ?? record.body.kind.rawValue
            region = regionName ?? record.meta.regionCode.rawValue
            state = DashboardView.stateLabels[status.state] ?? status.state.rawValue
            dueOn = status.dueOn?.description ?? "—"
            overdue = status.overdue
            overdueDays = status.dueOn.map { today.days(since: $0) } ?? 0
            supervised = status.supervised
        }
    }

    static let kindLabels: [CaseKind: String] = [.opinion: "社情民意", .suggestion: "代表建议"]
    static let stateLabels: [CaseState: String] = [
        .registered: "已登记", .assigned: "已交办", .transferred: "已转交上级", .replied: "已答复", .closed: "已办结",
    ]

    /// A region's duty performance (履职, SPEC §12) this year: the share of mandates active, then the year's figures in words.
    struct Duty {
        var active: Bar
        /// The kinds with confirmed activities, `视察调研 3、走访联系群众 2`.
        var kinds: String
        var groups: String
        var constituents: String

        init(_ activities: CoverageItem.Activities, seats: Int) {
            active = Bar(activities.ratio, "\(activities.mandatesActive)/\(seats) 名代表有活动")
            let done = Activity.Kind.allCases.compactMap { kind in
                (activities.byKind[kind.rawValue] ?? 0) > 0 ? "\(kind.label) \(activities.byKind[kind.rawValue] ?? 0)" : nil
            }
            kinds = done.isEmpty ? "暂无已确认的活动" : done.joined(separator: "、")
            groups =
                "小组 \(activities.groups) 个 · 活动 \(activities.groupActivities) 次 · "
                + "\(activities.groupsMeetingRule) 个年满 \(DeputyGroup.activitiesExpectedPerYear) 次"
            constituents = "接待群众 \(activities.constituentsMet) 人次"
        }
    }

    struct ParentEdge {
        var name: String
        var code: String
        var schedule: String
        var lastSuccess: String
        var nextRun: String
        var pending: Int64
        var error: String?
        /// Records of kinds the parent's release does not know yet (nil: none held back).
        var heldBack: Int64?
    }

    struct ChildEdge {
        var name: String
        var code: String
        var schedule: String
        var lastBatch: String
        var checkpoint: Int64
        var changes: Int64
        var stale: Bool
        /// The child's release, replication schema version and topology, as its latest batch said.
        var runs: String
        var lags: String
        var lagging: Bool
    }

    struct TrainingRow {
        var title: String
        var organizer: String
        var dates: String
        var mode: String
        var venues: String
        var signedIn: Int
        var underWay: Bool
    }

    var nodeName: String
    var nodeCode: String
    var regionName: String
    var generatedAt: String
    var depth: Int
    var rows: [Row]
    /// The year the duty figures count.
    var activityYear: Int
    var staleCount: Int
    var parent: ParentEdge?
    var children: [ChildEdge]
    var trainings: [TrainingRow]
    /// Overdue and supervised cases of the region, overdue first; how many there are in all.
    var attention: [CaseRow]
    var attentionTotal: Int
    var attentionShown: Int
    var attentionMore: Bool
    // Mustache sees stored properties only, and an empty list or zero is not false to it.
    var hasAttention: Bool
    var hasStale: Bool
    var hasChildren: Bool
    var hasTrainings: Bool

    static let modeLabels: [Training.Mode: String] = [.offline: "线下", .online: "线上", .hybrid: "线上线下结合"]

    /// `2026-11-22 16:20` in the topology's time zone.
    static func localTime(_ date: Date, timeZone: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "Asia/Shanghai")!
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        func two(_ value: Int?) -> String { (value ?? 0) < 10 ? "0\(value ?? 0)" : "\(value ?? 0)" }
        return "\(CalendarDate(date, timeZone: timeZone)) \(two(parts.hour)):\(two(parts.minute))"
    }
}

extension SyncStatus.Lag {
    /// What lags, as the dashboard says it.
    var label: String {
        switch self {
        case .release: "版本落后"
        case .schema: "数据结构落后"
        case .topology: "拓扑未更新"
        case .points: "积分办法未更新"
        }
    }
}
