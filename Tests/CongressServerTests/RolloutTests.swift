import CongressCore
import CongressStore
import Foundation
import Hummingbird
import Testing

@testable import CongressServer

/// 荆门市 with two county nodes (东宝区, 掇刀区) and one township node (龙泉街道), each on its own database.
struct RolloutFederation {
    let city: TestNode
    let dongbao: TestNode
    let longquan: TestNode
    let duodao: TestNode

    static func make() async throws -> RolloutFederation {
        let ports = try (0..<4).map { _ in try LoopbackPort.free() }
        let yaml = TestTopology.city(ports: ["4208": ports[0], "420802": ports[1], "420802101": ports[2], "420804": ports[3]]).yaml
        let nodes = try await TestFederation.nodes(["4208", "420802", "420802101", "420804"], of: yaml)
        return RolloutFederation(city: nodes[0], dongbao: nodes[1], longquan: nodes[2], duodao: nodes[3])
    }

    func run(
        _ body: @Sendable (_ city: APIClient, _ dongbao: APIClient, _ longquan: APIClient, _ duodao: APIClient) async throws -> Void
    ) async throws {
        try await TestFederation.serve([city, dongbao, longquan, duodao]) { clients in try await body(clients[0], clients[1], clients[2], clients[3])
        }
    }
}

