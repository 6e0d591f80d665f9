import CongressCore
import CongressStore
import Hummingbird
import Mustache

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Points and dossiers (SPEC §12): `GET /v1/points`, `GET /v1/deputies/{id}/dossier` and the printable page
/// `/deputies/{id}`.
struct DutyController: Sendable {
    let duty: DutyService
    let audit: AuditTrail

    /// Mounted in the read group at `/v1`.
    var reads: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("points", use: ranking)
            .get("deputies/{id}/dossier", use: dossier)
    }

    /// A page people open in the browser: mounted behind `PageAccessMiddleware` for readers.
    var pages: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("deputies/{id}", use: printable)
    }

    static let rankingParameters = [
        QueryParameter("congress", .region, summary: "the congress whose mandates are ranked (its region code)", required: true),
        QueryParameter("year", .integer(2000...2100), summary: "the year scored", required: true),
        ExportFormat.parameter,
    ]

    static let dossierParameters = [ExportFormat.parameter]

    /// The page takes a token once, as the dashboard does.
    static let pageParameters = [QueryParameter("token", .token(maxLength: 200), summary: "a read or admin token, kept as a cookie")]

    @Sendable func ranking(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = try request.query(accepting: Self.rankingParameters)
        // Both are required: the query refuses a request without them.
        let (congress, year) = (query.region("congress")!, query.integer("year")!)
        let ranking = try await duty.ranking(congress: congress, year: year)
        switch query.choice("format", as: ExportFormat.self) ?? .json {
        case .json:
            return try JSONBody.response(.ok, ranking)
        case .csv:
            let rows = ranking.items.map { ["\($0.rank)", "\($0.quartile)", $0.deputyId.uuidString, $0.name, "\($0.points)"] }
            return CSVBody.response([["rank", "quartile", "deputy_id", "name", "points"]] + rows, file: "points-\(congress)-\(year).csv")
        }
    }

    @Sendable func dossier(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = try request.query(accepting: Self.dossierParameters)
        var dossier = try await readDossier(context: context)
        if !context.seesPersonKeys { dossier = dossier.hidingPersonKeys() }
        switch query.choice("format", as: ExportFormat.self) ?? .json {
        case .json: return try JSONBody.response(.ok, dossier)
        case .csv:
            return Response(
                status: .ok,
                headers: CSVBody.headers(file: "dossier-\(dossier.section.deputy.meta.id).csv"),
                body: .init(byteBuffer: CSVBody.bytes(dossier.csv))
            )
        }
    }

    @Sendable func printable(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try request.query(accepting: Self.pageParameters)
        return DashboardController.html(.ok, DossierPage.render(try await readDossier(context: context).hidingPersonKeys()))
    }

    /// The dossier of the route's deputy. A person's whole file: who read it is kept, as for a write.
    private func readDossier(context: AppRequestContext) async throws -> Dossier {
        let id = try context.recordID()
        let dossier = try await duty.dossier(deputy: id)
        await audit.append(
            actor: context.actor ?? "anonymous",
            address: context.address,
            action: "read dossier",
            record: "/v1/deputies/\(id)",
            outcome: "200"
        )
        return dossier
    }
}

/// The dossier as a printable page (一代表一档案), in Chinese.
enum DossierPage {
    static func render(_ dossier: Dossier) -> String {
        let main = section(dossier.section)
        let view: [String: Any] = [
            "name": dossier.section.deputy.body.name,
            "main": main,
            "others": dossier.otherMandates.map(section),
            "hasOthers": !dossier.otherMandates.isEmpty,
        ]
        return library.render(view, withTemplate: "dossier") ?? ""
    }

