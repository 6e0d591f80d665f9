import CongressCore
import CongressStore
import Foundation
import Hummingbird
import Testing

/// A valid-looking GB 11643 number built from a serial (never a real person's): 17 digits and their check character.
func syntheticIDNumber(_ serial: Int) -> String {
    let body = "110105" + "1970" + String(format: "%02d%02d", 1 + serial % 12, 1 + serial % 28) + String(format: "%03d", serial % 1000)
    return body + String(NationalID.checkCharacter(of: body.compactMap(\.wholeNumberValue)))
}

/// The raw rows of one table, tombstones included, as the oracle reads them.
struct RawRecord {
    var id: String
    var region: String
    var deleted: Bool
    var body: [String: Any]

    static func all(_ table: String, on database: DatabaseAddress) async throws -> [RawRecord] {
        try await TestDatabase.texts("SELECT json_build_array(id, region_code, deleted, body)::text FROM \(table)", on: database).map { text in
            let row = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [Any]
            return RawRecord(id: row[0] as! String, region: row[1] as! String, deleted: row[2] as! Bool, body: row[3] as! [String: Any])
        }
    }

    subscript(_ key: String) -> String? { body[key] as? String }

    /// A referenced record's id as the `id` column prints it (bodies hold upper-case UUIDs).
    func reference(_ key: String) -> String { (body[key] as! String).lowercased() }
}

