/// The staff's pages for activities and groups (SPEC §12) and cases (SPEC §13), in the dashboard's look (its `head`),
/// registered with its templates.
extension DashboardTemplates {
    static let formPages = [
        ("nav", nav), ("fieldError", fieldError), ("activityForm", activityForm), ("activityList", activityList),
        ("groupForm", groupForm), ("groupList", groupList), ("caseStyle", caseStyle), ("caseList", caseList), ("casePage", casePage),
        ("caseForm", caseForm),
    ]

    private static let nav = """
        <nav><a href="/">覆盖概览</a><a href="/activities">履职活动</a><a href="/activities/new">录入活动</a><a href="/groups">代表小组</a><a href="/cases">意见建议</a></nav>
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

    /// The case pages' own layout: facts as a list of pairs, and one column on a phone's screen.
    private static let caseStyle = """
        <style>
          dl.facts { display: grid; grid-template-columns: 10em 1fr; gap: 4px 12px; margin: 0; }
          dl.facts dt { color: #52606d; }
          dl.facts dd { margin: 0; }
          .case-text { white-space: pre-wrap; overflow-wrap: anywhere; }
          ol.events { padding-left: 20px; margin: 0; }
          ol.events li { margin-bottom: 8px; }
          form.step { border-top: 1px solid #e4e7eb; padding-top: 6px; margin-top: 8px; }
          form.step h3 { font-size: 15px; margin: 4px 0; }
          nav a { display: inline-block; }
          @media (max-width: 640px) {
            header, main { padding-left: 10px; padding-right: 10px; }
            section { padding: 10px; }
            form input, form.record select, form.record textarea { width: 100%; box-sizing: border-box; }
            form.record input[type=number], form input[type=checkbox] { width: auto; }
            form.record label.line > span:first-child { display: block; width: auto; }
            dl.facts { grid-template-columns: 7em 1fr; }
          }
        </style>
        """

    private static let caseList = """
        <!doctype html>
        <html lang="zh-CN">
        <head><title>意见建议 · {{nodeName}}</title>{{> head}}{{> caseStyle}}</head>
        <body>
        <header><h1>{{nodeName}}人大 · 社情民意和代表建议</h1><p>节点 {{nodeCode}} · 本节点所有的件，最近登记的在前</p>{{> nav}}</header>
        <main><section>
          <h2>意见建议<small><a href="/cases/new" id="register">登记新件</a></small></h2>
          {{#hasRows}}
          <div class="scroll">
          <table>
            <thead><tr><th>登记日期</th><th>类型</th><th>渠道</th><th>事由</th><th>状态</th><th>承办节点</th><th>期限</th></tr></thead>
            <tbody>
            {{#rows}}
            <tr class="case" data-id="{{id}}"><td>{{registeredOn}}</td><td>{{kind}}</td><td>{{channel}}</td><td><a href="/cases/{{id}}">{{subject}}</a></td>
              <td>{{state}}</td><td>{{handler}}</td><td>{{dueOn}}{{#overdue}} <span class="tag late">逾期</span>{{/overdue}}</td></tr>
            {{/rows}}
            </tbody>
          </table>
          </div>
          {{/hasRows}}
          {{^hasRows}}<p class="muted">本节点尚无社情民意或代表建议。</p>{{/hasRows}}
          <p class="pages">{{#previous}}<a href="{{previous}}" rel="prev">上一页</a> {{/previous}}{{#next}}<a href="{{next}}" rel="next">下一页</a>{{/next}}</p>
        </section></main>
        </body>
        </html>

        """

    private static let casePage = """
        <!doctype html>
        <html lang="zh-CN">
        <head><title>{{#subject}}{{subject}}{{/subject}}{{^subject}}意见建议{{/subject}} · {{nodeName}}</title>{{> head}}{{> caseStyle}}</head>
        <body>
        <header><h1>{{nodeName}}人大 · 意见建议</h1><p>节点 {{nodeCode}}</p>{{> nav}}</header>
        <main>
        {{#message}}<p class="error banner" id="message">{{message}}</p>{{/message}}
        <section id="case" data-id="{{id}}">
          <h2 id="subject">{{#subject}}{{subject}}{{/subject}}{{^subject}}（事由和内容留在登记节点 {{origin}}）{{/subject}}</h2>
          {{#content}}<p class="case-text" id="content">{{content}}</p>{{/content}}
          <dl class="facts" id="facts">
            {{#facts}}<dt>{{label}}</dt><dd data-label="{{label}}">{{#late}}<span class="tag late">{{value}}</span>{{/late}}{{^late}}{{value}}{{/late}}</dd>
            {{/facts}}
          </dl>
        </section>
        {{#constituent}}
        <section id="constituent">
          <h2>群众联系方式<small>仅本节点编辑可见，每次查看记入审计日志</small></h2>
          <dl class="facts"><dt>姓名</dt><dd id="constituent-name">{{name}}</dd><dt>电话</dt><dd id="constituent-phone">{{phone}}</dd></dl>
        </section>
        {{/constituent}}
        <section id="events">
          <h2>办理过程</h2>
          {{#hasEvents}}
          <ol class="events">
            {{#events}}<li class="event" data-action="{{action}}"><strong>{{label}}</strong> <span class="muted">{{on}} · {{node}}</span>{{#detail}}<br>{{detail}}{{/detail}}{{#text}}<div class="case-text">{{text}}</div>{{/text}}</li>
            {{/events}}
          </ol>
          {{/hasEvents}}
          {{^hasEvents}}<p class="muted">尚未办理。</p>{{/hasEvents}}
        </section>
        {{#editor}}
        <section id="actions">
          <h2>下一步</h2>
          {{^hasActions}}<p class="muted">本节点现在没有可办理的步骤。</p>{{/hasActions}}
          {{#actions}}
          <form method="post" action="/cases/{{id}}/events" class="record step" data-action="{{action}}">
            <h3>{{label}}</h3>
            <input type="hidden" name="action" value="{{action}}">
            {{#refusal}}<p class="field-error" data-field="action">{{refusal}}</p>{{/refusal}}
            {{#leadUnit}}<label class="line"><span>主办单位</span> <input name="leadUnit" value="{{value}}" required maxlength="100">{{> fieldError}}</label>{{/leadUnit}}
            {{#coUnits}}<label class="line"><span>会办单位</span> <textarea name="coUnits" placeholder="每行一个，或用逗号分隔">{{value}}</textarea>{{> fieldError}}</label>{{/coUnits}}
            {{#to}}<label class="line"><span>转交至</span> <select name="to">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/options}}</select>{{> fieldError}}</label>{{/to}}
            {{#text}}<label class="line"><span>答复内容</span> <textarea name="text" required maxlength="4000">{{value}}</textarea>{{> fieldError}}</label>{{/text}}
            {{#grade}}<label class="line"><span>办理结果</span> <select name="grade">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/options}}</select>{{> fieldError}}</label>{{/grade}}
            {{#satisfaction}}<label class="line"><span>满意度</span> <select name="satisfaction">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/options}}</select>{{> fieldError}}</label>{{/satisfaction}}
            {{#on}}<label class="line"><span>日期</span> <input name="on" type="date" value="{{value}}" required>{{> fieldError}}</label>{{/on}}
            <p><button type="submit">{{label}}</button></p>
          </form>
          {{/actions}}
        </section>
        {{/editor}}
        </main>
        </body>
        </html>

        """

    private static let caseForm = """
        <!doctype html>
        <html lang="zh-CN">
        <head><title>登记意见建议 · {{nodeName}}</title>{{> head}}{{> caseStyle}}</head>
        <body>
        <header><h1>{{nodeName}}人大 · 登记社情民意或代表建议</h1><p>节点 {{nodeCode}}</p>{{> nav}}</header>
        <main>
        {{#message}}<p class="error banner" id="message">{{message}}</p>{{/message}}
        <section>
          <form method="get" action="/cases/new" id="filter">
            <label>按姓名筛选代表 <input name="q" value="{{query}}" maxlength="50"></label> <button type="submit">筛选</button>
          </form>
        </section>
        <section>
          <form method="post" action="/cases" id="case" class="record">
            {{#kind}}<label class="line"><span>类型</span> <select name="kind">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/options}}</select>{{> fieldError}}</label>{{/kind}}
            {{#channel}}<label class="line"><span>渠道</span> <select name="channel">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/options}}</select>{{> fieldError}}</label>{{/channel}}
            {{#subject}}<label class="line"><span>事由</span> <input name="subject" value="{{value}}" required maxlength="200">{{> fieldError}}</label>{{/subject}}
            {{#content}}<label class="line"><span>内容</span> <textarea name="content" required maxlength="4000">{{value}}</textarea>{{> fieldError}}</label>{{/content}}
            {{#category}}<label class="line"><span>类别</span> <input name="category" value="{{value}}" maxlength="50" placeholder="如：交通、教育">{{> fieldError}}</label>{{/category}}
            {{#registeredOn}}<label class="line"><span>登记日期</span> <input name="registeredOn" type="date" value="{{value}}">{{> fieldError}}</label>{{/registeredOn}}
            {{#regionCode}}<label class="line"><span>所在区划代码</span> <input name="regionCode" value="{{value}}" required maxlength="12" inputmode="numeric">{{> fieldError}}</label>{{/regionCode}}
            {{#station}}<label class="line"><span>代表之家（站）</span> <select name="stationId">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/options}}</select>{{> fieldError}}</label>{{/station}}
            {{#lead}}<label class="line"><span>接待代表 / 领衔代表</span> <select name="leadDeputy">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/options}}</select>{{> fieldError}}</label>{{/lead}}
            <fieldset id="coSigners"><legend>附议代表（代表建议，可多选）</legend>
              {{#coSigners}}<label class="pick"><input type="checkbox" name="coSigners" value="{{id}}"{{#checked}} checked{{/checked}}> {{name}} <span class="muted">{{detail}}</span>{{#error}}<span class="field-error" data-field="{{field}}">{{error}}</span>{{/error}}</label>
              {{/coSigners}}
              {{^hasCandidates}}<p class="muted">没有可选的在任代表。</p>{{/hasCandidates}}
            </fieldset>
            <label class="line"><span>希望面谈</span> <input type="checkbox" name="wantsMeeting" value="true"{{#wantsMeeting}} checked{{/wantsMeeting}}> 群众希望与代表当面沟通（社情民意）{{#wantsMeetingError}}<span class="field-error" data-field="wantsMeeting">{{wantsMeetingError}}</span>{{/wantsMeetingError}}</label>
            <label class="line"><span>涉及面广</span> <input type="checkbox" name="complex" value="true"{{#complex}} checked{{/complex}}> 涉及面广、处理难度大，六个月内办结（代表建议）{{#complexError}}<span class="field-error" data-field="complex">{{complexError}}</span>{{/complexError}}</label>
            <fieldset id="constituent"><legend>群众联系方式（可不填；加密保存，只在本节点）</legend>
              {{#constituentName}}<label class="line"><span>姓名</span> <input name="constituent.name" value="{{value}}" maxlength="50" autocomplete="off">{{> fieldError}}</label>{{/constituentName}}
              {{#constituentPhone}}<label class="line"><span>电话</span> <input name="constituent.phone" value="{{value}}" type="tel" maxlength="30" autocomplete="off">{{> fieldError}}</label>{{/constituentPhone}}
            </fieldset>
            <p><button type="submit">登记</button></p>
          </form>
        </section>
        </main>
        </body>
        </html>

        """
}
