/// The staff's pages for activities and groups (SPEC §12), in the dashboard's look (its `head`), registered with its
/// templates.
extension DashboardTemplates {
    static let formPages = [
        ("nav", nav), ("fieldError", fieldError), ("activityForm", activityForm), ("activityList", activityList),
        ("groupForm", groupForm), ("groupList", groupList),
    ]

    private static let nav = """
        <nav><a href="/">覆盖概览</a><a href="/activities">履职活动</a><a href="/activities/new">录入活动</a><a href="/groups">代表小组</a></nav>
        """

    /// Beside a field (a `Field` or `Choice` in context): why it was refused.
    private static let fieldError = """
        {{#error}}<span class="field-error" data-field="{{name}}">{{error}}</span>{{/error}}
        """

    private static let activityForm = """
        <!doctype html>
        <html lang="zh-CN">
        <head><title>录入履职活动 · {{nodeName}}</title>{{> head}}</head>
        <body>
        <header><h1>{{nodeName}}人大 · 录入履职活动</h1><p>节点 {{nodeCode}}</p>{{> nav}}</header>
        <main>
        {{#message}}<p class="error banner" id="message">{{message}}</p>{{/message}}
        <section>
          <form method="get" action="/activities/new" id="filter">
            <label>按姓名筛选代表 <input name="q" value="{{query}}" maxlength="50"></label> <button type="submit">筛选</button>
          </form>
        </section>
        <section>
          <form method="post" action="/activities" id="activity" class="record">
            {{#kind}}<label class="line"><span>活动类型</span> <select name="kind">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/options}}</select>{{> fieldError}}</label>{{/kind}}
            {{#title}}<label class="line"><span>活动名称</span> <input name="title" value="{{value}}" required maxlength="200">{{> fieldError}}</label>{{/title}}
            {{#on}}<label class="line"><span>日期</span> <input name="on" type="date" value="{{value}}" required>{{> fieldError}}</label>{{/on}}
            {{#halfDays}}<label class="line"><span>时长（半天）</span> <input name="halfDays" type="number" value="{{value}}" min="1" max="60">{{> fieldError}}</label>{{/halfDays}}
            {{#regionCode}}<label class="line"><span>所在区划代码</span> <input name="regionCode" value="{{value}}" required maxlength="12" inputmode="numeric">{{> fieldError}}</label>{{/regionCode}}
            {{#station}}<label class="line"><span>代表之家（站）</span> <select name="stationId">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/options}}</select>{{> fieldError}}</label>{{/station}}
            {{#group}}<label class="line"><span>代表小组</span> <select name="groupId">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/options}}</select>{{> fieldError}}</label>{{/group}}
            <fieldset id="participants"><legend>参加代表（可多选）{{#participantsError}}<span class="field-error" data-field="participants">{{participantsError}}</span>{{/participantsError}}</legend>
              {{#candidates}}<label class="pick"><input type="checkbox" name="participants" value="{{id}}"{{#checked}} checked{{/checked}}> {{name}} <span class="muted">{{detail}}</span>{{#error}}<span class="field-error" data-field="{{field}}">{{error}}</span>{{/error}}</label>
              {{/candidates}}
              {{^hasCandidates}}<p class="muted">没有可选的在任代表。</p>{{/hasCandidates}}
            </fieldset>
            {{#constituentsMet}}<label class="line"><span>接待群众（人）</span> <input name="constituentsMet" type="number" value="{{value}}" min="0" max="100000">{{> fieldError}}</label>{{/constituentsMet}}
            {{#summary}}<label class="line"><span>活动摘要</span> <textarea name="summary" maxlength="4000">{{value}}</textarea>{{> fieldError}}</label>{{/summary}}
            <label class="line"><span>已核实</span> <input type="checkbox" name="confirmed" value="true"{{#confirmed}} checked{{/confirmed}}> 确认（活动已经举行，计入积分）{{#confirmedError}}<span class="field-error" data-field="confirmed">{{confirmedError}}</span>{{/confirmedError}}</label>
            <p><button type="submit">保存</button></p>
          </form>
        </section>
        </main>
        </body>
        </html>

        """

