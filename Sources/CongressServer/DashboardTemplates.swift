import Mustache

/// The dashboard's pages as Mustache templates (values are HTML-escaped by `{{…}}`).
enum DashboardTemplates {
    enum Page {
        case dashboard(DashboardView)
        case signIn(message: String?)
        case failure(status: Int, message: String)
        case activityForm(ActivityFormView)
        case activityList(ActivityListView)
        case groupForm(GroupFormView)
        case groupList(GroupListView)
        case contactForm(ContactFormView)
        case contactReceived(ContactReceivedView)
        case caseProgress(CaseProgressView)
        case caseList(CaseListView)
        case casePage(CasePageView)
        case caseForm(CaseFormView)
    }

    static func render(_ page: Page) -> String {
        switch page {
        case .dashboard(let view): library.render(view, withTemplate: "dashboard") ?? ""
        case .signIn(let message): library.render(["message": message as Any], withTemplate: "signIn") ?? ""
        case .failure(let status, let message): library.render(["status": status, "message": message], withTemplate: "failure") ?? ""
        case .activityForm(let view): library.render(view, withTemplate: "activityForm") ?? ""
        case .activityList(let view): library.render(view, withTemplate: "activityList") ?? ""
        case .groupForm(let view): library.render(view, withTemplate: "groupForm") ?? ""
        case .groupList(let view): library.render(view, withTemplate: "groupList") ?? ""
        case .contactForm(let view): library.render(view, withTemplate: "contactForm") ?? ""
        case .contactReceived(let view): library.render(view, withTemplate: "contactReceived") ?? ""
        case .caseProgress(let view): library.render(view, withTemplate: "caseProgress") ?? ""
        case .caseList(let view): library.render(view, withTemplate: "caseList") ?? ""
        case .casePage(let view): library.render(view, withTemplate: "casePage") ?? ""
        case .caseForm(let view): library.render(view, withTemplate: "caseForm") ?? ""
        }
    }