    private static func section(_ section: Dossier.Section) -> [String: Any] {
        let deputy = section.deputy.body
        return [
            "mandate": "\(deputy.level.label)人大代表 · 第\(deputy.term)届 · 代表大会 \(deputy.congressCode)",
            "status": deputy.status == .inOffice ? "在任" : deputy.status.rawValue,
            "activities": section.activities.map { activity -> [String: Any] in
                let body = activity.body
                return [
                    "on": "\(body.on)", "kind": body.kind.label, "title": body.title, "halfDays": body.halfDays ?? 1,
                    "people": body.constituentsMet ?? 0, "state": body.confirmed == true ? "已确认" : "待确认",
                ]
            },
            "signIns": section.attendance.map { signIn -> [String: Any] in
                [
                    "at": signIn.record.body.signedInAt.map { "\(CalendarDate($0.date, timeZone: "Asia/Shanghai"))" } ?? "",
                    "training": signIn.extra.trainingTitle ?? signIn.record.body.trainingId.uuidString,
                ]
            },
            "points": section.points.map { score -> [String: Any] in
                [
                    "year": score.year, "total": score.total,
                    "lines": score.lines.map { line -> [String: Any] in
                        [
                            "rule": label(line.rule), "count": line.count, "points": line.points, "capped": line.capped,
                            "source": line.source ?? "",
                        ]
                    },
                ]
            },
        ]
    }

    /// A rule's name as staff read it.
    private static func label(_ rule: String) -> String {
        if rule == "base" { return "基础分" }
        if let kind = Activity.Kind(rawValue: rule) { return kind.label }
        return switch PointsRules.Counted(rawValue: rule) {
        case .suggestionSubmitted: "提出建议"
        case .suggestionLead: "领衔建议"
        case .opinionHandled: "办结社情民意"
        case .trainingAttended: "参加培训"
        default: rule
        }
    }

    private static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in [("dossier", template), ("mandate", mandate)] {
            do { try library.register(text, named: name) } catch { preconditionFailure("dossier template \(name): \(error)") }
        }
        return library
    }()

    private static let mandate = """
        <div class="mandate">
        <h2>{{mandate}} <small>{{status}}</small></h2>
        <h3>积分</h3>
        {{#points}}
        <table><tr><th colspan="4">{{year}} 年度：合计 {{total}} 分</th></tr>
        <tr><th>规则</th><th>计数</th><th>得分</th><th>依据</th></tr>
        {{#lines}}<tr><td>{{rule}}{{#capped}}（已封顶）{{/capped}}</td><td class="n">{{count}}</td><td class="n">{{points}}</td><td>{{source}}</td></tr>{{/lines}}
        </table>
        {{/points}}
        {{^points}}<p>该代表大会未制定积分办法。</p>{{/points}}
        <h3>履职活动</h3>
        <table><tr><th>日期</th><th>类别</th><th>标题</th><th>半天数</th><th>接待群众</th><th>状态</th></tr>
        {{#activities}}<tr><td>{{on}}</td><td>{{kind}}</td><td>{{title}}</td><td class="n">{{halfDays}}</td><td class="n">{{people}}</td><td>{{state}}</td></tr>{{/activities}}
        </table>
        <h3>参加培训</h3>
        <table><tr><th>签到日期</th><th>培训</th></tr>
        {{#signIns}}<tr><td>{{at}}</td><td>{{training}}</td></tr>{{/signIns}}
        </table>
        </div>
        """

    private static let template = """
        <!doctype html>
        <html lang="zh-CN"><head>
        <meta charset="utf-8">
        <title>{{name}} · 代表履职档案</title>
        <style>
          body { margin: 24px; color: #1f2933; font: 14px/1.5 "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; }
          h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 20px 0 6px; } h3 { font-size: 15px; margin: 14px 0 4px; }
          table { border-collapse: collapse; width: 100%; margin-bottom: 8px; }
          th, td { border: 1px solid #9aa5b1; padding: 3px 6px; text-align: left; }
          th { background: #eef1f4; } td.n { text-align: right; }
          .mandate { border-top: 2px solid #a61b1b; margin-top: 18px; }
          @media print { body { margin: 0; } .mandate { break-inside: avoid-page; } }
        </style>
        </head><body>
        <h1>{{name}} · 代表履职档案</h1>
        {{#main}}{{> mandate}}{{/main}}
        {{#hasOthers}}<h2>同一人的其他代表资格</h2>{{/hasOthers}}
        {{#others}}{{> mandate}}{{/others}}
        </body></html>
        """
}
