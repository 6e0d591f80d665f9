import CongressCore
import CongressStore
import Foundation
import HTTPTypes
import Testing

@testable import CongressServer

/// The staff handle cases in the browser (SPEC §13): a township registers an opinion met at a reception day, assigns,
/// replies, records the feedback and closes it, each with the small form its state offers; an opinion goes up to the
/// county with the transfer form. Checked in a real Chromium against nodes on real sockets and databases, and through
/// the JSON API.
@Suite struct CaseFormTests {
    /// Register with the constituent's name and phone, then each step with its form; each checked on the page and in
    /// `GET /v1/cases/ID`. A reply before the assignment is refused on the page, nothing written; the case's text is
    /// text on the page, never markup; a reader sees the case but not the constituent, nor any form.
    @Test func aReceptionDayOpinionIsRegisteredAndHandledWithTheForms() async throws {
        try await Self.withTownship { node, api, driver in
            let deputy = try await api.create("deputies", Fixture.deputy(name: "钱坑镇代表", level: "township", congress: "420802101"))
            // Written into the driver's own script with its `/` escaped, so that it does not end that script.
            let content = "<script>alert(1)</script>"
            let registered = try await Self.view(
                driver,
                """
                let page = await open('/cases/new');
                const form = page.getElementById('case');
                form.elements.kind.value = 'opinion';
                form.elements.channel.value = 'reception';
                form.elements.subject.value = '校门口交通安全';
                form.elements.content.value = '<script>alert(1)<\\/script>';
                form.elements.category.value = '交通';
                form.elements.leadDeputy.value = '\(deputy)';
                form.elements.wantsMeeting.checked = true;
                form.elements['constituent.name'].value = '王小明';
                form.elements['constituent.phone'].value = '139-8765-4321';
                page = await press(form.querySelector('button[type=submit]'));
                """
            )
            let id = try #require(registered.url.split(separator: "/").last.map(String.init), "\(registered)")
            #expect(registered.url == "/cases/\(id)" && UUID(uuidString: id) != nil, "\(registered)")
            #expect(registered.subject == "校门口交通安全" && registered.content == content && registered.scripts == 0, "\(registered)")
            #expect(registered.facts["状态"] == "已登记" && registered.facts["接待代表"] == "钱坑镇代表" && registered.facts["渠道"] == "代表接待日")
            #expect(registered.facts["希望面谈"] == "是" && registered.facts["办理期限"] == "\(Activity.today().adding(days: 15))")
            #expect(registered.constituent == "王小明 13987654321", "\(registered)")
            #expect(registered.actions == ["assign", "transfer", "answer_on_spot", "explain", "supervise"], "\(registered.actions)")
            var stored = try await api.send(.get, "/v1/cases/\(id)", token: .admin).json
            #expect(stored["kind"] as? String == "opinion" && stored["channel"] as? String == "reception" && stored["content"] as? String == content)
            #expect(
                stored["deputyIds"] as? [String] == [deputy] && stored["wantsMeeting"] as? Bool == true && stored["state"] as? String == "registered"
            )
            let constituent = stored["constituent"] as? [String: Any]
            #expect(constituent?["name"] as? String == "王小明" && constituent?["phone"] as? String == "13987654321")
            let page = try await api.send(.get, "/cases/\(id)", token: .admin)
            #expect(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !page.body.contains(content))

            // On a phone's screen the pages fit its width: nothing to scroll sideways.
            var phone = try HeadlessChromium()
            phone.windowSize = (width: 390, height: 844)
            for path in ["/cases/\(id)", "/cases/new", "/cases"] {
                let html = try await api.send(.get, path, token: .admin).body
                let measured = try await phone.measure(html: html, script: "return [document.documentElement.scrollWidth, window.innerWidth];")
                let widths = try JSONDecoder().decode([Int].self, from: measured)
                #expect(widths.count == 2 && widths[0] <= widths[1], "\(path) is wider than a phone: \(widths)")
            }

            // A reply before the assignment: the assign form sent as a reply is refused on the page (409), nothing written.
            let before = try await node.snapshot()
            let refused = try await Self.view(
                driver,
                """
                let page = await open('/cases/\(id)');
                const form = page.querySelector('form.step[data-action=assign]');
                form.elements.action.value = 'reply';
                form.elements.leadUnit.value = '镇政府';
                const text = page.createElement('input');
                text.name = 'text';
                text.value = '已处理';
                form.append(text);
                page = await press(form.querySelector('button[type=submit]'));
                """
            )
            #expect(refused.message?.contains("HTTP 409") == true && refused.message?.contains("assign it first") == true, "\(refused)")
            #expect(refused.events.isEmpty && refused.facts["状态"] == "已登记" && refused.url == "/cases/\(id)/events")
            #expect(try await node.snapshot() == before)
            #expect(try await Self.events(api, id).isEmpty)

            // Assigned to a lead unit and two co-units; replied; the constituent satisfied; closed.
            let steps: [(action: String, fill: String, state: String, offered: [String])] = [
                (
                    "assign", "form.elements.leadUnit.value = '镇政府'; form.elements.coUnits.value = '镇派出所\\n镇中心学校';", "已交办",
                    ["assign", "transfer", "reply", "explain", "supervise"]
                ),
                ("reply", "form.elements.text.value = '已设置护学岗，减速带本周施工。';", "已答复", ["supervise", "feedback", "close"]),
                ("feedback", "form.elements.satisfaction.value = 'satisfied';", "已答复", ["supervise", "close"]),
                ("close", "", "已办结（办理完毕）", []),
            ]
            for (index, step) in steps.enumerated() {
                let after = try await Self.view(
                    driver,
                    """
                    let page = await open('/cases/\(id)');
                    const form = page.querySelector('form.step[data-action=\(step.action)]');
                    \(step.fill)
                    page = await press(form.querySelector('button[type=submit]'));
                    """
                )
                #expect(after.url == "/cases/\(id)" && after.message == nil, "\(step.action): \(after)")
                #expect(after.facts["状态"] == step.state && after.actions == step.offered, "\(step.action): \(after)")
                #expect(after.events == steps.prefix(index + 1).map(\.action), "\(step.action): \(after.events)")
                stored = try await api.send(.get, "/v1/cases/\(id)").json
                #expect(try await Self.events(api, id) == steps.prefix(index + 1).map(\.action))
                switch step.action {
                case "assign":
                    #expect(stored["state"] as? String == "assigned" && stored["units"] as? [String] == ["镇政府", "镇派出所", "镇中心学校"])
                    #expect(after.facts["承办单位（主办）"] == "镇政府" && after.facts["会办单位"] == "镇派出所、镇中心学校")
                case "reply":
                    #expect(stored["state"] as? String == "replied" && stored["repliedOn"] as? String == "\(Activity.today())")
                    #expect(after.texts == ["已设置护学岗，减速带本周施工。"])
                case "feedback":
                    #expect(stored["satisfaction"] as? String == "satisfied" && after.facts["满意度"] == "满意")
                default:
                    #expect(stored["state"] as? String == "closed" && stored["closedAs"] as? String == "handled")
                    #expect(after.facts["办结日期"] == "\(Activity.today())")
                }
            }
            let audit = try await TestDatabase.texts(
                "SELECT action || ' ' || record || ' ' || outcome FROM audit_log WHERE actor = 'user 赵敏' AND action LIKE 'POST /cases%' ORDER BY seq",
                on: node.database
            )
            let events = "/v1/cases/\(id)/events"
            #expect(
                audit == ["POST /cases /v1/cases/\(id) 303", "POST /cases/\(id)/events \(events) 409"]
                    + steps.map { _ in "POST /cases/\(id)/events \(events) 303" },
                "\(audit)"
            )