@Suite struct RolloutTests {
    /// The city plans a hybrid training with branch venues at two counties and a township; the plan reaches the
    /// branch nodes read-only; they sign deputies in; attendance travels up; the city's progress, absentees and
    /// coverage are right.
    @Test func aCityTrainingRollsOutAndItsAttendanceComesBack() async throws {
        let federation = try await RolloutFederation.make()
        try await federation.run { city, dongbao, longquan, duodao in
            let idNumber = #", "idNumber": "\#(syntheticIDNumber(11))""#
            // 王芳 holds a township and a county mandate: one person, trained once.
            let wangTownship = try await longquan.create(
                "deputies",
                Fixture.deputy(name: "王芳", region: "420802101001", level: "township", congress: "420802101", extra: idNumber)
            )
            let li = try await longquan.create(
                "deputies",
                Fixture.deputy(name: "李明", region: "420802101002", level: "township", congress: "420802101")
            )
            let resigned = try await longquan.create(
                "deputies",
                Fixture.deputy(name: "赵离任", region: "420802101", level: "township", congress: "420802101", extra: #", "status": "resigned""#)
                    .replacing(#""status": "in_office", "#, with: "")
            )
            _ = try await dongbao.create(
                "deputies",
                Fixture.deputy(name: "王芳", region: "420802101001", level: "county", congress: "420802", extra: idNumber)
            )
            _ = try await dongbao.create("deputies", Fixture.deputy(name: "陈泉口", region: "420802102", level: "county", congress: "420802"))
            let zhou = try await duodao.create("deputies", Fixture.deputy(name: "周掇刀", region: "420804101", level: "county", congress: "420804"))
            _ = try await duodao.create("deputies", Fixture.deputy(name: "吴区里", region: "420804", level: "county", congress: "420804"))
            _ = try await city.create("deputies", Fixture.deputy(name: "孙市代表", region: "4208", level: "city", congress: "4208"))
            for node in [longquan, dongbao, duodao] { #expect(try await node.sync().error == nil) }

            let training = try await city.create(
                Training.self,
                """
                {"title": "全市代表履职培训", "startsOn": "2026-12-01", "endsOn": "2026-12-02", "mode": "hybrid",
                 "audience": {"levels": ["city", "county", "township"], "regionPrefix": "4208"},
                 "venues": [{"kind": "main", "regionCode": "4208", "name": "市人大主会场", "capacity": 100},
                            {"kind": "branch", "regionCode": "420802", "name": "东宝分会场", "capacity": 10},
                            {"kind": "branch", "regionCode": "420804", "name": "掇刀分会场", "capacity": 1},
                            {"kind": "branch", "regionCode": "420802101", "name": "龙泉分会场", "capacity": 5}]}
                """
            )
            let trainingID = training.meta.id
            let venues = Dictionary(uniqueKeysWithValues: training.body.venues.map { ($0.name, "\($0.id!)") })

            // The roster: six persons; 王芳 once; 掇刀's one seat goes to the deputy whose region it is, the other overflows to the main venue.
            let roster = try await city.send(.get, "/v1/trainings/\(trainingID)/roster")
            #expect(roster.json["audience"] as? Int == 6, "\(roster.body)")
            let expected = Dictionary(
                uniqueKeysWithValues: (roster.json["venues"] as? [[String: Any]] ?? []).map { ($0["name"] as! String, $0["expected"] as! Int) }
            )
            #expect(expected == ["市人大主会场": 2, "东宝分会场": 1, "掇刀分会场": 1, "龙泉分会场": 2])
            let overflow = try #require(roster.json["overflow"] as? [[String: Any]])
            #expect(overflow.count == 1)
            #expect(overflow.first?["from"] as? String == venues["掇刀分会场"] && overflow.first?["to"] as? String == venues["市人大主会场"])
            let rosterCSV = try await city.send(.get, "/v1/trainings/\(trainingID)/roster?format=csv")
            #expect(rosterCSV.csvLines.count == 7)
            #expect(rosterCSV.body.components(separatedBy: "王芳").count == 2)

            // Down: the plan reaches the branch nodes, two levels down included, and is theirs to read only.
            for node in [dongbao, longquan, duodao] { #expect(try await node.sync().error == nil) }
            let atTownship = try await longquan.send(.get, "/v1/trainings/\(trainingID)")
            #expect(atTownship.status == .ok)
            let edit = try await longquan.send(.put, "/v1/trainings/\(trainingID)", json: atTownship.body)
            #expect(edit.status == .conflict, "\(edit.body)")

            // Sign-ins at the branches: bulk and single, repeated; one refused.
            let bulk = try await longquan.send(
                .post,
                "/v1/trainings/\(trainingID)/attendance",
                json: """
                    [{"deputyId": "\(wangTownship)", "venueId": "\(venues["龙泉分会场"]!)", "mode": "onsite"},
                     {"deputyId": "\(li)", "venueId": "\(venues["龙泉分会场"]!)", "mode": "onsite"},
                     {"deputyId": "\(wangTownship)", "venueId": "\(venues["龙泉分会场"]!)", "mode": "onsite"}]
                    """
            )
            #expect(bulk.status == .ok, "\(bulk.body)")
            #expect(bulk.json["created"] as? Int == 2 && bulk.json["unchanged"] as? Int == 1)
            let again = try await longquan.send(
                .post,
                "/v1/trainings/\(trainingID)/attendance",
                json: #"{"deputyId": "\#(li)", "venueId": "\#(venues["龙泉分会场"]!)", "mode": "onsite"}"#
            )
            #expect(again.status == .ok)
            let before = try await federation.longquan.snapshot()
            let notOnRoster = try await longquan.send(
                .post,
                "/v1/trainings/\(trainingID)/attendance",
                json: #"{"deputyId": "\#(resigned)", "venueId": "\#(venues["龙泉分会场"]!)", "mode": "onsite"}"#
            )
            #expect(notOnRoster.status == .unprocessableContent)
            #expect(notOnRoster.error?.field == "deputyId" && notOnRoster.error?.message.contains("not on the roster") == true, "\(notOnRoster.body)")
            #expect(try await federation.longquan.snapshot() == before)
            let online = try await duodao.send(
                .post,
                "/v1/trainings/\(trainingID)/attendance",
                json: #"{"deputyId": "\#(zhou)", "venueId": "\#(venues["掇刀分会场"]!)", "mode": "online"}"#
            )
            #expect(online.status == .created, "\(online.body)")

            // Up: attendance reaches the city.
            for node in [longquan, dongbao, duodao] { #expect(try await node.sync().error == nil) }
            let progress = try await city.send(.get, "/v1/trainings/\(trainingID)/progress")
            #expect(progress.json["audience"] as? Int == 6, "\(progress.body)")
            #expect(progress.json["covered"] as? Int == 3)
            #expect(progress.json["absentees"] as? Int == 3)
            let perVenue = Dictionary(
                uniqueKeysWithValues: (progress.json["venues"] as? [[String: Any]] ?? []).map {
                    ($0["name"] as! String, "\($0["expected"]!)/\($0["signedIn"]!)/\($0["online"]!)")
                }
            )
            #expect(perVenue == ["市人大主会场": "2/0/0", "东宝分会场": "1/0/0", "掇刀分会场": "1/0/1", "龙泉分会场": "2/2/0"])
            let absentees = try await city.send(.get, "/v1/trainings/\(trainingID)/progress/absentees?format=csv")
            #expect(absentees.headers[.contentType]?.hasPrefix("text/csv") == true)
            let names = Set(absentees.csvLines.dropFirst().map { String($0.split(separator: ",")[1]) })
            #expect(names == ["陈泉口", "吴区里", "孙市代表"])

            // The training feeds coverage: three persons trained in the city.
            let coverage = try await eventually {
                try await coverageItems(city, "?depth=0")
            } until: {
                ($0["4208"]?.json["training"] as? [String: Any])?["trained"] as? Int == 3
            }
            #expect((coverage["4208"]?.json["training"] as? [String: Any])?["trained"] as? Int == 3)
        }
    }
}

@Suite struct RolloutRefusalTests {
    static let venues = """
        [{"kind": "main", "regionCode": "4208", "name": "主会场", "capacity": 100},
         {"kind": "branch", "regionCode": "420802", "name": "东宝分会场", "capacity": 10}]
        """

    static func training(venues: String = venues, mode: String = "offline") -> String {
        """
        {"title": "培训", "startsOn": "2026-12-01", "endsOn": "2026-12-01", "mode": "\(mode)",
         "audience": {"levels": ["county"], "regionPrefix": "4208"}, "venues": \(venues)}
        """
    }

    @Test(arguments: [
        (
            "a branch venue outside the organizer's subtree",
            training(
                venues:
                    #"[{"kind": "main", "regionCode": "4208", "name": "主", "capacity": 9}, {"kind": "branch", "regionCode": "420101", "name": "外", "capacity": 9}]"#
            ), HTTPResponse.Status.forbidden, "venues[1].regionCode"
        ),
        (
            "two main venues",
            training(
                venues:
                    #"[{"kind": "main", "regionCode": "4208", "name": "主", "capacity": 9}, {"kind": "main", "regionCode": "420802", "name": "又一个主", "capacity": 9}]"#
            ), .unprocessableContent, "venues"
        ),
        (
            "no main venue", training(venues: #"[{"kind": "branch", "regionCode": "420802", "name": "分", "capacity": 9}]"#), .unprocessableContent,
            "venues"
        ),
        (
            "a capacity of 0", training(venues: #"[{"kind": "main", "regionCode": "4208", "name": "主", "capacity": 0}]"#), .unprocessableContent,
            "venues[0].capacity"
        ),
        (
            "a negative capacity", training(venues: #"[{"kind": "main", "regionCode": "4208", "name": "主", "capacity": -5}]"#), .unprocessableContent,
            "venues[0].capacity"
        ),
    ])
    func badPlansAreRefusedAndChangeNothing(_ name: String, body: String, status: HTTPResponse.Status, field: String) async throws {
        let node = try await TestNode.make(node: "4208")
        try await node.run { api in
            let before = try await node.snapshot()
            let reply = try await api.send(.post, "/v1/trainings", json: body)
            #expect(reply.status == status, "\(name): \(reply.body)")
            #expect(reply.error?.field == field, "\(name): \(reply.body)")
            #expect(try await node.snapshot() == before)
        }
    }

    @Test func signInsThatDoNotFitAreRefusedAndChangeNothing() async throws {
        let node = try await TestNode.make(node: "4208")
        try await node.run { api in
            let county = try await api.create("deputies", Fixture.deputy(name: "县代表", region: "420802101", level: "county", congress: "420802"))
            let township = try await api.create(
                "deputies",
                Fixture.deputy(name: "乡代表", region: "420802101", level: "township", congress: "420802101")
            )
            let plan = try await api.create(Training.self, Self.training())
            let id = plan.meta.id
            let venue = try #require(plan.body.venues.first?.id)
            let before = try await node.snapshot()
            let cases: [(String, String, HTTPResponse.Status, String)] = [
                (
                    "not in the audience (township level)", #"{"deputyId": "\#(township)", "venueId": "\#(venue)", "mode": "onsite"}"#,
                    .unprocessableContent, "deputyId"
                ),
                (
                    "online at an offline training", #"{"deputyId": "\#(county)", "venueId": "\#(venue)", "mode": "online"}"#, .unprocessableContent,
                    "mode"
                ),
                (
                    "a venue of another training", #"{"deputyId": "\#(county)", "venueId": "\#(UUID())", "mode": "onsite"}"#, .unprocessableContent,
                    "venueId"
                ),
                ("an unknown deputy", #"{"deputyId": "\#(UUID())", "venueId": "\#(venue)", "mode": "onsite"}"#, .unprocessableContent, "deputyId"),
                ("an unknown field", #"{"deputyId": "\#(county)", "venueId": "\#(venue)", "mode": "onsite", "walkIn": true}"#, .badRequest, "walkIn"),
                (
                    "one bad entry in a bulk",
                    #"[{"deputyId": "\#(county)", "venueId": "\#(venue)", "mode": "onsite"}, {"deputyId": "\#(township)", "venueId": "\#(venue)", "mode": "onsite"}]"#,
                    .unprocessableContent, "[1].deputyId"
                ),
            ]
            for (name, body, status, field) in cases {
                let reply = try await api.send(.post, "/v1/trainings/\(id)/attendance", json: body)
                #expect(reply.status == status, "\(name): \(reply.body)")
                #expect(reply.error?.field == field, "\(name): \(reply.body)")
            }
            #expect(try await node.snapshot() == before)
            #expect(try await api.send(.post, "/v1/trainings/\(UUID())/attendance", json: "{}").status == .notFound)

            // A training that takes walk-ins lets the township deputy in, marked as such.
            let open = try await api.create(
                Training.self,
                Self.training().replacing(#""mode": "offline""#, with: #""mode": "offline", "walkIns": true"#)
            )
            let openID = open.meta.id
            let openVenue = try #require(open.body.venues.first?.id)
            let walkIn = try await api.send(
                .post,
                "/v1/trainings/\(openID)/attendance",
                json: #"{"deputyId": "\#(township)", "venueId": "\#(openVenue)", "mode": "onsite"}"#
            )
            #expect(walkIn.status == .created, "\(walkIn.body)")
            #expect(try walkIn.decode(Record<Attendance>.self).body.walkIn == true)
            let progress = try await api.send(.get, "/v1/trainings/\(openID)/progress")
            #expect(progress.json["walkIns"] as? Int == 1 && progress.json["covered"] as? Int == 0)
        }
    }
}
