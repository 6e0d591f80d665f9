import CongressStore
import Foundation
import Testing

@testable import CongressCore
@testable import CongressServer

/// Duty performance (SPEC §12) across the federation: activities, groups and sign-ins recorded at every level, scored
/// by the rules files, ranked and explained — each score checked against a plain recomputation from the raw rows.
@Suite struct DutyTests {
    /// A rule as the test writes it: the oracle reads these, the nodes read the YAML made from them.
    struct Rule {
        var kind: String
        var points: Int
        var per = "occurrence"
        var cap: Int?
    }

    struct RulesFile {
        var congress: String
        var year: Int
        var base: Int
        var rules: [Rule]

        var yaml: String {
            let lines = rules.map { rule in
                "  - { kind: \(rule.kind), points: \(rule.points), per: \(rule.per)\(rule.cap.map { ", cap: \($0)" } ?? "") }"
            }
            return (["version: 1", "congress: \"\(congress)\"", "year: \(year)", "base: \(base)", "rules:"] + lines).joined(separator: "\n") + "\n"
        }
    }

    static let year = Activity.today().year

    static let initialRules = [
        RulesFile(
            congress: "420802101",
            year: year,
            base: 60,
            rules: [
                Rule(kind: "inspection", points: 3), Rule(kind: "reception", points: 2, cap: 10),
                Rule(kind: "absence", points: -1, per: "half_day", cap: 4), Rule(kind: "visit", points: 1, per: "constituent", cap: 20),
                Rule(kind: "group_activity", points: 2), Rule(kind: "training_attended", points: 1),
            ]
        ),
        RulesFile(
            congress: "420802",
            year: year,
            base: 60,
            rules: [
                Rule(kind: "inspection", points: 3), Rule(kind: "reception", points: 3, per: "half_day"), Rule(kind: "study", points: 1),
                Rule(kind: "absence", points: -2), Rule(kind: "training_attended", points: 2, cap: 3), Rule(kind: "suggestion_submitted", points: 3),
            ]
        ),
        RulesFile(congress: "420802", year: year - 1, base: 60, rules: [Rule(kind: "inspection", points: 3)]),
        RulesFile(
            congress: "4208",
            year: year,
            base: 50,
            rules: [
                Rule(kind: "session", points: 5), Rule(kind: "legislation", points: 4), Rule(kind: "visit", points: 2),
                Rule(kind: "training_attended", points: 1),
            ]
        ),
    ]