            // A reader: the case and its handling, not the constituent nor a form; the editor's readings were audited.
            let readings = try await Self.readings(node)
            #expect(readings > 0)
            let read = try await Self.view(driver, "let page = await open('/cases/\(id)');", as: "孙丽")
            #expect(read.subject == "校门口交通安全" && read.facts["状态"] == "已办结（办理完毕）" && read.events.count == 4, "\(read)")
            #expect(read.constituent == nil && !read.text.contains("王小明") && !read.text.contains("13987654321") && read.forms == 0, "\(read)")
            #expect(try await Self.readings(node) == readings)
            // The list, newest first, links the case; a reader may open it, not post to it.
            let list = try await Self.view(driver, "let page = await open('/cases');", as: "孙丽")
            #expect(list.rows == [id] && list.text.contains("校门口交通安全"), "\(list)")
            let viewer = try #require(try await AccountTests.signIn(api, "孙丽", "Correct-Horse-9").json["token"] as? String)
            let forbidden = try await ActivityFormTests.post(
                api,
                "/cases/\(id)/events",
                "action=reopen",
                headers: [.authorization: "Bearer \(viewer)"]
            )
            #expect(forbidden.status == .forbidden)
        }
    }

    /// The form refuses what the case refuses, beside the field, with what was typed kept: no subject, a phone that is
    /// no phone, two deputies on an opinion; nothing is written.
    @Test func aRefusedRegistrationKeepsWhatWasTyped() async throws {
        try await Self.withTownship { node, api, driver in
            let deputies = [
                try await api.create("deputies", Fixture.deputy(name: "甲代表", level: "township", congress: "420802101")),
                try await api.create("deputies", Fixture.deputy(name: "乙代表", level: "township", congress: "420802101")),
            ]
            let before = try await node.snapshot()
            let editor = try #require(try await AccountTests.signIn(api, "赵敏", "Correct-Horse-9").json["token"] as? String)
            let base = "kind=opinion&content=%E5%86%85%E5%AE%B9&regionCode=420802101"
            for (fields, field, kept) in [
                (base + "&channel=visit&subject=", "subject", "内容"),
                (base + "&channel=visit&subject=x&constituent.name=%E7%8E%8B&constituent.phone=12", "constituent.phone", "value=\"12\""),
                (
                    base + "&channel=visit&subject=x&leadDeputy=\(deputies[0])&coSigners=\(deputies[1])", "leadDeputy",
                    "value=\"\(deputies[1])\" checked"
                ),
                (base + "&channel=qr&subject=x", "channel", "value=\"x\""),
            ] {
                let reply = try await ActivityFormTests.post(api, "/cases", fields, headers: [.authorization: "Bearer \(editor)"])
                #expect(reply.status == .unprocessableContent, "\(field): \(reply.status)")
                #expect(reply.body.contains("data-field=\"\(field)\"") && reply.body.contains(kept), "\(field): \(reply.body.suffix(4000))")
            }
            #expect(try await node.snapshot() == before)
            #expect(try await TestDatabase.texts("SELECT count(*)::text FROM case_contacts", on: node.database) == ["0"])
        }
    }

    /// The transfer form offers the county, the node above, and nothing else; a transfer to the city sent anyway is
    /// refused (403). Transferred and synced, the county's page shows the subject and text the transfer carried, and
    /// the county assigns it with its own form.
    @Test func anOpinionGoesUpToTheCountyWithTheTransferForm() async throws {
        let federation = try await TestFederation.make()
        let chromium = try HeadlessChromium()
        try await TestFederation.serve([federation.county, federation.township]) { clients in
            let (county, township) = (clients[0], clients[1])
            _ = try await AccountTests.add("赵敏", .editor, password: "Correct-Horse-9", on: federation.township)
            _ = try await AccountTests.add("周明", .editor, password: "Correct-Horse-9", on: federation.county)
            let content = "村道路灯损坏多处，夜间出行不便，镇里无力解决，请区里统筹。"
            let reply = try await township.send(
                .post,
                "/v1/cases",
                json: """
                    {"kind": "opinion", "channel": "visit", "subject": "村道路灯维修", "content": "\(content)", "regionCode": "420802101",
                     "constituent": {"name": "李四", "phone": "13800001111"}}
                    """
            )
            let id = try #require(reply.json["id"] as? String, "\(reply.body)")
            let atTownship = PageDriver(chromium: chromium, node: township.baseURL!)
            let forged = try await Self.view(
                atTownship,
                """
                let page = await open('/cases/\(id)');
                const form = page.querySelector('form.step[data-action=transfer]');
                const offered = [...form.elements.to.options].map(option => option.value).join(',');
                const city = page.createElement('option');
                city.value = '4208';
                form.elements.to.append(city);
                form.elements.to.value = '4208';
                page = await press(form.querySelector('button[type=submit]'));
                page.body.dataset.offered = offered;
                """
            )
            #expect(forged.offered == "420802" && forged.message?.contains("HTTP 403") == true && forged.events.isEmpty, "\(forged)")
            let transferred = try await Self.view(
                atTownship,
                """
                let page = await open('/cases/\(id)');
                const form = page.querySelector('form.step[data-action=transfer]');
                page = await press(form.querySelector('button[type=submit]'));
                """
            )
            #expect(transferred.facts["状态"] == "已转交上级" && transferred.facts["承办节点"] == "东宝区" && transferred.events == ["transfer"], "\(transferred)")
            // The township handles it no more: nothing is its to do until the reply comes down.
            #expect(transferred.actions.isEmpty, "\(transferred.actions)")
            #expect(try await township.send(.get, "/v1/cases/\(id)").json["state"] as? String == "transferred")
            #expect(try await township.sync().error == nil)

            let atCounty = PageDriver(chromium: chromium, node: county.baseURL!)
            let received = try await Self.view(atCounty, "let page = await open('/cases/\(id)');", as: "周明")
            #expect(received.subject == "村道路灯维修" && received.content == content && received.facts["状态"] == "已转交上级", "\(received)")
            // The contact stays at the township; the county assigns (or supervises), the feedback is the township's.
            #expect(received.constituent == nil && received.actions == ["assign", "supervise"], "\(received)")
            let assigned = try await Self.view(
                atCounty,
                """
                let page = await open('/cases/\(id)');
                const form = page.querySelector('form.step[data-action=assign]');
                form.elements.leadUnit.value = '区城管局';
                page = await press(form.querySelector('button[type=submit]'));
                """,
                as: "周明"
            )
            #expect(assigned.facts["状态"] == "已交办" && assigned.facts["承办单位（主办）"] == "区城管局", "\(assigned)")
            let stored = try await county.send(.get, "/v1/cases/\(id)").json
            #expect(stored["state"] as? String == "assigned" && stored["handler"] as? String == "420802" && stored["content"] as? String == content)
        }
    }

    // MARK: Helpers

    /// A township node (龙泉街道, under the county, which is not running) on a real socket, with an editor 赵敏 and a
    /// viewer 孙丽, and a browser to drive its pages.
    private static func withTownship(_ body: @Sendable @escaping (TestNode, APIClient, PageDriver) async throws -> Void) async throws {
        let chromium = try HeadlessChromium()
        let ports = try (0..<2).map { _ in try LoopbackPort.free() }
        let yaml = TestTopology.city(ports: ["420802": ports[0], "420802101": ports[1]]).yaml
        let node = try await TestNode.make(node: "420802101", topologyYAML: yaml)
        try await node.serve(configure: TestFederation.live) { api in
            _ = try await AccountTests.add("赵敏", .editor, password: "Correct-Horse-9", on: node)
            _ = try await AccountTests.add("孙丽", .viewer, password: "Correct-Horse-9", on: node)
            try await body(node, api, PageDriver(chromium: chromium, node: api.baseURL!))
        }
    }

    /// Signs `name` in, runs `steps` (which leave the page they end on in `page`), and reads that page.
    private static func view(_ driver: PageDriver, _ steps: String, as name: String = "赵敏") async throws -> CasePage {
        let answer = try await driver.run(
            """
            await signIn('\(name)', 'Correct-Horse-9');
            \(steps)
            const textOf = element => element ? element.textContent.trim() : null;
            return {
                url: page.location.pathname, message: textOf(page.getElementById('message')),
                subject: textOf(page.getElementById('subject')), content: textOf(page.getElementById('content')),
                facts: Object.fromEntries([...page.querySelectorAll('#facts dd')].map(dd => [dd.dataset.label, dd.textContent.trim()])),
                constituent: page.getElementById('constituent-name') ? textOf(page.getElementById('constituent-name')) + ' ' + textOf(page.getElementById('constituent-phone')) : null,
                actions: [...page.querySelectorAll('form.step')].map(form => form.dataset.action),
                events: [...page.querySelectorAll('li.event')].map(item => item.dataset.action),
                texts: [...page.querySelectorAll('li.event .case-text')].map(textOf),
                rows: [...page.querySelectorAll('tr.case')].map(row => row.dataset.id),
                forms: page.querySelectorAll('form[method=post]').length, scripts: page.querySelectorAll('script').length,
                offered: page.body.dataset.offered ?? null, text: page.body.innerText
            };
            """
        )
        do {
            return try JSONDecoder().decode(CasePage.self, from: answer)
        } catch {
            throw TestSetupError("the page read as \(String(decoding: answer, as: UTF8.self)): \(error)")
        }
    }

    private static func events(_ api: APIClient, _ id: String) async throws -> [String] {
        let items = try await api.send(.get, "/v1/cases/\(id)/events").json["items"] as? [[String: Any]] ?? []
        return items.compactMap { $0["action"] as? String }
    }

    private static func readings(_ node: TestNode) async throws -> Int {
        Int(try await TestDatabase.texts("SELECT count(*)::text FROM audit_log WHERE action = 'read contact'", on: node.database).first ?? "") ?? -1
    }

    private struct CasePage: Decodable {
        var url: String
        var message: String?
        var subject: String?
        var content: String?
        var facts: [String: String]
        var constituent: String?
        var actions: [String]
        var events: [String]
        var texts: [String]
        var rows: [String]
        var forms: Int
        var scripts: Int
        var offered: String?
        var text: String
    }
}
