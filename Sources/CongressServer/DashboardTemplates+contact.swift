/// The public contact pages (SPEC §13, 码上约代表): no sign-in, made for a phone, in the dashboard's look (its `head`).
/// Whatever a constituent wrote is only ever inserted with `{{…}}`, which escapes it.
extension DashboardTemplates {
    static let contactPages = [
        ("publicHead", publicHead), ("contactForm", contactForm), ("contactReceived", contactReceived), ("caseProgress", caseProgress),
    ]

    /// Narrow screens first: one column, fields as wide as the phone.
    private static let publicHead = """
        {{> head}}
        <style>
          main.public { max-width: 640px; margin: 0 auto; padding: 12px; }
          main.public label { display: block; margin: 10px 0 4px; color: #52606d; }
          main.public textarea, main.public input:not([type=checkbox]), main.public select { width: 100%; box-sizing: border-box; font-size: 16px; padding: 8px; }
          main.public textarea { height: 160px; }
          main.public button { font-size: 16px; padding: 10px 20px; margin-top: 12px; }
          .notice { background: #fffde7; border-left: 4px solid #f0a500; padding: 8px 12px; font-size: 13px; }
          .receipt { font-size: 28px; letter-spacing: 3px; font-weight: 600; font-family: monospace; }
          .reply { border-left: 4px solid #2e7d32; padding: 4px 12px; margin: 8px 0; white-space: pre-wrap; }
        </style>
        """

    private static let contactForm = """
        <!doctype html>
        <html lang="zh-CN">
        <head><title>给{{ownerName}}留言 · {{nodeName}}人大</title>{{> publicHead}}</head>
        <body>
        <header><h1>码上约代表 · {{ownerName}}</h1><p>{{nodeName}}人大</p></header>
        <main class="public">
        {{#message}}<p class="error banner" id="message">{{message}}</p>{{/message}}
        <section>
          <form method="post" action="/c/{{code}}" id="contact">
            <label for="content">您的意见建议（必填）</label>
            <textarea id="content" name="content" required maxlength="{{contentLimit}}">{{content}}</textarea>
            <label for="category">类别（选填）</label>
            <select id="category" name="category"><option value="">请选择</option>{{#categories}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/categories}}</select>
            <label for="name">姓名（选填）</label>
            <input id="name" name="name" maxlength="{{nameLimit}}" autocomplete="name" value="{{name}}">
            <label for="phone">电话（选填，用于反馈办理情况）</label>
            <input id="phone" name="phone" type="tel" inputmode="tel" maxlength="20" autocomplete="tel" value="{{phone}}">
            <label><input type="checkbox" name="wantsMeeting" value="true"{{#wantsMeeting}} checked{{/wantsMeeting}}> 希望与代表当面交流</label>
            <p class="notice" id="notice">个人信息处理说明：您的留言由{{nodeName}}人大常委会（本节点）接收处理，用于转交代表、依法办理并向您反馈。姓名和电话为选填，仅用于联系您反馈办理情况，加密保存在本节点，不向上级传送，办结后 {{retentionDays}} 天删除，您也可以随时要求删除。需要上级人大办理时，只转交留言内容，不转交您的姓名和电话。</p>
            <button type="submit">提交留言</button>
          </form>
        </section>
        <section><form method="get" action="/c/status" id="lookup"><label for="receipt">已留言？输入回执码查看办理进度</label><input id="receipt" name="receipt" maxlength="10" autocomplete="off"><button type="submit">查看</button></form></section>
        </main>
        </body>
        </html>

        """

    private static let contactReceived = """
        <!doctype html>
        <html lang="zh-CN">
        <head><title>已收到您的留言 · {{nodeName}}人大</title>{{> publicHead}}</head>
        <body>
        <header><h1>已收到您的留言</h1><p>{{nodeName}}人大</p></header>
        <main class="public"><section>
          <p>请记下回执码，凭它查看办理进度和答复：</p>
          <p class="receipt" id="receipt">{{receipt}}</p>
          <p><a href="/c/status/{{receipt}}" id="status">查看办理进度</a></p>
        </section></main>
        </body>
        </html>

        """

    private static let caseProgress = """
        <!doctype html>
        <html lang="zh-CN">
        <head><title>办理进度 · {{nodeName}}人大</title>{{> publicHead}}</head>
        <body>
        <header><h1>留言办理进度</h1><p>{{nodeName}}人大</p></header>
        <main class="public"><section>
          <p>状态：<strong id="state" data-state="{{stateCode}}">{{state}}</strong></p>
          <p class="muted">登记于 {{registeredOn}}{{#dueOn}}，答复期限 {{dueOn}}{{/dueOn}}</p>
          {{#replies}}<div class="reply" data-on="{{on}}"><span class="muted">{{on}} 答复：</span>
        {{text}}</div>{{/replies}}
          {{^replies}}<p class="muted" id="no-reply">尚未答复。</p>{{/replies}}
        </section></main>
        </body>
        </html>

        """
}
