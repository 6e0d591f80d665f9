import CongressCore
import CongressServer
import CongressStore
import Foundation
import HTTPTypes
import Testing

/// Issue 20: the figures a node maintains as changes arrive equal a full recount after every kind of change, at every
/// level of a township → county → city federation; the figures it serves equal a recount of its raw rows.
@Suite struct CoverageMaintenanceTests {
    @Test(arguments: [UInt64(20), 2026])
    func maintainedFiguresEqualARecountAfterEveryStep(seed: UInt64) async throws {
        let federation = try await TestFederation.make()
        try await federation.run { city, county, township in
            var random = SeededRandom(seed: seed)
            let writers: [Writer] = [
                Writer(
                    api: township,
                    node: federation.township,
                    congress: "420802101",
                    level: "township",
                    regions: ["420802101", "420802101001", "420802101002"]
                ),
                Writer(api: county, node: federation.county, congress: "420802", level: "county", regions: ["420802", "420802102", "420802102001"]),
                Writer(api: city, node: federation.city, congress: "4208", level: "city", regions: ["4208", "420804", "420804001"]),
            ]
            // Eight persons, each of whom may hold mandates at all three levels.
            let persons = (0..<8).map { syntheticIDNumber(900 + $0) }
            var steps: [String] = []
            for writer in writers { try await writer.seed(persons: persons, random: &random) }
            try await Self.expectMaintainedEqualRecount(federation, [city, county, township], after: "the first records")

            for step in 0..<8 {
                let writer = writers.randomElement(using: &random)!
                let kind = Int.random(in: 0..<7, using: &random)
                switch kind {
                case 0: try await writer.seed(persons: persons, random: &random)
                case 1: try await writer.deleteSome(random: &random)
                case 2: try await writer.moveMandates(random: &random)
                case 3: try await writer.movePersons(persons: persons, random: &random)
                case 4: try await writer.closeOrReopenStations(random: &random)
                case 5: try await writer.replay()
                default: try await writer.resignSome(random: &random)
                }
                // Applies: what the township and the county hold reaches the county and the city.
                #expect(try await township.sync().error == nil)
                #expect(try await county.sync().error == nil)
                steps.append("\(writer.congress): \(["seed", "delete", "move mandates", "move persons", "stations", "replay", "resign"][kind])")
                try await Self.expectMaintainedEqualRecount(
                    federation,
                    [city, county, township],
                    after: "step \(step) (\(steps.joined(separator: ", ")))"
                )
            }

            // Days pass with no write: assignments begin and end, deadlines pass, a year turns (a recount of all).
            let node = federation.county
            let topology = node.configuration.topology
            let today = CalendarDate(Date(), timeZone: topology.defaultSync.timezone)
            let chinaToday = Activity.today()
            // Days within this year first (then only the dates cross), then into another year.
            let daysLeftInYear = (0...366).first { chinaToday.adding(days: $0 + 1).year != chinaToday.year }!
            for days in [1, 20].map({ min($0, daysLeftInYear) }).filter({ $0 > 0 }) + [400] {
                let day = CoverageFigureStore.Day(today: today.adding(days: days), chinaToday: chinaToday.adding(days: days))
                try await Self.expectMaintainedEqualRecount(node, on: day, after: "\(days) days")
            }
            // And the node, whose clock says today again, recounts everything and serves the right figures.
            try await Self.expectServedEqualRecount(county, node, after: "the clock went back")
        }
    }

    /// Nobody reads the figures (no request for coverage), yet the node's scheduled pass takes the marks a write leaves
    /// and counts the cells: marks do not pile up at a node whose dashboard nobody opens.
    @Test func theNodeMaintainsTheFiguresWithNobodyReadingThem() async throws {
        let node = try await TestNode.make()
        try await node.run {
            $0.coverageMaintenanceInterval = .milliseconds(100)
        } _: { api in
            let village = "420802001001"
            _ = try await api.send(.post, "/v1/units/import", json: "[\(Fixture.unit(code: village, name: "村一"))]")
            _ = try await api.create("stations", Fixture.station(name: "站点一", region: "420802001", units: [village]))
            let cell = try await eventually {
                let marks = try await TestDatabase.texts("SELECT count(*)::text FROM coverage_dirty", on: node.database)
                let counts = try await TestDatabase.texts(
                    "SELECT concat_ws(' ', counts->>'activeStations', counts->>'coveredUnits') FROM coverage_cells WHERE cell = '420802001'",
                    on: node.database
                )
                return (marks, counts)
            } until: {
                $0.0 == ["0"] && $0.1 == ["1 1"]
            }
            #expect(cell.0 == ["0"], "marks left")
            #expect(cell.1 == ["1 1"], "the township's cell counts the station and the village it covers")
        }
    }

