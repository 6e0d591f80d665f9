import CongressCore
import CongressStore
import Foundation
import Hummingbird
import Testing

@Suite struct DashboardTests {
    /// The city's dashboard after the county stopped: rendered by a real browser, the bars are as long as their
    /// ratios, the stale county and its township are highlighted, the page fits the window, and the sync and training
    /// sections say what happened.
    @Test func theCityDashboardLooksRightInABrowser() async throws {
        let chromium = try HeadlessChromium()
        let federation = try await TestFederation.make(townshipSchedule: "* * * * *", countySchedule: "* * * * *")
        let writing: @Sendable (APIClient, APIClient, APIClient) async throws -> Void = { township, _, city in
            for code in ["420802101001", "420802101002", "420802101003"] { _ = try await township.create("units", Fixture.unit(code: code)) }
            _ = try await township.create("stations", Fixture.station(units: ["420802101001", "420802101002"]))
            var deputies: [String] = []
            for index in 0..<4 {
                deputies.append(try await township.create("deputies", Fixture.deputy(name: "代表\(index)", level: "township", congress: "420802101")))
            }
            // Two of the four took part in a confirmed group activity today; a visit awaits confirmation.
            let group = try await township.create(
                "groups",
                #"{"name": "龙泉小组", "kind": "geographic", "congressCode": "420802101", "regionCode": "420802101", "members": [{"deputyId": "\#(deputies[0])", "role": "leader"}]}"#
            )
            _ = try await township.create(
                "activities",
                #"{"kind": "group_activity", "title": "小组活动", "on": "\#(Activity.today())", "regionCode": "420802101", "groupId": "\#(group)", "participants": ["\#(deputies[0])", "\#(deputies[1])"], "constituentsMet": 12, "confirmed": true}"#
            )
            _ = try await township.create(
                "activities",
                #"{"kind": "visit", "title": "走访", "on": "\#(Activity.today())", "regionCode": "420802101", "participants": ["\#(deputies[2])"]}"#
            )
            _ = try await city.create("stations", Fixture.station(name: "掇刀区代表联络站", region: "420804", units: []))
            _ = try await city.create("trainings", Fixture.training())
        }
        try await federation.afterCountyStops(writing: writing) { city in
            _ = try await federation.missCountyRun()
            let read = federation.city.secrets.readToken
            let html = try await eventually {
                try await city.send(.get, "/").body
            } until: {
                $0.contains("数据过期")
            }
            #expect(html.contains("荆门市人大"))
            // The duty block of 龙泉街道: half its mandates active, its kinds in Chinese, its group and the people received.
            let township = try #require(
                html.components(separatedBy: "data-code=\"420802101\"").dropFirst().first?.components(separatedBy: "</tr>").first
            )
            #expect(html.contains("代表履职<br>\(Activity.today().year) 年"))
            #expect(township.contains("2/4 名代表有活动") && township.contains("代表小组活动 1") && !township.contains("走访联系群众"), "\(township)")
            #expect(township.contains("小组 1 个 · 活动 1 次 · 0 个年满 4 次") && township.contains("接待群众 12 人次"), "\(township)")

            // The browser signs in with the token (redirect, cookie) and gets the dashboard itself.
            let base = city.baseURL!
            let live = try await chromium.dumpDOM("\(base)/?token=\(read)")
            #expect(live.contains("覆盖统计") && live.contains("东宝区") && !live.contains("type=\"password\""), "\(live.prefix(400))")
            let refused = try await chromium.dumpDOM("\(base)/?token=wrong")
            #expect(refused.contains("令牌无效"))

            let measured = try await chromium.measure(
                html: html,
                script: """
                    const rows = [...document.querySelectorAll('tr.region')].map(row => ({
                        code: row.dataset.code, stale: row.classList.contains('stale'),
                        background: getComputedStyle(row.cells[0]).backgroundColor,
                        nameWidth: row.cells[0].querySelector('a').getBoundingClientRect().width,
                        bars: [...row.querySelectorAll('.bar')].map(bar => ({
                            track: bar.getBoundingClientRect().width, fill: bar.firstElementChild.getBoundingClientRect().width,
                            percent: parseFloat(bar.nextElementSibling.textContent) })) }));
                    const tables = [...document.querySelectorAll('.scroll')].map(box => box.scrollWidth - box.clientWidth);
                    return { rows, pageWidth: document.documentElement.scrollWidth, windowWidth: window.innerWidth, hiddenWidth: Math.max(...tables),
                             staleEdges: [...document.querySelectorAll('tr.edge.stale')].map(row => row.dataset.code),
                             trainings: document.querySelectorAll('tr.training').length };
                    """
            )
            let layout = try JSONDecoder().decode(Layout.self, from: measured)
            #expect(layout.pageWidth <= layout.windowWidth, "the page is wider than the window: \(layout.pageWidth) > \(layout.windowWidth)")
            #expect(layout.hiddenWidth <= 0, "a table needs scrolling at \(chromium.windowSize.width) px: \(layout.hiddenWidth) px hidden")
            #expect(layout.rows.map(\.code) == ["4208", "420802", "420802101", "420802102", "420804"])
            #expect(layout.rows.filter(\.stale).map(\.code) == ["4208", "420802", "420802101", "420802102"])
            let freshBackground = try #require(layout.rows.first { !$0.stale }?.background)
            #expect(layout.rows.filter(\.stale).allSatisfy { $0.background != freshBackground }, "stale rows are not highlighted")
            #expect(layout.rows.allSatisfy { $0.nameWidth > 20 }, "a region name is not visible")
            let bars = layout.rows.flatMap(\.bars)
            #expect(bars.count > 10)
            for bar in bars {
                #expect(abs(bar.fill / bar.track - bar.percent / 100) < 0.02, "a bar of \(bar.percent)% is \(bar.fill) of \(bar.track) px")
            }
            // 2 of 3 villages are covered in 龙泉街道.
            #expect(layout.rows.first { $0.code == "420802101" }?.bars.first?.percent == 66.7)
            #expect(layout.staleEdges == ["420802"])
            #expect(layout.trainings == 1)

            // CONGRESS_SCREENSHOT=docs/dashboard.png keeps the picture (the README's is made this way).
            let kept = ProcessInfo.processInfo.environment["CONGRESS_SCREENSHOT"]
            let shot =
                kept.map { URL(fileURLWithPath: $0) }
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("dashboard-\(UUID().uuidString).png")
            defer { if kept == nil { try? FileManager.default.removeItem(at: shot) } }
            try await chromium.screenshot("\(base)/?token=\(read)", to: shot)
            let png = try Data(contentsOf: shot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            // IHDR: width and height, big-endian, at bytes 16...23.
            let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
            #expect(width == chromium.windowSize.width)
        }
    }