    static func folder(_ files: [RulesFile]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: files.map { ("\($0.congress)/\($0.year).yaml", $0.yaml) })
    }

    /// The raw rows of `table` at a node, tombstones included.
    static func rows(_ table: String, at node: TestNode) async throws -> [[String: Any]] {
        try await TestDatabase.texts("SELECT json_build_object('id', id, 'deleted', deleted, 'body', body)::text FROM \(table)", on: node.database)
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    /// The oracle: every in-office mandate of `congress` held at `node` with its points, rank and quartile, recomputed
    /// from the raw rows with plain loops.
    static func expectedRanking(of file: RulesFile, at node: TestNode) async throws -> [String: (points: Int, rank: Int, quartile: Int)] {
        let deputies = try await rows("deputies", at: node)
        let activities = try await rows("activities", at: node)
        let signIns = try await rows("attendance", at: node)
        var china = Calendar(identifier: .gregorian)
        china.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        var points: [String: Int] = [:]
        for deputy in deputies {
            let body = deputy["body"] as! [String: Any]
            guard deputy["deleted"] as? Bool == false, body["congressCode"] as? String == file.congress, body["status"] as? String == "in_office"
            else {
                continue
            }
            let id = (deputy["id"] as! String).uppercased()
            var total = file.base
            for rule in file.rules {
                var amount = 0
                for activity in activities {
                    let a = activity["body"] as! [String: Any]
                    guard activity["deleted"] as? Bool == false, a["confirmed"] as? Bool == true, a["kind"] as? String == rule.kind,
                        (a["on"] as! String).hasPrefix("\(file.year)-"), (a["participants"] as! [String]).contains(id)
                    else { continue }
                    switch rule.per {
                    case "half_day": amount += a["halfDays"] as! Int
                    case "constituent": amount += a["constituentsMet"] as! Int
                    default: amount += 1
                    }
                }
                if rule.kind == "training_attended" {
                    for signIn in signIns {
                        let s = signIn["body"] as! [String: Any]
                        let at = try Date(s["signedInAt"] as! String, strategy: .iso8601)
                        if signIn["deleted"] as? Bool == false, (s["deputyId"] as! String).uppercased() == id,
                            china.component(.year, from: at) == file.year
                        {
                            amount += 1
                        }
                    }
                }
                var earned = amount * rule.points
                if let cap = rule.cap { earned = max(-cap, min(cap, earned)) }
                total += earned
            }
            points[id] = total
        }
        return points.mapValues { mine in
            let rank = 1 + points.values.count { $0 > mine }
            return (mine, rank, min(4, (rank - 1) * 4 / points.count + 1))
        }
    }

    /// `GET /v1/points` at `api` equals the oracle at `node`, item by item.
    static func expectRankingHolds(
        _ file: RulesFile,
        at api: APIClient,
        node: TestNode,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let expected = try await expectedRanking(of: file, at: node)
        let reply = try await api.send(.get, "/v1/points?congress=\(file.congress)&year=\(file.year)")
        #expect(reply.status == .ok, "\(reply.body)", sourceLocation: sourceLocation)
        let items = reply.json["items"] as? [[String: Any]] ?? []
        var answered: [String: (points: Int, rank: Int, quartile: Int)] = [:]
        for item in items {
            answered[(item["deputyId"] as! String).uppercased()] = (item["points"] as! Int, item["rank"] as! Int, item["quartile"] as! Int)
        }
        #expect(answered.count == expected.count, "\(file.congress) at \(node.node)", sourceLocation: sourceLocation)
        for (id, want) in expected {
            let got = answered[id]
            #expect(
                got?.points == want.points && got?.rank == want.rank && got?.quartile == want.quartile,
                "\(file.congress) at \(node.node): \(id) answered \(String(describing: got)), expected \(want)",
                sourceLocation: sourceLocation
            )
        }
        // Most points first.
        let order = items.map { $0["points"] as! Int }
        #expect(order == order.sorted(by: >), sourceLocation: sourceLocation)
    }

    /// Random mandates of persons holding one to three of them, activities (confirmed or not, this year and last),
    /// sign-ins and groups recorded at the township, the county and the city; after sync every score at every level
    /// equals the oracle's, and a rules file changed at the city changes its scores without touching a record.
    @Test func everyScoreEqualsARecomputationFromTheRawRowsAtEveryLevel() async throws {
        let (topology, federation) = try await TopologyTravelTests.federation()
        let seeded = SeededRandom(seed: 1812)
        let cityFolder = try TopologyReloadTests.TopologyFolder(topology.yaml)
        try PointsFolder.write(Self.folder(Self.initialRules), to: cityFolder.path + "/points")
        let inMemory = try PointsFolder.check(Self.folder(Self.initialRules), directory: "points")
        try await TopologyTravelTests.serve(federation.city, file: cityFolder) { city in
            try await TopologyTravelTests.serve(federation.county, file: nil, points: inMemory) { county in
                try await TopologyTravelTests.serve(federation.township, file: nil, points: inMemory) { township in
                    var random = seeded
                    // Persons with one to three mandates: the same ID number at each level gives one personKey.
                    var mandates: [String: [String]] = ["420802101": [], "420802": [], "4208": []]
                    var persons: [[String: String]] = []
                    for serial in 0..<30 {
                        let idNumber = syntheticIDNumber(500 + serial)
                        var held: [String: String] = [:]
                        let levels = [("420802101", "township", township), ("420802", "county", county), ("4208", "city", city)]
                        let count = Int.random(in: 1...3, using: &random)
                        for (congress, level, api) in levels.shuffled(using: &random).prefix(count) {
                            let region = Bool.random(using: &random) ? "420802101" : "420802102"
                            let id = try await api.create(
                                "deputies",
                                Fixture.deputy(
                                    name: "代表\(serial)\(level.prefix(1))",
                                    region: congress == "420802101" ? "420802101" : region,
                                    level: level,
                                    congress: congress,
                                    extra: #", "idNumber": "\#(idNumber)""#
                                )
                            )
                            held[congress] = id
                            mandates[congress]!.append(id)
                        }
                        persons.append(held)
                    }
                    // Groups of the county's and the township's congress.
                    var groups: [String: [String]] = [:]
                    for (api, congress) in [(county, "420802"), (township, "420802101")] {
                        let members = Array(mandates[congress]!.shuffled(using: &random).prefix(4))
                        guard !members.isEmpty else { continue }
                        let list = members.enumerated().map { #"{"deputyId": "\#($1)", "role": "\#($0 == 0 ? "leader" : "member")"}"# }
                        let group = try await api.create(
                            "groups",
                            #"{"name": "第\#(congress)小组", "kind": "geographic", "congressCode": "\#(congress)", "regionCode": "\#(congress)", "members": [\#(list.joined(separator: ", "))]}"#
                        )
                        groups[congress] = [group]
                    }
                    // Two trainings organised at the county, branch venue at the township.
                    var venues: [(training: String, main: String, branch: String)] = []
                    for _ in 0..<2 {
                        let training = try await county.send(.post, "/v1/trainings", json: Fixture.training()).json
                        let ids = (training["venues"] as! [[String: Any]]).map { ($0["kind"] as! String, $0["id"] as! String) }
                        venues.append((training["id"] as! String, ids.first { $0.0 == "main" }!.1, ids.first { $0.0 == "branch" }!.1))
                    }
                    #expect(try await township.sync().error == nil)
                    #expect(try await county.sync().error == nil)

                    // Sign-ins: county mandates at the main venue (county node), township mandates at the branch (township node).
                    for (training, main, branch) in venues {
                        for id in mandates["420802"]! where Bool.random(using: &random) {
                            let reply = try await county.send(
                                .post,
                                "/v1/trainings/\(training)/attendance",
                                json: #"{"deputyId": "\#(id)", "venueId": "\#(main)", "mode": "onsite"}"#
                            )
                            #expect(reply.status == .created, "\(reply.body)")
                        }
                        for id in mandates["420802101"]! where Bool.random(using: &random) {
                            let reply = try await township.send(
                                .post,
                                "/v1/trainings/\(training)/attendance",
                                json: #"{"deputyId": "\#(id)", "venueId": "\#(branch)", "mode": "onsite"}"#
                            )
                            #expect(reply.status == .created, "\(reply.body)")
                        }
                    }
                    // Activities at each node over the mandates it sees (the county and city see those below them).
                    let today = Activity.today()
                    let dayOfYear = Calendar(identifier: .gregorian).ordinality(of: .day, in: .year, for: Date()) ?? 1
                    var activityIDs: [(APIClient, String)] = []
                    let recorders: [(APIClient, [String], String)] = [
                        (township, mandates["420802101"]!, "420802101"),
                        (county, mandates["420802"]! + mandates["420802101"]!, "420802"),
                        (city, mandates["4208"]! + mandates["420802"]! + mandates["420802101"]!, "4208"),
                    ]
                    for (api, visible, congress) in recorders where !visible.isEmpty {
                        for _ in 0..<25 {
                            let kind = Activity.Kind.allCases.randomElement(using: &random)!
                            let lastYear = Int.random(in: 0..<6, using: &random) == 0
                            let on =
                                lastYear
                                ? CalendarDate("\(Self.year - 1)-06-15")!
                                : CalendarDate("\(Self.year)-01-01")!.adding(days: Int.random(in: 0..<dayOfYear, using: &random))
                            let participants = visible.shuffled(using: &random).prefix(Int.random(in: 1...min(4, visible.count), using: &random))
                            let group = kind == .groupActivity ? groups[congress]?.first ?? groups["420802101"]?.first : nil
                            guard kind != .groupActivity || group != nil else { continue }
                            let json = """
                                {"kind": "\(kind.rawValue)", "title": "活动", "on": "\(min(on, today))", "halfDays": \(Int.random(in: 1...3, using: &random)),
                                 "regionCode": "\(congress == "4208" ? "420802" : congress)", "participants": [\(participants.map { "\"\($0)\"" }.joined(separator: ", "))],
                                 "constituentsMet": \(Int.random(in: 0...12, using: &random)), "confirmed": \(Int.random(in: 0..<5, using: &random) > 0)
                                 \(group.map { #", "groupId": "\#($0)""# } ?? "")}
                                """
                            let reply = try await api.send(.post, "/v1/activities", json: json)
                            #expect(reply.status == .created, "\(reply.body)")
                            if let id = reply.json["id"] as? String { activityIDs.append((api, id)) }
                        }
                    }
                    // A few activities withdrawn, a few mandates resigned after they took part.
                    for (api, id) in activityIDs.shuffled(using: &random).prefix(4) {
                        #expect(try await api.send(.delete, "/v1/activities/\(id)").status == .ok)
                    }
                    for (congress, api) in [("420802101", township), ("420802", county), ("4208", city)] {
                        guard let id = mandates[congress]!.randomElement(using: &random) else { continue }
                        var record = try await api.get(Deputy.self, id: UUID(uuidString: id)!)
                        record.body.status = .resigned
                        #expect(try await api.send(.put, "/v1/deputies/\(id)", json: try record.json).status == .ok)
                    }
                    #expect(try await township.sync().error == nil)
                    #expect(try await county.sync().error == nil)

                    let byCongress = Dictionary(grouping: Self.initialRules.filter { $0.year == Self.year }) { $0.congress }.mapValues { $0[0] }
                    try await Self.expectRankingHolds(byCongress["420802101"]!, at: township, node: federation.township)
                    for congress in ["420802101", "420802"] {
                        try await Self.expectRankingHolds(byCongress[congress]!, at: county, node: federation.county)
                    }
                    for congress in ["420802101", "420802", "4208"] {
                        try await Self.expectRankingHolds(byCongress[congress]!, at: city, node: federation.city)
                    }
                    // A congress above the node is not its to rank; a year without a file has no scores.
                    #expect(try await township.send(.get, "/v1/points?congress=420802&year=\(Self.year)").status == .forbidden)
                    #expect(try await city.send(.get, "/v1/points?congress=4208&year=\(Self.year - 3)").status == .notFound)
                    #expect(try await city.send(.get, "/v1/points?congress=4208").error?.field == "year")

                    // The public posting.
                    let csv = try await city.send(.get, "/v1/points?congress=420802&year=\(Self.year)&format=csv")
                    #expect(csv.body.hasPrefix("\u{FEFF}rank,quartile,deputy_id,name,points\n"))

                    // The city's operator changes the county's rules: new scores, no record touched.
                    let lastSeq = try await TestDatabase.texts("SELECT last_seq::text FROM change_counter", on: federation.city.database)
                    var changed = byCongress["420802"]!
                    changed.base = 70
                    changed.rules[0].points = 5
                    changed.rules.append(Rule(kind: "visit", points: 1, per: "constituent", cap: 9))
                    try PointsFolder.write(
                        Self.folder(Self.initialRules.filter { $0.congress != "420802" || $0.year != Self.year } + [changed]),
                        to: cityFolder.path + "/points"
                    )
                    _ = try await PointsTravelTests.rules(at: city) {
                        ($0["files"] as? [[String: Any]])?.contains { ($0["rules"] as? [String: Any])?["base"] as? Int == 70 } == true
                    }
                    try await Self.expectRankingHolds(changed, at: city, node: federation.city)
                    #expect(try await TestDatabase.texts("SELECT last_seq::text FROM change_counter", on: federation.city.database) == lastSeq)

                    // One person's dossier at the city: every mandate held there, each with its activities and points.
                    if let person = persons.first(where: { $0["420802101"] != nil && $0["420802"] != nil }) {
                        let dossier = try await city.send(.get, "/v1/deputies/\(person["420802101"]!)/dossier").json
                        let others = dossier["otherMandates"] as? [[String: Any]] ?? []
                        #expect(others.map { ($0["deputy"] as? [String: Any])?["id"] as? String } == [person["420802"]])
                        let activities = try await Self.rows("activities", at: federation.city)
                        func live(_ id: String) -> Set<String> {
                            Set(
                                activities.filter { row in
                                    row["deleted"] as? Bool == false
                                        && ((row["body"] as! [String: Any])["participants"] as! [String]).contains(id.uppercased())
                                }.map { ($0["id"] as! String).uppercased() }
                            )
                        }
                        let own = Set((dossier["activities"] as? [[String: Any]] ?? []).map { ($0["id"] as! String).uppercased() })
                        #expect(own == live(person["420802101"]!))
                        let theirs = Set((others.first?["activities"] as? [[String: Any]] ?? []).map { ($0["id"] as! String).uppercased() })
                        #expect(theirs == live(person["420802"]!))
                        let ownYears = (dossier["points"] as? [[String: Any]])?.map { $0["year"] as? Int }
                        #expect(ownYears == [Self.year])
                        let theirYears = (others.first?["points"] as? [[String: Any]])?.map { $0["year"] as? Int }
                        #expect(theirYears == [Self.year, Self.year - 1])
                        // A reader's dossier shows no person key.
                        #expect(!(try await city.send(.get, "/v1/deputies/\(person["420802"]!)/dossier", token: .read).body.contains("personKey")))
                    } else {
                        Issue.record("the seed made no person with a township and a county mandate")
                    }
                }
            }
        }
    }

    static func activity(_ participants: [String], kind: String = "inspection", on: String? = nil, halfDays: Int = 1, extra: String = "") -> String {
        """
        {"kind": "\(kind)", "title": "视察乡村振兴", "on": "\(on ?? "\(Activity.today())")", "halfDays": \(halfDays), "regionCode": "420802101",
         "participants": [\(participants.map { "\"\($0)\"" }.joined(separator: ", "))], "constituentsMet": 0, "confirmed": true\(extra)}
        """
    }

    /// 钱坑镇's case: a county deputy assigned to a township's station comes down to the township, read-only and without
    /// the phone; the township records that deputy's activity there, and it reaches the county and the city, scored by
    /// the county's rules. Deputies the township cannot see are refused (403), a resigned one too (422).
    @Test func aCountyDeputyAtATownshipStationTakesPartThereAndIsScoredAbove() async throws {
        let (_, federation) = try await TopologyTravelTests.federation()
        let rules = try PointsFolder.check(Self.folder(Self.initialRules), directory: "points")
        try await TopologyTravelTests.serve(federation.city, file: nil, points: rules) { city in
            try await TopologyTravelTests.serve(federation.county, file: nil, points: rules) { county in
                try await TopologyTravelTests.serve(federation.township, file: nil, points: rules) { township in
                    let station = try await township.create("stations", Fixture.station())
                    let resident = try await township.create(
                        "deputies",
                        Fixture.deputy(name: "钱坑镇代表", level: "township", congress: "420802101")
                    )
                    #expect(try await township.sync().error == nil)
                    let phone = "13912345678"
                    let countyDeputy = try await county.create(
                        "deputies",
                        Fixture.deputy(name: "区代表甲", region: "420802101", extra: #", "phone": "\#(phone)""#)
                    )
                    let elsewhere = try await county.create("deputies", Fixture.deputy(name: "区代表乙", region: "420802102"))
                    let assignment = try await county.create(
                        "assignments",
                        #"{"deputyId": "\#(countyDeputy)", "stationId": "\#(station)", "role": "resident", "since": "2024-01-01"}"#
                    )
                    let pulled = try await township.sync()
                    #expect(pulled.error == nil && pulled.directives >= 2, "\(pulled)")

                    // Held at the township, read-only, without the phone.
                    let copy = try await township.send(.get, "/v1/deputies/\(countyDeputy)", token: .admin)
                    #expect(copy.status == .ok && copy.json["origin"] as? String == "420802" && copy.json["phone"] == nil, "\(copy.body)")
                    #expect(try await township.send(.get, "/v1/assignments/\(assignment)").status == .ok)
                    #expect(try await township.send(.put, "/v1/deputies/\(countyDeputy)", json: copy.body).status == .conflict)
                    let dump = try await TestDatabase.dump(federation.township.database)
                    #expect(!dump.contains(phone) && !dump.contains("139****5678"), "the phone reached the township")
                    #expect(try await township.held("deputies").count == 2, "the county deputy not at the station stays above")

                    // The township records the county deputy's activity at its station.
                    let recorded = try await township.send(
                        .post,
                        "/v1/activities",
                        json: Self.activity([countyDeputy, resident], extra: #", "stationId": "\#(station)""#)
                    )
                    #expect(recorded.status == .created, "\(recorded.body)")

                    // Refused: a deputy it cannot see, a resigned one, no duration, a confirmed activity in the future.
                    let hidden = try await township.send(.post, "/v1/activities", json: Self.activity([resident, elsewhere]))
                    #expect(hidden.status == .forbidden && hidden.error?.field == "participants[1]", "\(hidden.body)")
                    var record = try await township.get(Deputy.self, id: UUID(uuidString: resident)!)
                    record.body.status = .resigned
                    #expect(try await township.send(.put, "/v1/deputies/\(resident)", json: try record.json).status == .ok)
                    let resigned = try await township.send(.post, "/v1/activities", json: Self.activity([resident]))
                    #expect(resigned.status == .unprocessableContent && resigned.error?.field == "participants[0]", "\(resigned.body)")
                    let noTime = try await township.send(.post, "/v1/activities", json: Self.activity([countyDeputy], halfDays: 0))
                    #expect(noTime.status == .unprocessableContent && noTime.error?.field == "halfDays", "\(noTime.body)")
                    let future = try await township.send(
                        .post,
                        "/v1/activities",
                        json: Self.activity([countyDeputy], on: "\(Activity.today().adding(days: 3))")
                    )
                    #expect(future.status == .unprocessableContent && future.error?.field == "on", "\(future.body)")
                    let otherStation = try await township.send(
                        .post,
                        "/v1/activities",
                        json: Self.activity([countyDeputy], extra: #", "stationId": "\#(UUID())""#)
                    )
                    #expect(otherStation.status == .unprocessableContent && otherStation.error?.field == "stationId", "\(otherStation.body)")
                    #expect(try await TestDatabase.texts("SELECT count(*)::text FROM activities", on: federation.township.database) == ["1"])

                    // Up the tree: the county deputy's inspection counts by the county's rules at the county and the city.
                    #expect(try await township.sync().error == nil)
                    #expect(try await county.sync().error == nil)
                    let countyRules = Self.initialRules.first { $0.congress == "420802" && $0.year == Self.year }!
                    for (api, node) in [(county, federation.county), (city, federation.city)] {
                        try await Self.expectRankingHolds(countyRules, at: api, node: node)
                        let ranking = try await api.send(.get, "/v1/points?congress=420802&year=\(Self.year)").json["items"] as? [[String: Any]]
                        let points = ranking?.first { ($0["deputyId"] as? String)?.uppercased() == countyDeputy.uppercased() }?["points"] as? Int
                        #expect(points == countyRules.base + 3, "at \(node.node)")
                    }
                    let dossier = try await city.send(.get, "/v1/deputies/\(countyDeputy)/dossier").json
                    let lines = (dossier["points"] as? [[String: Any]])?.first?["lines"] as? [[String: Any]]
                    let inspection = lines?.first { $0["rule"] as? String == "inspection" }
                    #expect(inspection?["count"] as? Int == 1 && inspection?["points"] as? Int == 3)
                    #expect((inspection?["records"] as? [String])?.map { $0.uppercased() } == [(recorded.json["id"] as? String ?? "").uppercased()])
                    #expect(inspection?["source"] as? String == "420802/\(Self.year).yaml:6", "the file's first rule")
                    let reads = try await TestDatabase.texts(
                        "SELECT actor || ' ' || action || ' ' || record FROM audit_log WHERE action = 'read dossier'",
                        on: federation.city.database
                    )
                    #expect(reads == ["read token read dossier /v1/deputies/\(countyDeputy)"], "\(reads)")

                    // The printable page, in a real browser signed in with the read token.
                    let page = try await HeadlessChromium().dumpDOM(
                        "\(city.baseURL!)/deputies/\(countyDeputy)?token=\(federation.city.secrets.readToken)"
                    )
                    #expect(
                        page.contains("区代表甲 · 代表履职档案") && page.contains("视察调研") && page.contains("合计 \(countyRules.base + 3) 分"),
                        "\(page.prefix(800))"
                    )
                    #expect(!page.contains("personKey") && !page.contains(phone))

                    // Unassigned: the township no longer records that deputy's activities.
                    #expect(try await county.send(.delete, "/v1/assignments/\(assignment)").status == .ok)
                    #expect(try await township.sync().error == nil)
                    let gone = try await township.send(.post, "/v1/activities", json: Self.activity([countyDeputy]))
                    #expect(gone.status == .forbidden, "\(gone.body)")
                }
            }
        }
    }

    /// A rules file with an unknown kind, a negative cap and a rule given twice is refused at each line and column; the
    /// rules in force stay, and so do the scores.
    @Test func aBrokenRulesFileIsRefusedAtItsLinesAndTheOldRulesStay() async throws {
        let topology = TestTopology.city(ports: ["420802": try LoopbackPort.free()])
        let node = try await TestNode.make(node: "420802", topologyYAML: topology.yaml)
        let folder = try TopologyReloadTests.TopologyFolder(topology.yaml)
        let good = Self.initialRules.filter { $0.congress == "420802" }
        try PointsFolder.write(Self.folder(good), to: folder.path + "/points")
        try await TopologyTravelTests.serve(node, file: folder) { api in
            let deputy = try await api.create("deputies", Fixture.deputy())
            #expect(try await api.send(.post, "/v1/activities", json: Self.activity([deputy])).status == .created)
            let before = try await api.send(.get, "/v1/points?congress=420802&year=\(Self.year)").json
            #expect((before["items"] as? [[String: Any]])?.first?["points"] as? Int == 63)
            let broken = """
                version: 1
                congress: "420802"
                year: \(Self.year)
                base: 60
                rules:
                  - { kind: inspektion, points: 3 }
                  - { kind: reception, points: 2, cap: -5 }
                  - { kind: study, points: 1 }
                  - { kind: study, points: 2 }

                """
            try PointsFolder.write(
                Self.folder(good.filter { $0.year != Self.year }).merging(["420802/\(Self.year).yaml": broken]) { $1 },
                to: folder.path + "/points"
            )
            let refused = try await PointsTravelTests.rules(at: api) { $0["lastRejected"] is [String: Any] }
            let errors = ((refused["lastRejected"] as? [String: Any])?["errors"] as? [[String: Any]] ?? []).map {
                "\($0["line"] as? Int ?? 0):\($0["column"] as? Int ?? 0) \($0["message"] as? String ?? "")"
            }
            #expect(errors.count == 3, "\(errors)")
            #expect(errors.first?.hasPrefix("6:13 unknown kind 'inspektion'") == true, "\(errors)")
            #expect(errors.dropFirst().first?.hasPrefix("7:40 'cap' must be a whole number from 1") == true, "\(errors)")
            #expect(errors.last?.hasPrefix("9:5 a second rule for study per occurrence") == true, "\(errors)")
            let after = try await api.send(.get, "/v1/points?congress=420802&year=\(Self.year)").json
            #expect((after["items"] as? [[String: Any]])?.first?["points"] as? Int == 63, "the old rules stay in force")
        }
    }
}
