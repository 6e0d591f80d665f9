import CongressStore
import Foundation
import Testing

@testable import CongressCore
@testable import CongressServer

/// Overdue cases first (SPEC §13: "overdue cases are flagged, counted and shown"): the case list's `order=overdue`,
/// page by page, and the dashboard's list of overdue and supervised cases.
@Suite struct CaseOverdueTests {
    /// The list is rendered once for each state of the data (`RenderedPages`): asked again unchanged it answers the same
    /// page; after any write — through this node, or through another process on its database, as `congress` commands
    /// beside a serving node — the next page shows it.
    @Test func theListShowsEveryWriteAtOnceThoughItIsRenderedOncePerStateOfTheData() async throws {
        let node = try await TestNode.make(node: "420802")
        try await node.run { api in
            let writer = CaseWriter(api: api, congress: "420802", level: "county", regions: ["420802"], parent: nil)
            let today = Activity.today()
            let first = try await writer.register(kind: .opinion, region: "420802", on: today.adding(days: -30), deputies: [])
            let path = "/v1/cases?order=overdue&limit=50"
            func listed() async throws -> [[String: Any]] {
                let reply = try await api.send(.get, path)
                #expect(reply.status == .ok, "\(reply.body)")
                return reply.json["items"] as? [[String: Any]] ?? []
            }
            let before = try await api.send(.get, path)
            #expect(try await api.send(.get, path).body == before.body)
            #expect(try await listed().map { $0["overdue"] as? Bool } == [true])

            try await writer.event(first, "answer_on_spot", #", "text": "当场解答""#)
            #expect(try await listed().map { $0["state"] as? String } == ["closed"])

            let registeredBeside = try await node.run { beside in
                try await CaseWriter(api: beside, congress: "420802", level: "county", regions: ["420802"], parent: nil)
                    .register(kind: .opinion, region: "420802102", on: today, deputies: [])
            }
            #expect(Set(try await listed().compactMap { $0["id"] as? String }) == [first, registeredBeside])
        }
    }

    @Test func theOverdueFirstListPagesThroughEveryCaseInRankDeadlineAndIdOrder() async throws {
        let node = try await TestNode.make(node: "420802")
        try await node.run { api in
            let writer = CaseWriter(api: api, congress: "420802", level: "county", regions: ["420802"], parent: nil)
            let deputy = try await api.create("deputies", Fixture.deputy(region: "420802"))
            let today = Activity.today()
            // Opinions due 25, 5 and 1 days ago, in 15 days; one replied late; two closed; suggestions with and without a deadline.
            for (ago, region) in [(40, "420802"), (20, "420802102"), (16, "420802"), (0, "420802102"), (3, "420802")] {
                _ = try await writer.register(kind: .opinion, region: region, on: today.adding(days: -ago), deputies: [])
            }
            let replied = try await writer.register(kind: .opinion, region: "420802", on: today.adding(days: -40), deputies: [])
            try await writer.event(replied, "assign", #", "units": ["区政府办"]"#)
            try await writer.event(replied, "reply", #", "text": "已答复""#)
            for ago in [30, 2] {
                let closed = try await writer.register(kind: .opinion, region: "420802102", on: today.adding(days: -ago), deputies: [])
                try await writer.event(closed, "answer_on_spot", #", "text": "当场解答""#)
            }
            // Assigned 100 days ago: three months have passed a week or so ago.
            let late = try await writer.register(kind: .suggestion, region: "420802", on: today.adding(days: -100), deputies: [deputy])
            try await writer.event(late, "assign", #", "units": ["区水利局"], "on": "\#(today.adding(days: -100))""#)
            let supervised = try await writer.register(kind: .suggestion, region: "420802", on: today, deputies: [deputy])
            try await writer.event(supervised, "supervise")

            /// Every page of `query` (limit 3), and the cases as the region-ordered list shows them.
            func pages(_ query: String) async throws -> [[String: Any]] {
                var (items, cursor): ([[String: Any]], String?) = ([], nil)
                repeat {
                    let reply = try await api.send(.get, "/v1/cases?order=overdue&limit=3\(query)" + (cursor.map { "&cursor=\($0)" } ?? ""))
                    #expect(reply.status == .ok, "\(reply.body)")
                    items += reply.json["items"] as? [[String: Any]] ?? []
                    cursor = reply.json["nextCursor"] as? String
                } while cursor != nil && items.count < 100
                return items
            }
            /// The order SPEC §13 asks for, worked out from each case's status as the API shows it.
            func expected(_ cases: [[String: Any]]) -> [String] {
                func key(_ item: [String: Any]) -> (Int, String, String) {
                    let rank = item["overdue"] as? Bool == true ? 0 : item["state"] as? String == "closed" ? 2 : 1
                    return (rank, item["dueOn"] as? String ?? "9999-99-99", (item["id"] as! String).lowercased())
                }
                return cases.sorted { key($0) < key($1) }.map { $0["id"] as! String }
            }
            let all = try await api.send(.get, "/v1/cases?limit=1000").json["items"] as? [[String: Any]] ?? []
            #expect(all.count == 10)
            let listed = try await pages("")
            #expect(listed.map { $0["id"] as! String } == expected(all))
            #expect(listed.prefix(4).allSatisfy { $0["overdue"] as? Bool == true } && listed.filter { $0["overdue"] as? Bool == true }.count == 4)
            #expect(listed.first?["dueOn"] as? String == "\(today.adding(days: -25))", "the longest overdue first")
            #expect(listed.suffix(2).allSatisfy { $0["state"] as? String == "closed" })
            // The list's filters still hold, in the same order.
            let suggestions = try await pages("&kind=suggestion")
            #expect(suggestions.map { $0["id"] as! String } == expected(all.filter { $0["kind"] as? String == "suggestion" }))
            let region = try await pages("&region=420802102")
            #expect(region.map { $0["id"] as! String } == expected(all.filter { $0["regionCode"] as? String == "420802102" }))

            // Refused with the parameter named, nothing else answered.
            for (query, field) in [
                ("order=soon", "order"), ("order=overdue&includeDeleted=true", "includeDeleted"),
                ("order=overdue&cursor=420802~\(UUID().uuidString.lowercased())", "cursor"),
                ("cursor=d0~45000~\(UUID().uuidString.lowercased())", "cursor"), ("order=overdue&cursor=d3~~\(UUID().uuidString)", "cursor"),
            ] {
                let refused = try await api.send(.get, "/v1/cases?\(query)")
                #expect(refused.status == .unprocessableContent && refused.error?.field == field, "\(query): \(refused.body)")
            }
            // Other lists take no order: an unknown parameter, as any other.
            let stations = try await api.send(.get, "/v1/stations?order=overdue")
            #expect(stations.status == .badRequest && stations.error?.field == "order", "\(stations.body)")
        }
    }

    /// The dashboard lists the overdue and supervised cases with their subject as text: a subject written as markup is
    /// shown as what was written, runs nothing and makes no element.
    @Test func theDashboardListsOverdueAndSupervisedCasesWithTheirSubjectAsText() async throws {
        let chromium = try HeadlessChromium()
        let yaml = TestTopology.city(ports: ["420802": try LoopbackPort.free()]).yaml
        let node = try await TestNode.make(node: "420802", topologyYAML: yaml)
        try await node.serve(configure: TestFederation.live) { api in
            let today = Activity.today()
            let markup = "<script>document.title='pwned'</script><b>x</b>"
            let escaped = try String(decoding: JSONEncoder().encode(markup), as: UTF8.self)
            let overdue = try await api.create(
                "cases",
                """
                {"kind": "opinion", "channel": "reception", "subject": \(escaped), "content": \(escaped), "regionCode": "420802102",
                 "registeredOn": "\(today.adding(days: -40))"}
                """
            )
            let writer = CaseWriter(api: api, congress: "420802", level: "county", regions: ["420802"], parent: nil)
            let supervised = try await writer.register(kind: .opinion, region: "420802", on: today, deputies: [])
            try await writer.event(supervised, "supervise")
            let quiet = try await writer.register(kind: .opinion, region: "420802", on: today, deputies: [])

            let html = try await api.send(.get, "/").body
            let section = try #require(
                html.components(separatedBy: "<section id=\"cases\">").dropFirst().first?.components(separatedBy: "</section>").first
            )
            #expect(
                section.contains("共 2 件") && section.contains("/cases/\(overdue.lowercased())")
                    && section.contains("/cases/\(supervised.lowercased())"),
                "\(section)"
            )
            #expect(!section.contains(quiet.lowercased()) && section.contains("逾期 25 天") && section.contains("督办"), "\(section)")
            // The county's row of the case figures counts them: three opinions, all awaiting a reply, one overdue, none closed.
            let figures = try #require(html.components(separatedBy: "<section id=\"case-figures\">").dropFirst().first)
            let row = try #require(figures.components(separatedBy: "data-code=\"420802\"").dropFirst().first?.components(separatedBy: "</tr>").first)
            let numbers = row.components(separatedBy: "<td class=\"num").dropFirst().map { $0.drop { $0 != ">" }.dropFirst().prefix { $0 != "<" } }
            #expect(numbers == ["3", "0", "3", "1", "0"] && row.contains("0.0%") && row.contains("0/3 件办结"), "\(row)")

            let measured = try await chromium.measure(
                html: html,
                script: """
                    const cell = document.querySelector('#cases td.subject');
                    return { title: document.title, subject: cell.textContent, bold: document.querySelectorAll('#cases b').length,
                             scripts: document.querySelectorAll('#cases script').length, rows: document.querySelectorAll('#cases tr.case').length,
                             hidden: Math.max(...[...document.querySelectorAll('.scroll')].map(box => box.scrollWidth - box.clientWidth)) };
                    """
            )
            struct Seen: Decodable {
                var title: String
                var subject: String
                var bold: Int
                var scripts: Int
                var rows: Int
                /// Table width beyond its box, at most, at the browser's window size.
                var hidden: Double
            }
            let seen = try JSONDecoder().decode(Seen.self, from: measured)
            #expect(seen.subject == markup && seen.bold == 0 && seen.scripts == 0 && seen.rows == 2, "\(seen)")
            #expect(seen.title.hasSuffix("代表家站点覆盖") && !seen.title.contains("pwned"), "\(seen.title)")
            #expect(seen.hidden <= 0, "a table needs scrolling at \(chromium.windowSize.width) px")
        }
    }
}