    /// A person signs in with the dashboard's own form, in a real browser: the right password gets the dashboard, a wrong
    /// one the form again.
    @Test func aPersonSignsInWithTheFormInABrowser() async throws {
        let chromium = try HeadlessChromium()
        let yaml = TestTopology.city(ports: ["420802": try LoopbackPort.free()]).yaml
        let node = try await TestNode.make(node: "420802", topologyYAML: yaml)
        try await node.serve(configure: TestFederation.live) { api in
            _ = try await AccountTests.add("李明", .viewer, password: "Correct-Horse-9", on: node)
            let form = try await api.send(.get, "/", token: Token.none)
            #expect(form.status == .unauthorized && form.body.contains("name=\"password\""))
            func submitting(_ password: String) -> String {
                form.body.replacingOccurrences(
                    of: "</body>",
                    with: """
                        <script>
                        document.querySelector('input[name=name]').value = '李明';
                        document.querySelector('input[name=password]').value = '\(password)';
                        document.getElementById('signin').submit();
                        </script></body>
                        """
                )
            }
            let signedIn = try await chromium.dumpDOM(html: submitting("Correct-Horse-9"), base: api.baseURL!)
            #expect(signedIn.contains("覆盖统计") && !signedIn.contains("name=\"password\""), "\(signedIn.prefix(600))")
            let refused = try await chromium.dumpDOM(html: submitting("wrong-Password-1"), base: api.baseURL!)
            #expect(refused.contains("用户名、密码或动态口令不正确") && refused.contains("name=\"password\""), "\(refused.prefix(600))")
            let entries = try await TestDatabase.texts(
                "SELECT actor || ' ' || outcome FROM audit_log WHERE action = 'sign in' ORDER BY seq",
                on: node.database
            )
            #expect(entries == ["user 李明 signed in", "user 李明 refused (wrong credentials)"], "\(entries)")
        }
    }

    @Test func withoutATokenTheDashboardAsksForOne() async throws {
        let node = try await TestNode.make()
        try await node.run { api in
            let page = try await api.send(.get, "/", token: Token.none)
            #expect(page.status == .unauthorized)
            #expect(page.body.contains("<form") && page.body.contains("令牌") && page.body.contains("name=\"password\""))
            let signedIn = try await api.send(.get, "/?token=\(node.secrets.readToken)&depth=1", token: Token.none)
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.headers[.location] == "/?depth=1")
            #expect(signedIn.headers[.setCookie]?.contains("HttpOnly") == true)
            let bad = try await api.send(.get, "/?depth=9")
            #expect(bad.status == .unprocessableContent)
            #expect(bad.body.contains("depth"))
        }
    }

    private struct Layout: Decodable {
        struct Row: Decodable {
            struct Bar: Decodable {
                var track: Double
                var fill: Double
                var percent: Double
            }

            var code: String
            var stale: Bool
            var background: String
            var nameWidth: Double
            var bars: [Bar]
        }

        var rows: [Row]
        var pageWidth: Double
        var windowWidth: Double
        var hiddenWidth: Double
        var staleEdges: [String]
        var trainings: Int
    }
}