    /// Parsed once; the texts are constants, so a mistake in them shows in the first test that opens the dashboard.
    private static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        let pages =
            [("head", head), ("bar", bar), ("regionCell", regionCell), ("dashboard", dashboard), ("signIn", signIn), ("failure", failure)] + formPages
            + contactPages
        for (name, text) in pages {
            do { try library.register(text, named: name) } catch { preconditionFailure("dashboard template \(name): \(error)") }
        }
        return library
    }()

    private static let head = """
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
          body { margin: 0; background: #f4f6f8; color: #1f2933;
                 font: 14px/1.5 "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif; }
          header { background: #a61b1b; color: #fff; padding: 14px 24px; }
          header h1 { margin: 0; font-size: 21px; font-weight: 600; }
          header p { margin: 2px 0 0; font-size: 13px; opacity: .9; }
          main { padding: 16px 24px; }
          section { background: #fff; border-radius: 6px; box-shadow: 0 1px 2px rgba(0,0,0,.08); padding: 12px 16px; margin-bottom: 16px; }
          h2 { font-size: 16px; margin: 2px 0 10px; }
          h2 small { font-weight: normal; color: #616e7c; margin-left: 8px; }
          .scroll { overflow-x: auto; }
          table { border-collapse: collapse; width: 100%; font-size: 13px; }
          th, td { padding: 6px 8px; border-bottom: 1px solid #e4e7eb; text-align: left; white-space: nowrap; }
          th { color: #52606d; font-weight: 600; background: #f9fafb; vertical-align: bottom; }
          td.state .muted { display: block; font-size: 12px; }
          td.state { white-space: normal; min-width: 150px; }
          td.num { text-align: right; font-variant-numeric: tabular-nums; }
          a { color: #0b5cad; text-decoration: none; }
          a:hover { text-decoration: underline; }
          .level { color: #7b8794; font-size: 12px; margin-left: 4px; }
          .bar { display: inline-block; width: 48px; height: 8px; background: #e4e7eb; border-radius: 4px; vertical-align: middle; overflow: hidden; }
          .bar > span { display: block; height: 100%; background: #2e7d32; }
          .bar.fair > span { background: #f0a500; }
          .bar.poor > span { background: #c62828; }
          .pct { display: inline-block; min-width: 44px; text-align: right; margin-left: 6px; font-variant-numeric: tabular-nums; }
          .detail { display: block; color: #7b8794; font-size: 11px; line-height: 1.2; }
          td.duty { white-space: normal; max-width: 200px; }
          td.subject { white-space: normal; min-width: 200px; }
          tr.stale td { background: #fff3e0; }
          tr.stale td:first-child { box-shadow: inset 4px 0 #e65100; }
          tr.lagging td.runs { color: #b71c1c; font-weight: 600; }
          .tag { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; }
          .tag.ok { background: #e8f5e9; color: #2e7d32; }
          .tag.late { background: #ffe0b2; color: #bf360c; }
          .tag.own { background: #e3f2fd; color: #1565c0; }
          .muted { color: #7b8794; }
          .error { color: #b71c1c; }
          .depth a { margin-right: 8px; }
          form input { font-size: 14px; padding: 6px 8px; width: 360px; }
          form button { font-size: 14px; padding: 6px 14px; }
          nav a { color: #fff; margin-right: 14px; }
          form.record label.line { display: block; margin: 8px 0; }
          form.record label.line > span:first-child { display: inline-block; width: 110px; color: #52606d; }
          form.record select, form.record textarea { font-size: 14px; padding: 6px 8px; }
          form.record textarea { width: 520px; height: 80px; vertical-align: top; }
          form.record input[type=number] { width: 100px; }
          form input[type=checkbox] { width: auto; }
          fieldset { border: 1px solid #e4e7eb; border-radius: 4px; margin: 10px 0; max-height: 420px; overflow-y: auto; }
          fieldset label.pick { display: block; padding: 3px 0; }
          .field-error { color: #b71c1c; margin-left: 8px; font-size: 13px; }
          p.banner { background: #ffebee; padding: 8px 12px; border-radius: 4px; }
          form.confirm { display: inline; }
        </style>
        """

    private static let dashboard = """
        <!doctype html>
        <html lang="zh-CN">
        <head>
        <title>{{nodeName}} · 代表家站点覆盖</title>
        {{> head}}
        </head>
        <body>
        <header>
          <h1>{{nodeName}}人大 · 代表之家（联络站）覆盖情况</h1>
          <p>节点 {{nodeCode}} · 统计生成于 {{generatedAt}}{{#hasStale}} · <strong>{{staleCount}} 个节点数据过期</strong>{{/hasStale}}</p>
          {{> nav}}
        </header>
        <main>
        <section id="coverage">
          <h2>{{regionName}}覆盖统计<small class="depth">展开层级：<a href="?depth=1">1 级</a><a href="?depth=2">2 级</a><a href="?depth=3">3 级</a><a href="?depth=4">4 级</a></small></h2>
          <div class="scroll">
          <table>
            <thead><tr>
              <th>区域</th><th>站点<br>运行/总数</th><th>村（社区）覆盖率</th><th>乡镇（街道）建站率</th>
              <th>在任代表<br>席位</th><th>代表<br>人数</th><th>进站率</th><th>六有达标率</th><th>培训覆盖率</th><th>代表履职<br>{{activityYear}} 年</th><th>数据状态</th>
            </tr></thead>
            <tbody>
            {{#rows}}
            <tr class="region{{#stale}} stale{{/stale}}" data-code="{{code}}">
              {{> regionCell}}
              <td class="num">{{stations}}</td>
              {{#units}}{{> bar}}{{/units}}
              {{#townships}}{{> bar}}{{/townships}}
              <td class="num">{{seats}}</td>
              <td class="num">{{persons}}</td>
              {{#assigned}}{{> bar}}{{/assigned}}
              {{#standards}}{{> bar}}{{/standards}}
              {{#training}}{{> bar}}{{/training}}
              {{#duty}}<td class="duty">{{#active}}{{#known}}<span class="bar {{tone}}"><span style="width: {{width}}%"></span></span><span class="pct">{{percent}}</span>{{/known}}{{^known}}<span class="pct muted">—</span>{{/known}}<span class="detail">{{detail}}</span>{{/active}}<span class="detail kinds">{{kinds}}</span><span class="detail">{{groups}}</span><span class="detail">{{constituents}}</span></td>{{/duty}}
              <td class="state">{{#stale}}<span class="tag late">{{state}}</span>{{/stale}}{{^stale}}<span class="tag {{#own}}own{{/own}}{{^own}}ok{{/own}}">{{state}}</span>{{/stale}} <span class="muted">{{lastSync}}</span></td>
            </tr>
            {{/rows}}
            </tbody>
          </table>
          </div>
        </section>
        <section id="case-figures">
          <h2>{{regionName}}意见建议办理<small>{{activityYear}} 年登记的社情民意和代表建议</small></h2>
          <div class="scroll">
          <table>
            <thead><tr>
              <th>区域</th><th>社情民意</th><th>代表建议</th><th>办结率</th><th>待答复<br>有期限</th><th>逾期</th><th>满意率</th><th>面商率</th><th>转交上级</th>
            </tr></thead>
            <tbody>
            {{#rows}}
            <tr class="case-region" data-code="{{code}}">
              {{> regionCell}}
              {{#cases}}<td class="num">{{opinions}}</td><td class="num">{{suggestions}}</td>{{#closed}}{{> bar}}{{/closed}}<td class="num">{{due}}</td>
              <td class="num{{#hasOverdue}} error{{/hasOverdue}}">{{overdue}}</td>{{#satisfied}}{{> bar}}{{/satisfied}}{{#consulted}}{{> bar}}{{/consulted}}
              <td class="num">{{transferred}}</td>{{/cases}}
            </tr>{{/rows}}
            </tbody>
          </table></div>
        </section>
        <section id="cases">
          <h2>逾期和督办的案件<small>{{regionName}} · 共 {{attentionTotal}} 件{{#attentionMore}}，显示最紧急的 {{attentionShown}} 件{{/attentionMore}}</small></h2>
          {{#hasAttention}}
          <div class="scroll">
          <table>
            <thead><tr><th>案件</th><th>类别</th><th>区域</th><th>状态</th><th>答复期限</th><th></th></tr></thead>
            <tbody>
            {{#attention}}
            <tr class="case{{#overdue}} stale{{/overdue}}"><td class="subject"><a href="{{link}}">{{subject}}</a></td><td>{{kind}}</td><td>{{region}}</td><td>{{state}}</td>
              <td>{{dueOn}}</td><td>{{#overdue}}<span class="tag late">逾期 {{overdueDays}} 天</span>{{/overdue}}{{#supervised}} <span class="tag own">督办</span>{{/supervised}}</td></tr>
            {{/attention}}
            </tbody>
          </table>
          </div>
          {{/hasAttention}}
          {{^hasAttention}}<p class="muted">暂无逾期或督办中的案件。</p>{{/hasAttention}}
        </section>
        <section id="sync">
          <h2>同步状态</h2>
          {{#parent}}
          <p>向上级 <strong>{{name}}</strong>（{{code}}）推送：最后成功 {{lastSuccess}}，待推送 {{pending}} 条变更，计划 {{schedule}}，下次 {{nextRun}}。
          {{#heldBack}}<br><span class="error">上级版本较旧：{{heldBack}} 条记录暂缓推送，待上级升级后发送。</span>{{/heldBack}}
          {{#error}}<br><span class="error">最近一次失败：{{error}}</span>{{/error}}</p>
          {{/parent}}
          {{^parent}}<p class="muted">本节点是联邦的顶层，没有上级。</p>{{/parent}}
          {{#hasChildren}}
          <div class="scroll">
          <table>
            <thead><tr><th>下级节点</th><th>同步计划</th><th>最后收到</th><th>检查点</th><th>累计变更</th><th>运行版本</th><th>状态</th></tr></thead>
            <tbody>
            {{#children}}
            <tr class="edge{{#stale}} stale{{/stale}}{{#lagging}} lagging{{/lagging}}" data-code="{{code}}">
              <td>{{name}} <span class="level">{{code}}</span></td><td>{{schedule}}</td><td>{{lastBatch}}</td>
              <td class="num">{{checkpoint}}</td><td class="num">{{changes}}</td><td class="runs">{{runs}}</td>
              <td>{{#stale}}<span class="tag late">过期</span>{{/stale}}{{^stale}}<span class="tag ok">正常</span>{{/stale}}{{#lagging}} <span class="tag late lag">{{lags}}</span>{{/lagging}}</td>
            </tr>
            {{/children}}
            </tbody>
          </table>
          </div>
          {{/hasChildren}}
        </section>
        <section id="trainings">
          <h2>进行中及即将开始的培训</h2>
          {{#hasTrainings}}
          <table>
            <thead><tr><th>培训</th><th>主办</th><th>日期</th><th>方式</th><th>会场</th><th>本节点已签到</th></tr></thead>
            <tbody>
            {{#trainings}}
            <tr class="training"><td>{{title}} {{#underWay}}<span class="tag ok">进行中</span>{{/underWay}}{{^underWay}}<span class="tag own">未开始</span>{{/underWay}}</td>
              <td>{{organizer}}</td><td>{{dates}}</td><td>{{mode}}</td><td>{{venues}}</td><td class="num">{{signedIn}}</td></tr>
            {{/trainings}}
            </tbody>
          </table>
          {{/hasTrainings}}
          {{^hasTrainings}}<p class="muted">暂无进行中或即将开始的培训。</p>{{/hasTrainings}}
        </section>
        </main>
        </body>
        </html>

        """

    /// A region's name in the coverage tables, indented by its depth.
    private static let regionCell = """
        <td style="padding-left: {{indent}}px"><a href="{{link}}">{{name}}</a><span class="level">{{level}}</span></td>
        """

    private static let bar = """
        <td class="ratio">{{#known}}<span class="bar {{tone}}"><span style="width: {{width}}%"></span></span><span class="pct">{{percent}}</span><span class="detail">{{detail}}</span>{{/known}}{{^known}}<span class="pct muted">—</span>{{/known}}</td>
        """

    private static let signIn = """
        <!doctype html>
        <html lang="zh-CN">
        <head><title>登录 · 代表家站点覆盖</title>{{> head}}</head>
        <body>
        <header><h1>代表之家（联络站）覆盖情况</h1><p>请用本人账号登录</p></header>
        <main><section>
          {{#message}}<p class="error">{{message}}</p>{{/message}}
          <form id="signin" method="post" action="/">
            <p><label>用户名 <input name="name" autocomplete="username" required maxlength="64"></label></p>
            <p><label>密码 <input name="password" type="password" autocomplete="current-password" required maxlength="128"></label></p>
            <p><label>动态口令 <input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" placeholder="已绑定时填写"></label></p>
            <p><button type="submit">登录</button></p>
          </form>
        </section>
        <section><h2>机器令牌</h2>
          <form method="get" action="/"><input name="token" type="password" autocomplete="off" placeholder="只读令牌或管理令牌"> <button type="submit">进入</button></form>
        </section></main>
        </body>
        </html>

        """

    private static let failure = """
        <!doctype html>
        <html lang="zh-CN">
        <head><title>无法显示 · 代表家站点覆盖</title>{{> head}}</head>
        <body>
        <header><h1>无法显示这一页</h1><p>HTTP {{status}}</p></header>
        <main><section><p class="error">{{message}}</p><p><a href="/">返回本节点概览</a></p></section></main>
        </body>
        </html>

        """
}