@Suite struct CoverageOracleTests {
    /// Random records over a generated province, some deleted; every figure of every region must equal a direct
    /// recomputation from the raw rows.
    @Test(arguments: [UInt64(7), 2026])
    func everyFigureAtEveryLevelEqualsARecountOfTheRawRows(seed: UInt64) async throws {
        let generated = SyntheticTopology(cities: 2, countiesPerCity: 2, townshipsPerCounty: 3)
        let node = try await TestNode.make(node: "42", topologyYAML: generated.yaml)
        let topology = node.configuration.topology
        let townships = topology.allNodes.filter { $0.level == .township }.map(\.code.rawValue)
        let regions = topology.allNodes.filter { $0.level != .province }.map(\.code.rawValue)

        try await node.run { api in
            var random = SeededRandom(seed: seed)
            // Villages: a few per township, one registered and then deleted.
            var villages: [String] = []
            for township in townships {
                for index in 1...Int.random(in: 1...4, using: &random) { villages.append(township + String(format: "%03d", index)) }
            }
            let unitsJSON = villages.map { Fixture.unit(code: $0, name: "村\($0.suffix(5))") }.joined(separator: ",")
            let importedUnits = try await api.send(.post, "/v1/units/import", json: "[\(unitsJSON)]")
            try #require(importedUnits.status == .ok, "\(importedUnits.body)")

            // Stations of every type and status, hosted at any width, covering random villages (one not registered).
            var stations: [String] = []
            for index in 0..<24 {
                let type = Station.StationType.allCases.randomElement(using: &random)!
                let status = ["active", "active", "active", "suspended", "closed"].randomElement(using: &random)!
                let region = (regions + villages).randomElement(using: &random)!
                let covered = (villages.shuffled(using: &random).prefix(Int.random(in: 0...4, using: &random)) + (index == 3 ? ["429999999999"] : []))
                    .map { "\"\($0)\"" }.joined(separator: ",")
                let standards = ["site", "staff", "rules", "activities", "funds", "equipment"]
                    .map { "\"\($0)\": \(Int.random(in: 0..<4, using: &random) > 0)" }.joined(separator: ",")
                stations.append(
                    try await api.create(
                        "stations",
                        """
                        {"name": "站点\(index)", "type": "\(type.rawValue)", "regionCode": "\(region)", "coveredUnits": [\(covered)],
                         "standards": {\(standards)}, "status": "\(status)"}
                        """
                    )
                )
            }

            // Deputies: one person often holds mandates at two or three levels; some without an ID number.
            var mandates = Set<String>()
            var deputiesJSON: [String] = []
            for index in 0..<90 {
                let person = Int.random(in: 0..<45, using: &random)
                // A province node holds no national mandates (their congress lies outside its subtree).
                let level = Level.allCases.dropFirst().randomElement(using: &random)!
                let congress = topology.allNodes.filter { $0.level == level }.randomElement(using: &random)!.code.rawValue
                let status = ["in_office", "in_office", "in_office", "in_office", "resigned", "terminated"].randomElement(using: &random)!
                let region = (regions + villages).randomElement(using: &random)!
                // One person holds one mandate of a congress in a term: a second draw of the same pair goes without an
                // ID number (an office that did not record it), as a register import would otherwise merge the two.
                let id = index % 7 == 0 || !mandates.insert("\(person)/\(congress)").inserted ? "" : #", "idNumber": "\#(syntheticIDNumber(person))""#
                deputiesJSON.append(
                    """
                    {"name": "代表\(index)", "gender": "male", "level": "\(level.rawValue)", "congressCode": "\(congress)", "term": 14,
                     "status": "\(status)", "regionCode": "\(region)"\(id)}
                    """
                )
            }
            let imported = try await api.send(.post, "/v1/deputies/import", json: "[\(deputiesJSON.joined(separator: ","))]")
            try #require(imported.status == .ok, "\(imported.body)")
            let deputyRows = try await RawRecord.all("deputies", on: node.database)
            let deputies = deputyRows.map(\.id)
            // Groups and activities of the in-office mandates; some of those then resign (their activities stay).
            let inOffice = deputyRows.filter { $0["status"] == "in_office" }.map { (id: $0.id, congress: $0["congressCode"]!) }
            let participants = try await DutyRecords.write(api, regions: regions + villages, deputies: inOffice, random: &random)
            try await DutyRecords.resign(participants.shuffled(using: &random).prefix(3), at: api)

            // Assignments, some ended, some not yet begun.
            for _ in 0..<50 {
                let period = [
                    "", #", "since": "2020-01-01""#, #", "since": "2020-01-01", "until": "2021-06-30""#, #", "since": "2199-01-01""#,
                    #", "until": "2199-12-31""#, #", "until": "2021-06-30""#,
                ].randomElement(using: &random)!
                _ = try await api.create(
                    "assignments",
                    #"{"deputyId": "\#(deputies.randomElement(using: &random)!)", "stationId": "\#(stations.randomElement(using: &random)!)", "role": "resident"\#(period)}"#
                )
            }

            // Trainings and sign-ins (the sign-in routes belong to training rollouts; the store writes them here).
            var trainings: [(id: UUID, venue: UUID)] = []
            for _ in 0..<2 {
                let training = try await api.create(
                    Training.self,
                    Fixture.training(branchRegion: townships.randomElement(using: &random)!).replacing("420802", with: "4201")
                )
                trainings.append((training.meta.id, try #require(training.body.venues.first?.id)))
            }
            try await TestDatabase.withClient(on: node.database) { client in
                let store = RecordStore(client: client, node: node.node, logger: TestDatabase.quietLogger)
                for deputy in deputies.shuffled(using: &random).prefix(30) {
                    let training = trainings.randomElement(using: &random)!
                    _ = try await store.create(
                        PreparedRecord(
                            id: UUID(),
                            regionCode: nil,
                            body: Attendance(trainingId: training.id, venueId: training.venue, deputyId: UUID(uuidString: deputy)!, mode: .onsite)
                        )
                    )
                }
            }

            // Tombstones must not count (a deputy or station still referenced may refuse deletion: either is fine here).
            for collection in ["stations", "deputies", "units", "activities", "groups"] {
                let items = try #require(try await api.send(.get, "/v1/\(collection)?limit=1000").json["items"] as? [[String: Any]])
                for item in items.shuffled(using: &random).prefix(4) {
                    let deleted = try await api.send(.delete, "/v1/\(collection)/\(item["id"] as! String)")
                    if collection == "units" { #expect(deleted.status == .ok, "\(deleted.body)") }
                }
            }
            #expect(try await TestDatabase.texts("SELECT count(*)::text FROM units WHERE deleted", on: node.database) == ["4"])
            _ = try await api.send(.delete, "/v1/trainings/\(trainings[1].id)")

            // A write makes the node recount; a request waits a moment for that, then answers with what it has.
            let written = Date()
            let reply = try await eventually {
                try await api.send(.get, "/v1/coverage?region=42&depth=4")
            } until: { reply in
                (reply.json["generatedAt"] as? String).flatMap(Timestamp.init).map { $0.date >= written } ?? false
            }
            #expect(reply.status == .ok, "\(reply.body)")
            let items = try #require(reply.json["items"] as? [[String: Any]])
            #expect(items.map { $0["code"] as? String } == topology.allNodes.map(\.code.rawValue))
            let oracle = try await CoverageOracle(topology: topology, database: node.database)
            for item in items {
                let code = item["code"] as! String
                let differences = Figures(item).differences(from: oracle.figures(for: code))
                #expect(differences.isEmpty, "region \(code): \(differences)")
            }
            // The figures are not all trivial: the oracle checks something.
            #expect(oracle.figures(for: "42").values.values.filter { $0 > 0 }.count > 20)

            // A sub-region at depth 1 answers the same rows; CSV carries the same table.
            let county = townships[0].prefix(6)
            let part = try #require(try await api.send(.get, "/v1/coverage?region=\(county)&depth=1").json["items"] as? [[String: Any]])
            #expect(part.map { $0["code"] as! String } == [String(county)] + townships.filter { $0.hasPrefix(county) })
            #expect(part.map(Figures.init) == part.map { oracle.figures(for: $0["code"] as! String) })
            let csv = try await api.send(.get, "/v1/coverage?region=42&depth=4&format=csv")
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            let lines = csv.csvLines
            #expect(lines.count == items.count + 1)
            let header = lines[0].split(separator: ",").map(String.init)
            let row = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let rootFigures = oracle.figures(for: "42")
            #expect(Double(row[header.firstIndex(of: "persons")!]) == rootFigures["deputies.persons"])
            #expect(Double(row[header.firstIndex(of: "units_covered")!]) == rootFigures["units.covered"])
            #expect(Double(row[header.firstIndex(of: "units_ratio")!]) == rootFigures["units.ratio"])
            // The duty columns come after wave 1's, then the cases', every kind and state named.
            let dutyColumns =
                ["activities_year"] + Activity.Kind.allCases.map { "activities_\($0.rawValue)" } + [
                    "mandates_active", "mandates_active_ratio", "groups", "group_activities", "groups_meeting_rule", "constituents_met",
                ]
            let caseColumns =
                (CaseKind.allCases.map(\.rawValue) + CaseState.allCases.map(\.rawValue)
                + ["due", "closed", "closed_ratio", "overdue", "satisfied_ratio", "consulted_ratio", "transferred_up"]).map { "cases_\($0)" }
            #expect(Array(header.suffix(dutyColumns.count + caseColumns.count)) == dutyColumns + caseColumns)
            #expect(Double(row[header.firstIndex(of: "mandates_active")!]) == rootFigures["activities.mandatesActive"])
            #expect(Double(row[header.firstIndex(of: "activities_visit")!]) == rootFigures["activities.byKind.visit"])
            #expect(Double(row[header.firstIndex(of: "groups_meeting_rule")!]) == rootFigures["activities.groupsMeetingRule"])
            #expect(Double(row[header.firstIndex(of: "constituents_met")!]) == rootFigures["activities.constituentsMet"])
        }
    }
}

/// An item's figures flattened to name → number (ratios as numerator/denominator checks happen via the counts).
struct Figures: Equatable, CustomStringConvertible {
    var values: [String: Double]

    init(_ values: [String: Double]) { self.values = values }

    init(_ item: [String: Any]) {
        var values: [String: Double] = [:]
        func walk(_ prefix: String, _ value: Any) {
            switch value {
            case let object as [String: Any]: for (key, inner) in object { walk(prefix.isEmpty ? key : prefix + "." + key, inner) }
            case let number as NSNumber: values[prefix] = number.doubleValue
            case is NSNull: values[prefix] = -1
            default: break
            }
        }
        for key in ["stations", "units", "townships", "deputies", "standards", "training", "activities"] { walk(key, item[key]!) }
        self.values = values
    }

    subscript(_ key: String) -> Double? { values[key] }

    static func == (lhs: Figures, rhs: Figures) -> Bool {
        lhs.values.keys.sorted() == rhs.values.keys.sorted() && lhs.values.allSatisfy { key, value in abs(value - rhs.values[key]!) < 1e-9 }
    }

    /// `name: served ≠ recounted` for each figure that differs.
    func differences(from oracle: Figures) -> [String] {
        Set(values.keys).union(oracle.values.keys).sorted().compactMap { key in
            let (mine, theirs) = (values[key], oracle.values[key])
            if let mine, let theirs, abs(mine - theirs) < 1e-9 { return nil }
            return "\(key): \(mine.map { "\($0)" } ?? "-") ≠ \(theirs.map { "\($0)" } ?? "-")"
        }
    }

    var description: String { values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
}

/// SPEC §8 recounted the plain way, region by region, from every row of every table.
struct CoverageOracle {
    let topology: Topology
    let stations: [RawRecord]
    let units: [RawRecord]
    let deputies: [RawRecord]
    let assignments: [RawRecord]
    let trainings: [RawRecord]
    let attendance: [RawRecord]
    let activities: [RawRecord]
    let groups: [RawRecord]
    let today = CalendarDate(Date(), timeZone: "Asia/Shanghai").description
    /// SPEC §12: this year in China.
    let year = Activity.today().year

    init(topology: Topology, database: DatabaseAddress) async throws {
        self.topology = topology
        stations = try await RawRecord.all("stations", on: database)
        units = try await RawRecord.all("units", on: database)
        deputies = try await RawRecord.all("deputies", on: database)
        assignments = try await RawRecord.all("assignments", on: database)
        trainings = try await RawRecord.all("trainings", on: database)
        attendance = try await RawRecord.all("attendance", on: database)
        activities = try await RawRecord.all("activities", on: database)
        groups = try await RawRecord.all("groups", on: database)
    }

    func figures(for code: String) -> Figures {
        let region = RegionCode(code)!
        func inside(_ record: RawRecord) -> Bool { !record.deleted && region.contains(RegionCode(record.region)!) }
        let here = stations.filter(inside)
        let active = here.filter { $0["status"] == "active" }
        let allStandards = active.filter { station in
            let standards = station.body["standards"] as? [String: Bool] ?? [:]
            return ["site", "staff", "rules", "activities", "funds", "equipment"].allSatisfy { standards[$0] == true }
        }
        let coveredCodes = Set(stations.filter { !$0.deleted && $0["status"] == "active" }.flatMap { $0.body["coveredUnits"] as? [String] ?? [] })
        let villages = units.filter(inside)
        let covered = villages.filter { coveredCodes.contains($0.region) }
        let townshipNodes = topology.node(region)!.allNodes.filter { $0.level == .township }
        let withStation = townshipNodes.filter { township in
            stations.contains { !$0.deleted && $0["status"] == "active" && township.code.contains(RegionCode($0.region)!) }
        }

        let inOffice = deputies.filter { !$0.deleted && $0["status"] == "in_office" }
        func person(_ deputy: RawRecord) -> String { deputy["personKey"] ?? deputy.id }
        let mandates = inOffice.filter(inside)
        let liveStations = Dictionary(uniqueKeysWithValues: stations.filter { !$0.deleted && $0["status"] != "closed" }.map { ($0.id, $0) })
        let assignedIDs = Set(
            assignments.filter { a in
                !a.deleted && liveStations[a.reference("stationId")] != nil && (a["since"] ?? "") <= today && (a["until"] ?? "9999") >= today
            }.map { $0.reference("deputyId") }
        )
        let liveTrainings = Set(trainings.filter { !$0.deleted }.map(\.id))
        let inOfficeByID = Dictionary(uniqueKeysWithValues: inOffice.map { ($0.id, $0) })
        let trainedPersons = Set(
            attendance.filter { !$0.deleted && liveTrainings.contains($0.reference("trainingId")) }.compactMap {
                inOfficeByID[$0.reference("deputyId")]
            }.map(person)
        )
        let persons = Set(mandates.map(person))

        func ratio(_ part: Int, _ whole: Int) -> Double { whole == 0 ? -1 : Double(part) / Double(whole) }
        var values: [String: Double] = [
            "stations.total": Double(here.count), "stations.active": Double(active.count),
            "units.total": Double(villages.count), "units.covered": Double(covered.count), "units.ratio": ratio(covered.count, villages.count),
            "townships.total": Double(townshipNodes.count), "townships.withStation": Double(withStation.count),
            "townships.ratio": ratio(withStation.count, townshipNodes.count),
            "deputies.persons": Double(persons.count),
            "deputies.assigned": Double(mandates.filter { assignedIDs.contains($0.id) }.count),
            "deputies.assignedRatio": ratio(mandates.filter { assignedIDs.contains($0.id) }.count, mandates.count),
            "standards.met": Double(allStandards.count), "standards.ratio": ratio(allStandards.count, active.count),
            "training.trained": Double(persons.intersection(trainedPersons).count), "training.persons": Double(persons.count),
            "training.ratio": ratio(persons.intersection(trainedPersons).count, persons.count),
        ]
        for type in Station.StationType.allCases { values["stations.byType.\(type.rawValue)"] = Double(here.count { $0["type"] == type.rawValue }) }
        for level in Level.allCases { values["deputies.seats.\(level.rawValue)"] = Double(mandates.count { $0["level"] == level.rawValue }) }

        // Duty performance: confirmed, live activities dated this year count.
        let counted = activities.filter { !$0.deleted && $0.body["confirmed"] as? Bool == true && $0["on"]!.hasPrefix("\(year)-") }
        let countedHere = counted.filter(inside)
        let tookPart = Set(counted.flatMap { ($0.body["participants"] as! [String]).map { $0.lowercased() } })
        let mandatesActive = mandates.count { tookPart.contains($0.id) }
        let groupsHere = groups.filter(inside)
        func timesMet(_ group: RawRecord) -> Int { counted.count { ($0["groupId"]?.lowercased()) == group.id } }
        values["activities.year"] = Double(year)
        values["activities.mandatesActive"] = Double(mandatesActive)
        values["activities.ratio"] = ratio(mandatesActive, mandates.count)
        values["activities.groups"] = Double(groupsHere.count)
        values["activities.groupActivities"] = Double(groupsHere.map(timesMet).reduce(0, +))
        values["activities.groupsMeetingRule"] = Double(groupsHere.count { timesMet($0) >= DeputyGroup.activitiesExpectedPerYear })
        values["activities.constituentsMet"] = Double(countedHere.map { $0.body["constituentsMet"] as? Int ?? 0 }.reduce(0, +))
        for kind in Activity.Kind.allCases {
            values["activities.byKind.\(kind.rawValue)"] = Double(countedHere.count { $0["kind"] == kind.rawValue })
        }
        return Figures(values)
    }
}

/// Random duty records (SPEC §12) for the oracles: groups of the mandates' congresses, then activities of every kind,
/// confirmed or not, dated this year or last (unconfirmed ones also later this year), some naming a group.
enum DutyRecords {
    /// Writes them at `api` with participants among `deputies` (in office, seen by that node); returns the participants.
    static func write(
        _ api: APIClient,
        regions: [String],
        deputies: [(id: String, congress: String)],
        activities count: Int = 24,
        random: inout SeededRandom
    ) async throws -> [String] {
        guard !deputies.isEmpty else { return [] }
        let byCongress = Dictionary(grouping: deputies, by: \.congress)
        var groups: [String] = []
        for congress in byCongress.keys.sorted().shuffled(using: &random).prefix(3) {
            let members = byCongress[congress]!.shuffled(using: &random).prefix(3).enumerated().map { index, deputy in
                #"{"deputyId": "\#(deputy.id)", "role": "\#(index == 0 ? "leader" : "member")"}"#
            }
            let kind = DeputyGroup.Kind.allCases.randomElement(using: &random)!.rawValue
            groups.append(
                try await api.create(
                    "groups",
                    #"{"name": "小组\#(groups.count)", "kind": "\#(kind)", "congressCode": "\#(congress)", "regionCode": "\#(congress)", "members": [\#(members.joined(separator: ","))]}"#
                )
            )
        }

        let today = Activity.today()
        let thisYear = CalendarDate("\(today.year)-01-01")!
        let lastYear = CalendarDate("\(today.year - 1)-01-01")!
        let daysSoFar = (0...366).first { thisYear.adding(days: $0) == today }!
        var participants: Set<String> = []
        for index in 0..<count {
            // The first group meets often enough for 晋城's rule; the rest is left to chance.
            let meets = index < DeputyGroup.activitiesExpectedPerYear && !groups.isEmpty
            let confirmed = meets || Int.random(in: 0..<10, using: &random) < 7
            let on: CalendarDate =
                switch Int.random(in: 0..<10, using: &random) {
                case _ where meets: thisYear.adding(days: Int.random(in: 0...daysSoFar, using: &random))
                case 0..<6: thisYear.adding(days: Int.random(in: 0...daysSoFar, using: &random))
                case 6..<9: lastYear.adding(days: Int.random(in: 0..<365, using: &random))
                default: confirmed ? today : today.adding(days: Int.random(in: 1...30, using: &random))
                }
            var kind = meets ? .groupActivity : Activity.Kind.allCases.randomElement(using: &random)!
            if kind == .groupActivity && groups.isEmpty { kind = .visit }
            let group: String? =
                meets ? groups[0] : kind == .groupActivity || Int.random(in: 0..<4, using: &random) == 0 ? groups.randomElement(using: &random) : nil
            let taking = deputies.shuffled(using: &random).prefix(Int.random(in: 1...4, using: &random)).map(\.id)
            participants.formUnion(taking)
            let groupField = group.map { #", "groupId": "\#($0)""# } ?? ""
            _ = try await api.create(
                "activities",
                """
                {"kind": "\(kind.rawValue)", "title": "\(meets ? "小组例会" : "活动")\(index)", "on": "\(on)", "regionCode": "\(regions.randomElement(using: &random)!)",
                 "participants": [\(taking.map { "\"\($0)\"" }.joined(separator: ","))], "constituentsMet": \(Int.random(in: 0...40, using: &random)),
                 "confirmed": \(confirmed)\(groupField)}
                """
            )
        }
        return participants.sorted()
    }

    /// The mandates `ids` (owned by `api`'s node) resign: what they did stays recorded, they no longer count as in office.
    static func resign(_ ids: some Sequence<String>, at api: APIClient) async throws {
        for id in ids {
            var deputy = try await api.get(Deputy.self, id: UUID(uuidString: id)!)
            deputy.body.status = .resigned
            let reply = try await api.send(.put, "/v1/deputies/\(id)", json: try deputy.json)
            #expect(reply.status == .ok, "\(reply.body)")
        }
    }
}

@Suite struct CoverageDutyOracleTests {
    /// Township → county → city over real HTTP: each writes mandates, groups and activities (the county and the city
    /// also with the mandates they received from below), some mandates resign and some records are deleted; after
    /// sync every figure of every region at each node equals a recount of that node's raw rows.
    @Test(arguments: [UInt64(11), 2027])
    func dutyFiguresAtTheTownshipCountyAndCityEqualARecountAfterSync(seed: UInt64) async throws {
        let federation = try await TestFederation.make()
        try await federation.run { city, county, township in
            var random = SeededRandom(seed: seed)
            // Each node writes where it is the author: 泉口街道 has no node, so the county writes its records.
            let writers: [(api: APIClient, node: TestNode, congress: String, level: String, regions: [String])] = [
                (township, federation.township, "420802101", "township", ["420802101", "420802101001", "420802101002"]),
                (county, federation.county, "420802", "county", ["420802", "420802102", "420802102001"]),
                (city, federation.city, "4208", "city", ["4208", "420804"]),
            ]
            var owned: [String: [String]] = [:]
            for writer in writers {
                for index in 0..<6 {
                    let id = try await writer.api.create(
                        "deputies",
                        Fixture.deputy(
                            name: "代表\(writer.congress)-\(index)",
                            region: writer.regions.randomElement(using: &random)!,
                            level: writer.level,
                            congress: writer.congress
                        )
                    )
                    owned[writer.congress, default: []].append(id)
                }
                // In office and seen here: this node's own mandates and those it received from below.
                let seen = try await RawRecord.all("deputies", on: writer.node.database).filter { !$0.deleted && $0["status"] == "in_office" }
                let participants = try await DutyRecords.write(
                    writer.api,
                    regions: writer.regions,
                    deputies: seen.map { ($0.id, $0["congressCode"]!) },
                    activities: 16,
                    random: &random
                )
                try await DutyRecords.resign(participants.filter(owned[writer.congress]!.contains).prefix(2), at: writer.api)
                for collection in ["activities", "groups"] {
                    let items = try #require(try await writer.api.send(.get, "/v1/\(collection)?limit=1000").json["items"] as? [[String: Any]])
                    // The first group and its meetings stay, so that 晋城's rule is met somewhere.
                    let own = items.filter { $0["origin"] as? String == writer.congress && $0["name"] as? String != "小组0" }
                        .filter { !($0["title"] as? String ?? "").hasPrefix("小组例会") }
                    for item in own.shuffled(using: &random).prefix(2) {
                        _ = try await writer.api.send(.delete, "/v1/\(collection)/\(item["id"] as! String)")
                    }
                }
                if writer.congress != "4208" { #expect(try await writer.api.sync().error == nil) }
            }

            for (api, node) in [(township, federation.township), (county, federation.county), (city, federation.city)] {
                let top = try await CoverageMaintenanceTests.expectServedEqualRecount(api, node, after: "sync")
                // Something is counted: activities of this year, a mandate that took part, a group that met 4 times.
                #expect(
                    top["activities.mandatesActive"]! > 0 && top["activities.groupsMeetingRule"]! > 0 && top["activities.constituentsMet"]! > 0,
                    "\(top)"
                )
            }
        }
    }
}

@Suite struct CoverageFreshnessTests {
    /// Township → county → city on minutely schedules; the county stops. Until its next run is due the city's figures
    /// are fresh; once the run is missed (period plus slack, simulated by moving the city's record of the county's last
    /// delivery back) the county and the township below it are stale, with the last sync time, and the figures stay.
    @Test func aStoppedCountyShowsAsStaleAtTheCityWithItsLastSyncTime() async throws {
        let federation = try await TestFederation.make(townshipSchedule: "* * * * *", countySchedule: "* * * * *")
        let writing: @Sendable (APIClient, APIClient, APIClient) async throws -> Void = { township, _, _ in
            _ = try await township.create("units", Fixture.unit())
            _ = try await township.create("stations", Fixture.station())
        }
        try await federation.afterCountyStops(writing: writing) { city in
            // The county is down now, but its run is not due yet.
            let fresh = try await coverageItems(city, "?depth=2")
            let county = try #require(fresh["420802"])
            #expect(county.freshness["nodes"] as? Int == 2)
            #expect(county.freshness["stale"] as? [String] == [])
            #expect(county.freshness["partial"] as? Bool == false)
            #expect(county.freshness["oldestSync"] is String)
            #expect(county.stations["total"] as? Int == 1)
            // A county without a node of its own is written at the city: nothing of it can be late.
            #expect(fresh["420804"]?.freshness["nodes"] as? Int == 0)

            let lastSync = try await federation.missCountyRun()
            let stale = try await eventually {
                try await coverageItems(city, "?depth=2")
            } until: {
                $0["420802"]?.freshness["partial"] as? Bool == true
            }
            let late = try #require(stale["420802"])
            #expect(late.freshness["stale"] as? [String] == ["420802", "420802101"])
            #expect((late.freshness["oldestSync"] as? String)?.hasPrefix(lastSync) == true, "\(late.freshness) vs \(lastSync)")
            // Still the figures it last delivered, never zero.
            #expect(late.stations["total"] as? Int == 1)
            #expect(stale["420802102"]?.freshness["stale"] as? [String] == ["420802"])
            #expect(stale["4208"]?.freshness["stale"] as? [String] == ["420802", "420802101"])
            #expect(stale["420804"]?.freshness["partial"] as? Bool == false)
        }
    }
}

extension TestFederation {
    /// Serves the three nodes; `writing` runs at each (township, county, city), then the township and the county push
    /// once and stop. `body` then runs against the city alone.
    func afterCountyStops(
        writing: @Sendable (_ township: APIClient, _ county: APIClient, _ city: APIClient) async throws -> Void,
        _ body: @Sendable (_ city: APIClient) async throws -> Void
    ) async throws {
        try await city.serve(configure: Self.live) { city in
            try await county.serve(configure: Self.live) { county in
                try await township.serve(configure: Self.live) { township in
                    try await writing(township, county, city)
                    #expect(try await township.sync().error == nil)
                }
                #expect(try await county.sync().error == nil)
            }
            try await body(city)
        }
    }

    /// Moves the city's record of the county's last delivery back past a minutely schedule's period and slack, as if
    /// its next run had been missed; returns that time (UTC, to the second).
    func missCountyRun() async throws -> String {
        let moved = try await TestDatabase.texts(
            """
            UPDATE sync_checkpoints SET last_batch_at = last_batch_at - interval '80 seconds' WHERE sender = '420802'
            RETURNING to_char(last_batch_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
            """,
            on: city.database
        )
        return try #require(moved.first)
    }
}

/// One region's item of a coverage answer, by group.
struct CoverageItemView {
    var json: [String: Any]
    var freshness: [String: Any] { json["freshness"] as? [String: Any] ?? [:] }
    var stations: [String: Any] { json["stations"] as? [String: Any] ?? [:] }
}

func coverageItems(_ api: APIClient, _ query: String) async throws -> [String: CoverageItemView] {
    let reply = try await api.send(.get, "/v1/coverage" + query)
    guard reply.status == .ok, let items = reply.json["items"] as? [[String: Any]] else {
        throw TestSetupError("coverage answered \(reply.status): \(reply.body)")
    }
    return Dictionary(uniqueKeysWithValues: items.map { ($0["code"] as! String, CoverageItemView(json: $0)) })
}

/// Reads `value` again until `condition` holds (at most 30 seconds): for what happens on its own, elsewhere.
func eventually<Value>(_ value: () async throws -> Value, until condition: (Value) -> Bool) async throws -> Value {
    // Generous: the whole suite runs in parallel on two cores, and only a failure waits this long.
    let deadline = ContinuousClock.now + .seconds(30)
    while true {
        let current = try await value()
        if condition(current) || ContinuousClock.now > deadline { return current }
        try await Task.sleep(for: .milliseconds(100))
    }
}

@Suite struct CoverageRefusalTests {
    @Test(arguments: [
        ("?region=4299", HTTPResponse.Status.notFound, "not_found", "region"),
        ("?region=420804", .forbidden, "out_of_scope", "region"),
        ("?region=42080", .unprocessableContent, "invalid", "region"),
        ("?depth=5", .unprocessableContent, "invalid", "depth"),
        ("?depth=-1", .unprocessableContent, "invalid", "depth"),
        ("?depth=two", .unprocessableContent, "invalid", "depth"),
        ("?format=xlsx", .unprocessableContent, "invalid", "format"),
        ("?regoin=420802", .badRequest, "bad_request", "regoin"),
    ])
    func badQueriesGetTheJSONErrorWithTheParameterNamed(query: String, status: HTTPResponse.Status, code: String, field: String) async throws {
        let node = try await TestNode.make()
        try await node.run { api in
            let reply = try await api.send(.get, "/v1/coverage" + query)
            #expect(reply.status == status, "\(reply.body)")
            #expect(reply.error?.code == code)
            #expect(reply.error?.field == field)
            #expect((reply.error?.message.count ?? 0) > 20, "\(reply.body)")
        }
    }

    @Test func theMessagesSayWhatIsWrong() async throws {
        let node = try await TestNode.make()
        try await node.run { api in
            let sibling = try await api.send(.get, "/v1/coverage?region=420804").error?.message ?? ""
            #expect(sibling.contains("outside this node's subtree") && sibling.contains("ask node 4208"), "\(sibling)")
            let typo = try await api.send(.get, "/v1/coverage?regoin=4208").error?.message ?? ""
            #expect(typo.contains("did you mean 'region'"), "\(typo)")
            #expect(try await api.send(.get, "/v1/coverage", token: Token.none).status == .unauthorized)
        }
    }
}
