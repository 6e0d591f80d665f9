import CongressStore
import Foundation
import Testing

@testable import CongressCore
@testable import CongressServer

/// Cases across the federation (SPEC §13): an opinion a township cannot solve goes up to the county with its text,
/// the county's handling comes back down, the township records the feedback, and the city counts the case without
/// ever holding its text.
@Suite struct CaseTests {
    static func event(_ action: String, _ extra: String = "") -> String { #"{"action": "\#(action)"\#(extra)}"# }

    @Test func anOpinionTransferredUpIsHandledThereAndAnsweredForBelow() async throws {
        let federation = try await TestFederation.make()
        let year = Activity.today().year
        let rules = "version: 1\ncongress: \"420802101\"\nyear: \(year)\nbase: 60\nrules:\n  - { kind: opinion_handled, points: 2 }\n"
        let points = try PointsFolder.check(["420802101/\(year).yaml": rules], directory: "points")
        let nodes = [federation.city, federation.county, federation.township]
        let configure: @Sendable (inout AppConfiguration) -> Void = { configuration in
            TestFederation.live(&configuration)
            configuration.points = points
        }
        try await TestFederation.serve(nodes[...], configure: configure) { clients in
            let (city, county, township) = (clients[0], clients[1], clients[2])
            let deputy = try await township.create("deputies", Fixture.deputy(name: "钱坑镇代表", level: "township", congress: "420802101"))
            let content = "学校门口接送时段车辆拥堵，存在安全隐患，建议设置护学岗和减速带。"
            let reply = try await township.send(
                .post,
                "/v1/cases",
                json: """
                    {"kind": "opinion", "channel": "reception", "subject": "校门口交通安全", "content": "\(content)", "category": "交通",
                     "regionCode": "420802101", "deputyIds": ["\(deputy)"], "wantsMeeting": true,
                     "constituent": {"name": "王小明", "phone": "139-8765-4321"}}
                    """
            )
            #expect(reply.status == .created, "\(reply.body)")
            let id = try #require(reply.json["id"] as? String)
            #expect(reply.json["state"] as? String == "registered" && reply.json["handler"] as? String == "420802101")
            #expect(reply.json["dueOn"] as? String == "\(Activity.today().adding(days: 15))")
            // The constituent: shown to those who write here, each reading audited; not to readers.
            let forEditor = try await township.send(.get, "/v1/cases/\(id)", token: .admin).json["constituent"] as? [String: Any]
            #expect(forEditor?["name"] as? String == "王小明" && forEditor?["phone"] as? String == "13987654321", "\(String(describing: forEditor))")
            #expect(try await township.send(.get, "/v1/cases/\(id)").json["constituent"] == nil)
            let readings = try await TestDatabase.texts(
                "SELECT action FROM audit_log WHERE action = 'read contact'",
                on: federation.township.database
            )
            #expect(readings == ["read contact"])

            // Refused, nothing written: a reply before assignment, a transfer to a sibling, past the parent, downwards.
            func refused(_ json: String) async throws -> APIClient.Reply { try await township.send(.post, "/v1/cases/\(id)/events", json: json) }
            #expect(try await refused(Self.event("reply", #", "text": "已处理""#)).status == .conflict)
            for target in ["420802102", "4208", "420802101001"] {
                let transfer = try await refused(Self.event("transfer", #", "to": "\#(target)""#))
                #expect(transfer.status == .forbidden && transfer.error?.field == "to", "\(target): \(transfer.body)")
            }
            #expect(try await TestDatabase.texts("SELECT count(*)::text FROM case_events", on: federation.township.database) == ["0"])

            // Up to the county, with its text.
            #expect(try await refused(Self.event("transfer", #", "to": "420802""#)).status == .created)
            #expect(try await township.sync().error == nil)
            let atCounty = try await county.send(.get, "/v1/cases/\(id)")
            #expect(atCounty.json["content"] as? String == content && atCounty.json["state"] as? String == "transferred", "\(atCounty.body)")
            #expect(atCounty.json["handler"] as? String == "420802")
            // The township handles it no more.
            #expect(try await refused(Self.event("assign", #", "units": ["镇政府"]"#)).status == .forbidden)

            let countyEvents = [
                Self.event("assign", #", "units": ["区交通运输局", "区教育局"]"#), Self.event("reply", #", "text": "已设置护学岗，减速带本周施工。""#),
            ]
            for json in countyEvents {
                let answer = try await county.send(.post, "/v1/cases/\(id)/events", json: json)
                #expect(answer.status == .created, "\(answer.body)")
            }
            // The reply comes back down; the township records the feedback, once.
            #expect(try await township.sync().error == nil)
            let below = try await township.send(.get, "/v1/cases/\(id)")
            #expect(below.json["state"] as? String == "replied" && below.json["units"] as? [String] == ["区交通运输局", "区教育局"], "\(below.body)")
            let events = try await township.send(.get, "/v1/cases/\(id)/events").json["items"] as? [[String: Any]] ?? []
            #expect(events.map { $0["action"] as? String } == ["transfer", "assign", "reply"])
            #expect(events.last?["text"] as? String == "已设置护学岗，减速带本周施工。")
            #expect(try await refused(Self.event("feedback", #", "satisfaction": "satisfied""#)).status == .created)
            #expect(try await refused(Self.event("feedback", #", "satisfaction": "satisfied""#)).status == .conflict)
            #expect(try await township.sync().error == nil)
            #expect(try await county.send(.get, "/v1/cases/\(id)").json["satisfaction"] as? String == "satisfied")
            #expect(try await county.send(.post, "/v1/cases/\(id)/events", json: Self.event("close")).status == .created)
            #expect(try await county.sync().error == nil)

            // The city counts it, closed and satisfied, without its subject, text or reply.
            let atCity = try await city.send(.get, "/v1/cases/\(id)")
            #expect(atCity.json["state"] as? String == "closed" && atCity.json["satisfaction"] as? String == "satisfied", "\(atCity.body)")
            #expect(atCity.json["content"] == nil && atCity.json["subject"] == nil)
            let dump = try await TestDatabase.dump(federation.city.database)
            #expect(!dump.contains("护学岗") && !dump.contains("校门口"), "the text reached the city")
            // The constituent stays at the township, encrypted: in no dump in clear, nowhere above it at all.
            for node in [federation.city, federation.county, federation.township] {
                let text = try await TestDatabase.dump(node.database)
                #expect(!text.contains("王小明") && !text.contains("13987654321"), "\(node.node)")
            }
            #expect(try await TestDatabase.texts("SELECT count(*)::text FROM case_contacts", on: federation.county.database) == ["0"])
            #expect(try await TestDatabase.texts("SELECT count(*)::text FROM case_contacts", on: federation.township.database) == ["1"])

            // Closed: the receiving deputy's opinion handled counts in its points, once the township has the closing.
            #expect(try await township.sync().error == nil)
            let ranking = try await township.send(.get, "/v1/points?congress=420802101&year=\(year)").json["items"] as? [[String: Any]]
            #expect(ranking?.first?["points"] as? Int == 62, "\(String(describing: ranking))")

            // Closed above: once the closing has come down, the township erases the contact after the retention period.
            let today = Activity.today()
            let passes = try await TestDatabase.withClient(on: federation.township.database) { client throws in
                let contacts = ContactStore(client: client, logger: TestDatabase.quietLogger)
                let notYet = try await contacts.eraseDue(today: today, closedBefore: today.adding(days: -180))
                let due = try await contacts.eraseDue(today: today.adding(days: 181), closedBefore: today.adding(days: 1))
                return [notYet, due]
            }
            #expect(passes == [0, 1])
            // Erased at the constituent's request.
            let erased = try await township.send(.delete, "/v1/cases/\(id)/contact", token: .admin)
            #expect(erased.status == .ok && erased.json["erased"] as? Bool == false, "the retention pass erased it already")
            #expect(try await township.send(.get, "/v1/cases/\(id)", token: .admin).json["constituent"] == nil)
            #expect(try await TestDatabase.texts("SELECT count(*)::text FROM case_contacts", on: federation.township.database) == ["0"])
        }
    }

    /// A suggestion belongs to its congress: registered by its own deputies at that congress's node, never transferred.
    @Test func aSuggestionIsItsCongresssAndStaysThere() async throws {
        let (_, federation) = try await TopologyTravelTests.federation()
        let year = Activity.today().year
        let rules = """
            version: 1
            congress: "420802"
            year: \(year)
            base: 60
            rules:
              - { kind: suggestion_submitted, points: 3 }
              - { kind: suggestion_lead, points: 2 }
              - { kind: opinion_handled, points: 1 }

            """
        let points = try PointsFolder.check(["420802/\(year).yaml": rules], directory: "points")
        try await TopologyTravelTests.serve(federation.county, file: nil, points: points) { county in
            try await TopologyTravelTests.serve(federation.township, file: nil, points: points) { township in
                let countyDeputy = try await county.create("deputies", Fixture.deputy(name: "区代表"))
                let coSigner = try await county.create("deputies", Fixture.deputy(name: "区代表乙"))
                let townshipDeputy = try await township.create("deputies", Fixture.deputy(name: "镇代表", level: "township", congress: "420802101"))
                #expect(try await township.sync().error == nil)
                func suggestion(_ deputies: [String]) -> String {
                    """
                    {"kind": "suggestion", "channel": "session", "subject": "关于加强农村饮水安全的建议", "content": "建议……",
                     "regionCode": "420802", "deputyIds": [\(deputies.map { "\"\($0)\"" }.joined(separator: ", "))], "complex": true}
                    """
                }
                let foreign = try await county.send(.post, "/v1/cases", json: suggestion([countyDeputy, townshipDeputy]))
                #expect(foreign.status == .unprocessableContent && foreign.error?.field == "deputyIds[1]", "\(foreign.body)")
                let created = try await county.send(.post, "/v1/cases", json: suggestion([countyDeputy, coSigner]))
                #expect(created.status == .created && created.json["dueOn"] == nil, "\(created.body)")
                let id = try #require(created.json["id"] as? String)
                let transfer = try await county.send(.post, "/v1/cases/\(id)/events", json: Self.event("transfer", #", "to": "4208""#))
                #expect(transfer.status == .conflict, "\(transfer.body)")
                #expect(
                    try await county.send(.post, "/v1/cases/\(id)/events", json: Self.event("assign", #", "units": ["区水利局"]"#)).status == .created
                )
                let due = try await county.send(.get, "/v1/cases/\(id)").json["dueOn"] as? String
                #expect(due == "\(Activity.today().adding(months: 6))", "six months for a complex one")
                let ungraded = try await county.send(.post, "/v1/cases/\(id)/events", json: Self.event("reply", #", "text": "已纳入计划""#))
                #expect(ungraded.status == .unprocessableContent && ungraded.error?.field == "grade")

                // Points (SPEC §12): submitted counts for the lead and every co-signer, lead for the lead.
                let ranking = try await county.send(.get, "/v1/points?congress=420802&year=\(year)").json["items"] as? [[String: Any]] ?? []
                let byDeputy = Dictionary(uniqueKeysWithValues: ranking.map { (($0["deputyId"] as! String).uppercased(), $0["points"] as! Int) })
                #expect(byDeputy[countyDeputy.uppercased()] == 65 && byDeputy[coSigner.uppercased()] == 63, "\(ranking)")
                let dossier = try await county.send(.get, "/v1/deputies/\(countyDeputy)/dossier").json
                #expect((dossier["cases"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
                let lead = ((dossier["points"] as? [[String: Any]])?.first?["lines"] as? [[String: Any]])?.first {
                    $0["rule"] as? String == "suggestion_lead"
                }
                #expect((lead?["records"] as? [String])?.map { $0.uppercased() } == [id.uppercased()])
            }
        }
    }
}
