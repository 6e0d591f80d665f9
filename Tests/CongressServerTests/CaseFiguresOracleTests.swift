import CongressStore
import Foundation
import PostgresNIO
import Testing

@testable import CongressCore
@testable import CongressServer

/// SPEC §13 figures: the coverage `cases` block at every level equals a recount of each node's raw case and event rows,
/// through transfers up, handling above, feedback below and supervision from the top.
@Suite struct CaseFiguresOracleTests {
    /// Each node its own reply days, so that the node's deadlines must reach where the status is kept.
    static let replyDays = ["4208": 20, "420802": 10, "420802101": 15]

    static let configure: @Sendable (inout AppConfiguration) -> Void = { configuration in
        TestFederation.live(&configuration)
        configuration.caseDeadlines = CaseDeadlines(opinionReplyDays: replyDays[configuration.node.rawValue]!)
    }

    @Test(arguments: [UInt64(13), 2026])
    func caseFiguresAtTheTownshipCountyAndCityEqualARecountAfterSync(seed: UInt64) async throws {
        let federation = try await TestFederation.make()
        let random = SharedRandom(seed: seed)
        let nodes = [federation.city, federation.county, federation.township]
        try await TestFederation.serve(nodes[...], configure: Self.configure) { clients in
            let (city, county, township) = (clients[0], clients[1], clients[2])
            // Each node registers where it is the author: 泉口街道 has no node, so the county registers its cases.
            let writers = [
                CaseWriter(api: township, congress: "420802101", level: "township", regions: ["420802101", "420802101001"], parent: "420802"),
                CaseWriter(api: county, congress: "420802", level: "county", regions: ["420802", "420802102", "420802102001"], parent: "4208"),
                CaseWriter(api: city, congress: "4208", level: "city", regions: ["4208", "420804"], parent: nil),
            ]
            var transferred: [(case: String, origin: CaseWriter, handler: CaseWriter)] = []
            for (index, writer) in writers.enumerated() {
                let handled = try await writer.registerAndHandle(cases: 12, random: random)
                transferred += handled.map { ($0, writer, writers[index + 1]) }
            }
            #expect(try await township.sync().error == nil)
            #expect(try await county.sync().error == nil)

            // Handled above: assigned, replied, some closed once the feedback came up; the city supervises a few.
            var awaitingFeedback: [(case: String, origin: CaseWriter, handler: CaseWriter)] = []
            for entry in transferred {
                switch random.int(in: 0...3) {
                case 0: break
                case 1: try await entry.handler.event(entry.case, "assign", #", "units": ["区信访局"]"#)
                default:
                    try await entry.handler.event(entry.case, "assign", #", "units": ["区住建局", "区城管局"]"#)
                    try await entry.handler.event(entry.case, "reply", #", "text": "已处理""#)
                    awaitingFeedback.append(entry)
                }
            }
            for id in try await city.caseIDs() where random.int(in: 0...3) == 0 {
                let status = try await city.send(.get, "/v1/cases/\(id)").json
                if status["state"] as? String != "closed" && status["supervised"] as? Bool == false {
                    try await writers[2].event(id, "supervise")
                }
            }
            #expect(try await county.sync().error == nil)
            #expect(try await township.sync().error == nil)

            // The origins record the feedback on the replies that came down; some handlers close.
            var closing: [(case: String, handler: CaseWriter)] = []
            for entry in awaitingFeedback {
                let satisfaction = random.element(of: Satisfaction.allCases).rawValue
                try await entry.origin.event(entry.case, "feedback", #", "satisfaction": "\#(satisfaction)""#)
                if satisfaction != "unsatisfied" && random.int(in: 0...1) == 0 { closing.append((entry.case, entry.handler)) }
            }
            #expect(try await township.sync().error == nil)
            #expect(try await county.sync().error == nil)
            for entry in closing { try await entry.handler.event(entry.case, "close") }
            #expect(try await county.sync().error == nil)
            #expect(try await township.sync().error == nil)

            for (api, node) in [(township, federation.township), (county, federation.county), (city, federation.city)] {
                let oracle = try await CaseOracle(database: node.database, replyDays: Self.replyDays[node.node.rawValue]!)
                let items = try await CaseOracle.coverageItems(api)
                #expect(items.count == node.configuration.topology.node(node.node)!.allNodes.count)
                for item in items {
                    let code = item["code"] as! String
                    let served = CaseOracle.flattened(item["cases"] as? [String: Any] ?? [:])
                    let recounted = oracle.figures(for: code)
                    let differences = Set(served.keys).union(recounted.keys).sorted().filter { key in
                        guard let mine = served[key], let theirs = recounted[key] else { return true }
                        return abs(mine - theirs) > 1e-9
                    }.map { "\($0): \(served[$0].map { "\($0)" } ?? "-") ≠ \(recounted[$0].map { "\($0)" } ?? "-")" }
                    #expect(differences.isEmpty, "at \(node.node), region \(code): \(differences)")
                }
            }
            // The CSV export carries the same figures.
            let csv = try await city.send(.get, "/v1/coverage?depth=0&format=csv").csvLines
            let (header, row) = (csv[0].split(separator: ",").map(String.init), csv[1].split(separator: ",", omittingEmptySubsequences: false))
            let recounted = try await CaseOracle(database: federation.city.database, replyDays: Self.replyDays["4208"]!).figures(for: "4208")
            for (column, figure) in [("cases_opinion", "byKind.opinion"), ("cases_replied", "byState.replied"), ("cases_overdue", "overdue")] {
                #expect(Double(row[header.firstIndex(of: column)!]) == recounted[figure], "\(column)")
            }
            // Something of every figure is counted at the top, and last year's cases are held but not counted.
            let top = try await CaseOracle(database: federation.city.database, replyDays: Self.replyDays["4208"]!)
            let figures = top.figures(for: "4208")
            #expect(figures["byKind.opinion"]! > 0 && figures["byKind.suggestion"]! > 0 && figures["transferredUp"]! > 0, "\(figures)")
            #expect(figures["closed"]! > 0 && figures["satisfiedRatio"]! >= 0 && figures["consultedRatio"]! >= 0, "\(figures)")
            if Activity.today() >= CalendarDate("\(Activity.today().year)-02-15")! { #expect(figures["overdue"]! > 0, "\(figures)") }
            #expect(top.cases.contains { $0.body.registeredOn!.year < Activity.today().year })
        }
    }

    /// An event that comes down from the parent moves the case's status where it is held: the township counts the
    /// county's reply to its transferred opinion, and the county's supervision, once the directives arrived.
    @Test func theTownshipCountsTheCountysReplyOnceItComesDown() async throws {
        let federation = try await TestFederation.make()
        try await federation.run { _, county, township in
            let writer = CaseWriter(api: township, congress: "420802101", level: "township", regions: ["420802101"], parent: "420802")
            let id = try await writer.register(kind: .opinion, region: "420802101", on: Activity.today(), deputies: [])
            try await writer.event(id, "transfer", #", "to": "420802""#)
            #expect(try await township.sync().error == nil)
            let handler = CaseWriter(api: county, congress: "420802", level: "county", regions: [], parent: "4208")
            try await handler.event(id, "assign", #", "units": ["区教育局"]"#)
            try await handler.event(id, "reply", #", "text": "已答复""#)
            try await handler.event(id, "supervise")

            let before = try await CaseOracle.coverageItems(township)[0]["cases"] as? [String: Any]
            #expect(
                (before?["byState"] as? [String: Int])?["transferred"] == 1 && before?["transferredUp"] as? Int == 1,
                "\(String(describing: before))"
            )
            #expect(try await township.sync().error == nil)
            let after = try await CaseOracle.coverageItems(township)[0]["cases"] as? [String: Any]
            let states = after?["byState"] as? [String: Int]
            #expect(states?["replied"] == 1 && states?["transferred"] == 0 && after?["transferredUp"] as? Int == 1, "\(String(describing: after))")
            let row = try await TestDatabase.texts(
                "SELECT state || ' ' || supervised || ' ' || handler FROM case_status WHERE case_id = '\(id)'",
                on: federation.township.database
            )
            #expect(row == ["replied true 420802"])
        }
    }

    /// An event may reach an upper node before its case (another order of sync): it makes no status row of its own, and
    /// the case's arrival counts it.
    @Test func anEventArrivingBeforeItsCaseIsCountedWhenTheCaseArrives() async throws {
        let database = try await TestDatabase.make()
        try await TestDatabase.withClient(on: database) { client in
            try await Migrations.apply(on: client, logger: TestDatabase.quietLogger)
            let applier = BatchApplier(client: client, node: RegionCode("420802")!, logger: TestDatabase.quietLogger)
            let (caseID, eventID, today) = (UUID(), UUID(), Activity.today())
            let event = """
                {"kind":"case_event","id":"\(eventID)","origin":"420802101","regionCode":"420802101","version":1,
                 "updatedAt":"2026-11-22T01:00:00Z","deleted":false,
                 "body":{"caseId":"\(caseID)","action":"assign","units":["镇政府"],"on":"\(today)","at":"2026-11-22T01:00:00Z"}}
                """
            let registered = """
                {"kind":"case","id":"\(caseID)","origin":"420802101","regionCode":"420802101","version":2,
                 "updatedAt":"2026-11-22T01:00:00Z","deleted":false,
                 "body":{"kind":"opinion","channel":"reception","deputyIds":[],"registeredOn":"\(today.adding(days: -20))"}}
                """
            for (seq, change) in [(Int64(1), event), (2, registered)] {
                let header = BatchHeader(
                    protocol: SyncProtocol.version,
                    schemaHash: "",
                    topologyHash: "",
                    sender: RegionCode("420802101")!,
                    fromSeq: seq,
                    toSeq: seq
                )
                let outcome = try await applier.apply(
                    header,
                    changes: try ChangeRows(document: Data(#"{"changes":[\#(change)]}"#.utf8)),
                    kinds: Set(RecordKind.allCases)
                )
                #expect(outcome == .acked(BatchAck(acked: seq, applied: 1)))
                let rows = try await Self.texts("SELECT state || ' ' || due_on::text FROM case_status", on: client)
                #expect(rows == (seq == 1 ? [] : ["assigned \(today.adding(days: -5))"]), "after batch \(seq)")
            }
        }
    }

    static func texts(_ sql: String, on client: PostgresClient) async throws -> [String] {
        var values: [String] = []
        for try await value in try await client.query(PostgresQuery(unsafeSQL: sql)).decode(String.self) { values.append(value) }
        return values
    }
}

/// A node registering and handling cases through its API, as its staff would.
struct CaseWriter: Sendable {
    let api: APIClient
    let congress: String
    let level: String
    let regions: [String]
    /// The node above, where its opinions go when it cannot handle them.
    let parent: String?

    /// Registers a case and returns its id.
    func register(kind: CaseKind, region: String, on day: CalendarDate, deputies: [String], complex: Bool = false) async throws -> String {
        let named = deputies.map { "\"\($0)\"" }.joined(separator: ", ")
        return try await api.create(
            "cases",
            """
            {"kind": "\(kind.rawValue)", "channel": "\(kind == .opinion ? "reception" : "session")", "subject": "关于\(region)的\(kind == .opinion ? "意见" : "建议")",
             "content": "内容", "regionCode": "\(region)", "deputyIds": [\(named)], "registeredOn": "\(day)"\(complex ? #", "complex": true"# : "")}
            """
        )
    }

    /// Records an event, failing the test unless it is accepted.
    func event(_ id: String, _ action: String, _ extra: String = "") async throws {
        let reply = try await api.send(.post, "/v1/cases/\(id)/events", json: #"{"action": "\#(action)"\#(extra)}"#)
        #expect(reply.status == .created, "\(action) on \(id) at \(congress): \(reply.body)")
    }

    /// `count` random cases, some registered weeks or months ago (overdue unless handled) and some last year, each taken
    /// through a random part of the workflow here. Returns the opinions transferred to the parent.
    func registerAndHandle(cases count: Int, random: SharedRandom) async throws -> [String] {
        var deputies: [String] = []
        for index in 0..<2 {
            deputies.append(
                try await api.create("deputies", Fixture.deputy(name: "代表\(congress)-\(index)", region: regions[0], level: level, congress: congress))
            )
        }
        let today = Activity.today()
        let firstDay = CalendarDate("\(today.year)-01-01")!
        let days = [today, today.adding(days: -5), max(firstDay, today.adding(days: -40)), max(firstDay, today.adding(days: -200))]
        var transferred: [String] = []
        for _ in 0..<count {
            let kind: CaseKind = random.int(in: 0...2) == 0 ? .suggestion : .opinion
            let registeredOn = random.int(in: 0...5) == 0 ? CalendarDate("\(today.year - 1)-11-20")! : random.element(of: days)
            let id = try await register(
                kind: kind,
                region: random.element(of: regions),
                on: registeredOn,
                deputies: kind == .suggestion ? random.shuffled(deputies) : random.int(in: 0...1) == 0 ? [] : [deputies[0]],
                complex: kind == .suggestion && random.int(in: 0...2) == 0
            )
            if random.int(in: 0...3) == 0 { try await event(id, "supervise") }
            switch kind {
            case .opinion:
                let plan = random.int(in: 0...9)
                if plan == 9, let parent {
                    try await event(id, "transfer", #", "to": "\#(parent)""#)
                    transferred.append(id)
                } else {
                    try await handleOpinion(id, plan: plan)
                }
            case .suggestion:
                try await handleSuggestion(id, plan: random.int(in: 0...6), assignedOn: registeredOn)
            }
        }
        return transferred
    }

    private func handleOpinion(_ id: String, plan: Int) async throws {
        switch plan {
        case 1: try await event(id, "answer_on_spot", #", "text": "当场解答""#)
        case 2: try await event(id, "explain", #", "text": "不宜转交，已解释""#)
        case 3...: try await event(id, "assign", #", "units": ["镇政府"]"#)
        default: return
        }
        guard plan >= 4 else { return }
        try await event(id, "reply", #", "text": "已办理""#)
        switch plan {
        case 5: try await event(id, "feedback", #", "satisfaction": "basically_satisfied""#)
        case 6, 7:
            try await event(id, "feedback", #", "satisfaction": "unsatisfied""#)
            try await event(id, "reopen")
            if plan == 7 {
                try await event(id, "reply", #", "text": "重新办理完毕""#)
                try await event(id, "feedback", #", "satisfaction": "satisfied""#)
                try await event(id, "close")
            }
        case 8:
            try await event(id, "feedback", #", "satisfaction": "satisfied""#)
            try await event(id, "close")
        default: return
        }
    }

    private func handleSuggestion(_ id: String, plan: Int, assignedOn: CalendarDate) async throws {
        switch plan {
        case 5: try await event(id, "consult")
        case 6: try await event(id, "explain", #", "text": "不宜办理，已解释""#)
        case 1...4: try await event(id, "assign", #", "units": ["区水利局"], "on": "\#(assignedOn)""#)
        default: return
        }
        guard (1...4).contains(plan) else { return }
        if plan >= 2 { try await event(id, "consult") }
        guard plan >= 3 else { return }
        try await event(id, "reply", #", "text": "已纳入计划", "grade": "B""#)
        if plan == 4 {
            try await event(id, "feedback", #", "satisfaction": "satisfied""#)
            try await event(id, "close")
        }
    }
}

extension APIClient {
    /// The ids of every case this node holds.
    func caseIDs() async throws -> [String] {
        let items = try await send(.get, "/v1/cases?limit=1000").json["items"] as? [[String: Any]] ?? []
        return items.compactMap { $0["id"] as? String }
    }
}

/// SPEC §13 figures recounted the plain way from a node's raw `cases` and `case_events` rows, each case's status derived
/// by the workflow from its events as the node holds them.
struct CaseOracle {
    let cases: [Record<Case>]
    let events: [UUID: [CaseStep]]
    let deadlines: CaseDeadlines

    init(database: DatabaseAddress, replyDays: Int) async throws {
        deadlines = CaseDeadlines(opinionReplyDays: replyDays)
        func rows(_ table: String) async throws -> [(meta: RecordMeta, body: Data)] {
            try await TestDatabase.texts("SELECT json_build_array(id, origin, region_code, deleted, body)::text FROM \(table)", on: database).map {
                let row = try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [Any]
                let meta = RecordMeta(
                    id: UUID(uuidString: row[0] as! String)!,
                    origin: RegionCode(row[1] as! String)!,
                    regionCode: RegionCode(row[2] as! String)!,
                    version: 0,
                    updatedAt: .now,
                    deleted: row[3] as! Bool
                )
                return (meta, try JSONSerialization.data(withJSONObject: row[4]))
            }
        }
        let decoder = JSONDecoder()
        cases = try await rows("cases").filter { !$0.meta.deleted }.map { Record(meta: $0.meta, body: try decoder.decode(Case.self, from: $0.body)) }
        var events: [UUID: [CaseStep]] = [:]
        for row in try await rows("case_events") where !row.meta.deleted {
            let event = try decoder.decode(CaseEvent.self, from: row.body)
            events[event.caseId, default: []].append(event.step(id: row.meta.id, node: row.meta.origin))
        }
        self.events = events
    }

    /// The `cases` block of `code` as the coverage answer flattens it (null ratios as -1).
    func figures(for code: String) -> [String: Double] {
        let region = RegionCode(code)!
        let today = Activity.today()
        let counted = cases.filter { region.contains($0.meta.regionCode) && $0.body.registeredOn!.year == today.year }
        let statuses = counted.map { record in
            (
                record.body.kind,
                record.body.workflow(origin: record.meta.origin, deadlines: deadlines).status(after: events[record.meta.id] ?? [], today: today)
            )
        }
        func ratio(_ part: Int, _ whole: Int) -> Double { whole == 0 ? -1 : Double(part) / Double(whole) }
        var figures: [String: Double] = [:]
        for kind in CaseKind.allCases { figures["byKind.\(kind.rawValue)"] = Double(statuses.count { $0.0 == kind }) }
        for state in CaseState.allCases { figures["byState.\(state.rawValue)"] = Double(statuses.count { $0.1.state == state }) }
        let waiting = statuses.filter { [.registered, .assigned, .transferred].contains($0.1.state) && $0.1.dueOn != nil }
        figures["due"] = Double(waiting.count)
        figures["overdue"] = Double(waiting.count { $0.1.dueOn! < today })
        let closed = statuses.count { $0.1.state == .closed }
        figures["closed"] = Double(closed)
        figures["closedRatio"] = ratio(closed, statuses.count)
        let withFeedback = statuses.filter { $0.1.satisfaction != nil }
        figures["satisfiedRatio"] = ratio(withFeedback.count { $0.1.satisfaction != .unsatisfied }, withFeedback.count)
        let suggestions = statuses.filter { $0.0 == .suggestion }
        figures["consultedRatio"] = ratio(suggestions.count { $0.1.consultedOn != nil }, suggestions.count)
        figures["transferredUp"] = Double(statuses.count { $0.0 == .opinion && $0.1.transferredTo != nil })
        return figures
    }

    /// Every item of the node's coverage at full depth, once the snapshot is newer than the last write.
    static func coverageItems(_ api: APIClient) async throws -> [[String: Any]] {
        let written = Date()
        let reply = try await eventually {
            try await api.send(.get, "/v1/coverage?depth=4")
        } until: { reply in
            (reply.json["generatedAt"] as? String).flatMap(Timestamp.init).map { $0.date >= written } ?? false
        }
        return reply.json["items"] as? [[String: Any]] ?? []
    }

    /// `{"byKind": {"opinion": 2}, "closedRatio": null}` as `["byKind.opinion": 2, "closedRatio": -1]`.
    static func flattened(_ object: [String: Any], prefix: String = "") -> [String: Double] {
        var values: [String: Double] = [:]
        for (key, value) in object {
            let name = prefix.isEmpty ? key : prefix + "." + key
            switch value {
            case let inner as [String: Any]: values.merge(flattened(inner, prefix: name)) { $1 }
            case let number as NSNumber: values[name] = number.doubleValue
            case is NSNull: values[name] = -1
            default: break
            }
        }
        return values
    }
}