    /// A write asks for its cells to be recounted; a TRUNCATE, whose rows no trigger sees, for everything.
    @Test func aWriteRecountsItsCellsAndATruncateEverything() async throws {
        let node = try await TestNode.make()
        let topology = node.configuration.topology
        let day = CoverageFigureStore.Day(today: CalendarDate(Date(), timeZone: topology.defaultSync.timezone), chinaToday: Activity.today())
        @Sendable func maintain() async throws -> CoverageFigureStore.Maintenance {
            try await TestDatabase.withClient(on: node.database) { client in
                try await CoverageStore(client: client, logger: TestDatabase.quietLogger).figures.maintain(cellWidth: 9, day: day)
            }
        }
        try await node.run { api in
            let village = "420802001001"
            _ = try await api.send(.post, "/v1/units/import", json: "[\(Fixture.unit(code: village, name: "村一"))]")
            #expect(try await maintain().recountedAll, "the first pass counts everything")
            _ = try await api.create("stations", Fixture.station(name: "站点一", region: "420802001", units: [village]))
            let written = try await maintain()
            #expect(!written.recountedAll && written.cellsRecounted == 1 && written.cellsChanged == 1, "\(written)")

            _ = try await TestDatabase.texts("TRUNCATE units", on: node.database)
            #expect(try await maintain().recountedAll)
            try await Self.expectMaintainedEqualRecount(node, on: day, after: "a TRUNCATE")
            let counts = try await TestDatabase.texts(
                "SELECT concat_ws(' ', counts->>'activeStations', counts->>'coveredUnits') FROM coverage_cells WHERE cell = '420802001'",
                on: node.database
            )
            #expect(counts == ["1 0"], "the station still counted, its village gone")
        }
    }

    /// At each node: the maintained figures of every region equal a recount, and so do the figures it serves.
    static func expectMaintainedEqualRecount(_ federation: TestFederation, _ apis: [APIClient], after step: String) async throws {
        let nodes = [federation.city, federation.county, federation.township]
        for node in nodes {
            let topology = node.configuration.topology
            let day = CoverageFigureStore.Day(
                today: CalendarDate(Date(), timeZone: topology.defaultSync.timezone),
                chinaToday: Activity.today()
            )
            try await expectMaintainedEqualRecount(node, on: day, after: step)
        }
        for (api, node) in zip(apis, nodes) { try await expectServedEqualRecount(api, node, after: step) }
    }

    static func expectMaintainedEqualRecount(_ node: TestNode, on day: CoverageFigureStore.Day, after step: String) async throws {
        let topology = node.configuration.topology
        let widths = CoverageSnapshot.prefixWidths(topology: topology, node: node.node)
        let (maintained, recounted) = try await TestDatabase.withClient(on: node.database) { client in
            try await CoverageStore(client: client, logger: TestDatabase.quietLogger).figures.verify(widths: widths, day: day)
        }
        var counted = 0
        for region in topology.node(node.node)!.allNodes {
            let prefix = CoverageSnapshot.prefix(of: region.code)
            let recount = recounted[prefix] ?? CoverageCounts()
            let differences = (maintained[prefix] ?? CoverageCounts()).differences(from: recount)
            #expect(differences.isEmpty, "at \(node.node), region \(region.code), after \(step): \(differences)")
            counted += recount.persons + recount.units + recount.activeStations
        }
        // Something is counted: the comparison checks something.
        #expect(counted > 0, "at \(node.node) after \(step)")
    }