    private static let activityList = """
        <!doctype html>
        <html lang="zh-CN">
        <head><title>履职活动 · {{nodeName}}</title>{{> head}}</head>
        <body>
        <header><h1>{{nodeName}}人大 · 履职活动</h1><p>节点 {{nodeCode}} · 本节点最近录入的活动，未确认的不计入积分</p>{{> nav}}</header>
        <main><section>
          <h2>最近录入<small><a href="/activities/new">录入新活动</a></small></h2>
          {{#hasRows}}
          <div class="scroll">
          <table>
            <thead><tr><th>日期</th><th>类型</th><th>活动</th><th>参加代表</th><th>半天</th><th>接待群众</th><th>状态</th></tr></thead>
            <tbody>
            {{#rows}}
            <tr class="activity" data-id="{{id}}"><td>{{on}}</td><td>{{kind}}</td><td>{{title}}</td><td>{{participants}}</td>
              <td class="num">{{halfDays}}</td><td class="num">{{constituentsMet}}</td>
              <td>{{#confirmed}}<span class="tag ok">已确认</span>{{/confirmed}}{{^confirmed}}<span class="tag late">待确认</span> <form class="confirm" method="post" action="/activities/{{id}}/confirm"><button type="submit">确认</button></form>{{/confirmed}}</td></tr>
            {{/rows}}
            </tbody>
          </table>
          </div>
          {{/hasRows}}
          {{^hasRows}}<p class="muted">本节点尚未录入履职活动。</p>{{/hasRows}}
        </section></main>
        </body>
        </html>

        """

    private static let groupForm = """
        <!doctype html>
        <html lang="zh-CN">
        <head><title>代表小组 · {{nodeName}}</title>{{> head}}</head>
        <body>
        <header><h1>{{nodeName}}人大 · {{#editing}}修改代表小组{{/editing}}{{^editing}}新建代表小组{{/editing}}</h1><p>节点 {{nodeCode}}</p>{{> nav}}</header>
        <main>
        {{#message}}<p class="error banner" id="message">{{message}}</p>{{/message}}
        <section>
          <form method="get" action="{{action}}{{^editing}}/new{{/editing}}" id="filter">
            <label>按姓名筛选代表 <input name="q" value="{{query}}" maxlength="50"></label> <button type="submit">筛选</button>
          </form>
        </section>
        <section>
          <form method="post" action="{{action}}" id="group" class="record">
            {{#version}}<input type="hidden" name="version" value="{{value}}">{{/version}}
            {{#name}}<label class="line"><span>小组名称</span> <input name="name" value="{{value}}" required maxlength="100">{{> fieldError}}</label>{{/name}}
            {{#kind}}<label class="line"><span>类型</span> <select name="kind">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/options}}</select>{{> fieldError}}</label>{{/kind}}
            {{#congressCode}}<label class="line"><span>所属人大</span> <input name="congressCode" value="{{value}}" required maxlength="12" inputmode="numeric">{{> fieldError}}</label>{{/congressCode}}
            {{#regionCode}}<label class="line"><span>所在区划代码</span> <input name="regionCode" value="{{value}}" required maxlength="12" inputmode="numeric">{{> fieldError}}</label>{{/regionCode}}
            {{#version}}{{> fieldError}}{{/version}}
            <fieldset id="members"><legend>成员及职务{{#membersError}}<span class="field-error" data-field="members">{{membersError}}</span>{{/membersError}}</legend>
              {{#candidates}}<label class="pick">{{name}} <span class="muted">{{detail}}</span> <select name="role.{{id}}">{{#roles}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/roles}}</select>{{#error}}<span class="field-error" data-field="{{field}}">{{error}}</span>{{/error}}</label>
              {{/candidates}}
              {{^hasCandidates}}<p class="muted">没有可选的在任代表。</p>{{/hasCandidates}}
            </fieldset>
            <p><button type="submit">保存</button></p>
          </form>
        </section>
        </main>
        </body>
        </html>

        """

    private static let groupList = """
        <!doctype html>
        <html lang="zh-CN">
        <head><title>代表小组 · {{nodeName}}</title>{{> head}}</head>
        <body>
        <header><h1>{{nodeName}}人大 · 代表小组</h1><p>节点 {{nodeCode}}</p>{{> nav}}</header>
        <main><section>
          <h2>代表小组<small><a href="/groups/new">新建小组</a></small></h2>
          {{#hasRows}}
          <table>
            <thead><tr><th>小组</th><th>类型</th><th>所属人大</th><th>组长</th><th>成员数</th></tr></thead>
            <tbody>
            {{#rows}}
            <tr class="group" data-id="{{id}}"><td>{{#own}}<a href="/groups/{{id}}">{{name}}</a>{{/own}}{{^own}}{{name}} <span class="muted">（下级节点录入）</span>{{/own}}</td>
              <td>{{kind}}</td><td>{{congress}}</td><td>{{leader}}</td><td class="num">{{members}}</td></tr>
            {{/rows}}
            </tbody>
          </table>
          {{/hasRows}}
          {{^hasRows}}<p class="muted">尚无代表小组。</p>{{/hasRows}}
        </section></main>
        </body>
        </html>

        """
}