    /// The figures a node serves after a write against a recount of its raw rows; returns the recount of its own region.
    @discardableResult
    static func expectServedEqualRecount(_ api: APIClient, _ node: TestNode, after step: String) async throws -> Figures {
        let written = Date()
        let reply = try await eventually {
            try await api.send(.get, "/v1/coverage?depth=4")
        } until: { reply in
            (reply.json["generatedAt"] as? String).flatMap(Timestamp.init).map { $0.date >= written } ?? false
        }
        let items = try #require(reply.json["items"] as? [[String: Any]], "\(reply.body)")
        let oracle = try await CoverageOracle(topology: node.configuration.topology, database: node.database)
        for item in items {
            let code = item["code"] as! String
            let differences = Figures(item).differences(from: oracle.figures(for: code))
            #expect(differences.isEmpty, "served at \(node.node), region \(code), after \(step): \(differences)")
        }
        return oracle.figures(for: node.node.rawValue)
    }
}

/// One node writing where it is the author, through its API.
private struct Writer {
    let api: APIClient
    let node: TestNode
    let congress: String
    let level: String
    let regions: [String]

    /// Villages, stations covering them, mandates (of the shared persons, and some without an ID number), assignments,
    /// groups and activities, a training with sign-ins.
    func seed(persons: [String], random: inout SeededRandom) async throws {
        let villages = regions.filter { $0.utf8.count == 12 }
        for village in villages
        where try await TestDatabase.texts("SELECT id::text FROM units WHERE region_code = '\(village)' AND NOT deleted", on: node.database).isEmpty {
            _ = try await api.send(.post, "/v1/units/import", json: "[\(Fixture.unit(code: village, name: "村\(village.suffix(3))"))]")
        }
        for index in 0..<2 {
            let covered = villages.shuffled(using: &random).prefix(Int.random(in: 0...2, using: &random))
            _ = try await api.create(
                "stations",
                Fixture.station(
                    name: "站点\(congress)-\(Int.random(in: 0..<1_000_000, using: &random))-\(index)",
                    region: regions.randomElement(using: &random)!,
                    units: Array(covered)
                )
            )
        }
        for _ in 0..<4 {
            let person = Bool.random(using: &random) ? #", "idNumber": "\#(persons.randomElement(using: &random)!)""# : ""
            // The same person twice in one congress is refused (409): that draw writes nothing.
            _ = try await api.send(
                .post,
                "/v1/deputies",
                json: Fixture.deputy(
                    name: "代表\(Int.random(in: 0..<1_000_000, using: &random))",
                    region: regions.randomElement(using: &random)!,
                    level: level,
                    congress: congress,
                    extra: person
                )
            )
        }
        let inOffice = try await mandates(inOffice: true)
        let stations = try await ids("stations")
        for deputy in inOffice.shuffled(using: &random).prefix(3) {
            guard let station = stations.randomElement(using: &random) else { break }
            // Some begin or end within the days the test lets pass.
            let today = Activity.today()
            let period = [
                "", #", "since": "2020-01-01""#, #", "until": "2021-06-30""#, #", "since": "2199-01-01""#, #", "since": "\#(today.adding(days: 1))""#,
                #", "until": "\#(today)""#,
            ]
            .randomElement(using: &random)!
            _ = try await api.create("assignments", #"{"deputyId": "\#(deputy.id)", "stationId": "\#(station)", "role": "resident"\#(period)}"#)
        }
        _ = try await DutyRecords.write(api, regions: regions, deputies: inOffice, activities: 6, random: &random)
        // Opinions whose deadlines pass within those days.
        for _ in 0..<2 {
            let registered = Activity.today().adding(days: -Int.random(in: 0...40, using: &random))
            _ = try await api.create(
                "cases",
                """
                {"kind": "opinion", "channel": "reception", "subject": "路灯", "content": "村口路灯不亮", "regionCode": "\(regions.randomElement(using: &random)!)",
                 "registeredOn": "\(registered)"}
                """
            )
        }
        if let signing = inOffice.randomElement(using: &random) {
            let training = try await api.create(Training.self, Fixture.training(branchRegion: regions[0]).replacing("420802", with: congress))
            try await TestDatabase.withClient(on: node.database) { client in
                let store = RecordStore(client: client, node: node.node, logger: TestDatabase.quietLogger)
                _ = try await store.create(
                    PreparedRecord(
                        id: UUID(),
                        regionCode: nil,
                        body: Attendance(
                            trainingId: training.meta.id,
                            venueId: try #require(training.body.venues.first?.id),
                            deputyId: UUID(uuidString: signing.id)!,
                            mode: .onsite
                        )
                    )
                )
            }
        }
    }

    /// This node's own live records of `collection`.
    func ids(_ collection: String) async throws -> [String] {
        let items = try #require(try await api.send(.get, "/v1/\(collection)?limit=1000").json["items"] as? [[String: Any]])
        return items.filter { $0["origin"] as? String == node.node.rawValue }.map { $0["id"] as! String }
    }

    func mandates(inOffice: Bool) async throws -> [(id: String, congress: String)] {
        let items = try #require(try await api.send(.get, "/v1/deputies?limit=1000").json["items"] as? [[String: Any]])
        return items.filter { $0["origin"] as? String == node.node.rawValue && (!inOffice || $0["status"] as? String == "in_office") }
            .map { ($0["id"] as! String, $0["congressCode"] as! String) }
    }

    func deleteSome(random: inout SeededRandom) async throws {
        for collection in ["activities", "groups", "assignments", "stations", "deputies", "units", "trainings"] {
            // A record still referenced may refuse deletion (409): either is fine here.
            for id in try await ids(collection).shuffled(using: &random).prefix(1) { _ = try await api.send(.delete, "/v1/\(collection)/\(id)") }
        }
    }

    /// Mandates move between stations (some closed), their assignments end, or begin again.
    func moveMandates(random: inout SeededRandom) async throws {
        let stations = try await ids("stations")
        for id in try await ids("assignments").shuffled(using: &random).prefix(3) {
            guard let station = stations.randomElement(using: &random) else { return }
            switch Int.random(in: 0..<3, using: &random) {
            case 0: try await edit("assignments", id) { $0["stationId"] = station }
            case 1: try await edit("assignments", id) { $0["until"] = "2021-06-30" }
            default:
                try await edit("assignments", id) { fields in
                    fields["since"] = nil
                    fields["until"] = nil
                }
            }
        }
    }

    /// Persons move between levels: a mandate takes another person's ID number (refused when that person already
    /// holds a mandate of the congress).
    func movePersons(persons: [String], random: inout SeededRandom) async throws {
        for deputy in try await mandates(inOffice: true).shuffled(using: &random).prefix(2) {
            let person = persons.randomElement(using: &random)!
            try await edit("deputies", deputy.id) { $0["idNumber"] = person }
        }
    }

    func closeOrReopenStations(random: inout SeededRandom) async throws {
        for id in try await ids("stations").shuffled(using: &random).prefix(2) {
            let status = ["active", "suspended", "closed"].randomElement(using: &random)!
            try await edit("stations", id) { $0["status"] = status }
        }
    }

    func resignSome(random: inout SeededRandom) async throws {
        try await DutyRecords.resign(try await mandates(inOffice: true).shuffled(using: &random).prefix(1).map(\.id), at: api)
    }

    /// The parent receives this node's whole log again (a replay): nothing may count twice.
    func replay() async throws {
        guard congress != "4208" else { return }
        _ = try await TestDatabase.texts("UPDATE sync_upstream SET acked_seq = 0 RETURNING 1", on: node.database)
    }

    /// Reads a record, changes its fields, writes it back; a refusal (a conflict with the rules) changes nothing.
    private func edit(_ collection: String, _ id: String, _ change: (inout [String: Any]) -> Void) async throws {
        let read = try await api.send(.get, "/v1/\(collection)/\(id)")
        guard read.status == .ok else { return }
        var fields = read.json
        change(&fields)
        let body = String(decoding: try JSONSerialization.data(withJSONObject: fields.compactMapValues { $0 is NSNull ? nil : $0 }), as: UTF8.self)
        _ = try await api.send(.put, "/v1/\(collection)/\(id)", json: body)
    }
}
