import CongressCore
import CongressStore
import Foundation
import Hummingbird
import Testing

@testable import CongressServer
@testable import CongressSync

/// 湖北省 over 荆门市 over 东宝区 and 掇刀区, all four running a node; the counties' towns have none (their records are
/// written at the counties). A change file renames a town, merges two, splits one and moves one from 东宝区 to 掇刀区.
@Suite(.serialized) struct DivisionChangeTests {
    static let regions = [
        "42": "湖北省", "4208": "荆门市", "420802": "东宝区", "420802101": "龙泉镇", "420802102": "子陵铺镇", "420802103": "栗溪镇",
        "420802104": "马河镇", "420804": "掇刀区", "420804101": "团林铺镇", "420804102": "麻城镇",
    ]
    static let (losing, gaining) = ("420802", "420804")

    /// The change file, with the villages of each part of the split.
    static func changeFile(keep: [String], new: [String]) -> String {
        func list(_ codes: [String]) -> String { codes.map { "\"\($0)\"" }.joined(separator: ", ") }
        return """
            version: 1
            changes:
              - rename: "420802101"
                name: 龙泉新镇
              - merge: ["420802102", "420802103"]
                into: "420802102"
                name: 子陵铺镇
              - split: "420804101"
                into:
                  - { code: "420804101", name: 团林铺镇, units: [\(list(keep))] }
                  - { code: "420804110", name: 团林新镇, units: [\(list(new))] }
              - move: "420802104"
                to: "420804"
                as: "420804120"
            """
    }

    /// The code a region or village has after the file, written out by hand (the oracle does not use the product's remap).
    static func expectedCode(_ code: String, splitOff: Set<String>) -> String {
        if code.hasPrefix("420802103") { return "420802102" + code.dropFirst(9) }
        if code.hasPrefix("420802104") { return "420804120" + code.dropFirst(9) }
        if splitOff.contains(code) { return "420804110" + code.dropFirst(9) }
        return code
    }

    /// What the seeds wrote: every record by id, with the code that decides its owner (its region; a mandate's congress).
    struct Seeded: Sendable {
        var regions: [String: String] = [:]
        var ownerKeys: [String: String] = [:]
        var origins: [String: String] = [:]
        var kinds: [String: RecordKind] = [:]

        mutating func add(_ id: String, _ kind: RecordKind, region: String, ownerKey: String? = nil, origin: String) {
            regions[id] = region
            ownerKeys[id] = ownerKey ?? region
            origins[id] = origin
            kinds[id] = kind
        }

        /// Each record's region and owner after the change: a record whose owner key left its owner's subtree goes to the
        /// county that holds it now.
        func expected(splitOff: Set<String>) -> [String: String] {
            var result: [String: String] = [:]
            for (id, region) in regions {
                let key = DivisionChangeTests.expectedCode(ownerKeys[id]!, splitOff: splitOff)
                var origin = origins[id]!
                if !key.hasPrefix(origin) { origin = [DivisionChangeTests.losing, DivisionChangeTests.gaining].first { key.hasPrefix($0) }! }
                result[id] = "\(DivisionChangeTests.expectedCode(region, splitOff: splitOff)) @\(origin)"
            }
            return result
        }
    }

    /// Every live record a node holds, as `id → "region @origin"`, straight from its tables.
    static func held(_ node: TestNode) async throws -> [String: String] {
        let sql = RecordKind.allCases.map { "SELECT upper(id::text) || ' ' || region_code || ' @' || origin FROM \($0.collection) WHERE NOT deleted" }
            .joined(separator: " UNION ALL ")
        var held: [String: String] = [:]
        for row in try await TestDatabase.texts(sql, on: node.database) {
            let parts = row.split(separator: " ", maxSplits: 1)
            #expect(held[String(parts[0])] == nil, "\(parts[0]) held twice")
            held[String(parts[0])] = String(parts[1])
        }
        return held
    }

    /// The figures of `codes` as `node` answers them, without freshness (sync times) and township counts (counted against
    /// the topology in force, which gains and loses towns when the new file is published).
    static func figures(_ api: APIClient, region: String, depth: Int) async throws -> [String: NSDictionary] {
        let items = try await coverageItems(api, "?region=\(region)&depth=\(depth)")
        return items.filter { $0.key.count <= 4 }.mapValues { item in
            var json = item.json
            json["freshness"] = nil
            json["townships"] = nil
            return json as NSDictionary
        }
    }

    static func apply(_ api: APIClient, _ text: String) async throws -> APIClient.Reply {
        let body = String(decoding: try JSONEncoder().encode(["file": "2023-jingmen.yaml", "text": text]), as: UTF8.self)
        return try await api.send(.post, "/v1/divisions/apply", json: body)
    }

    @Test(arguments: [UInt64(15), 2022])
    func everyAncestorHoldsEachRecordOnceUnderItsNewCodeAndTheTotalsAboveTheCountiesStay(seed: UInt64) async throws {
        let ports = try (0..<4).map { _ in try LoopbackPort.free() }
        let yaml = TestTopology(
            regions: Self.regions,
            ports: ["42": ports[0], "4208": ports[1], Self.losing: ports[2], Self.gaining: ports[3]]
        ).yaml
        let nodes = try await TestFederation.nodes(["42", "4208", Self.losing, Self.gaining], of: yaml)
        let (province, city, losing, gaining) = (nodes[0], nodes[1], nodes[2], nodes[3])
        let random = SharedRandom(seed: seed)

        // Villages: a few per town, numbered apart within each county so that the merge re-codes none onto another.
        var townVillages: [String: [String]] = [:]
        for town in Self.regions.keys.sorted() where town.count == 9 {  // sorted: a seed gives the same villages in every process
            let index = Int(town.suffix(1))!
            townVillages[town] = (1...random.int(in: 2...4)).map { town + String(format: "%03d", index * 10 + $0) }
        }
        let villages = townVillages
        let splitting = random.shuffled(villages["420804101"]!)
        let splitOff = Array(splitting.prefix(random.int(in: 1...(splitting.count - 1))))
        let kept = Array(splitting.dropFirst(splitOff.count))
        let file = Self.changeFile(keep: kept, new: splitOff)

        try await TestFederation.serve(nodes[0..<3]) { clients in
            let (provinceAPI, cityAPI, losingAPI) = (clients[0], clients[1], clients[2])
            // Before any sync, the losing county does not know what runs above it: a change waits.
            let early = try await Self.apply(losingAPI, file)
            #expect(early.status == .conflict && early.error?.code == "schema_mismatch", "\(early.body)")
            #expect(try await TestDatabase.texts("SELECT count(*)::text FROM division_changes_applied", on: losing.database) == ["0"])

            var seeded = try await gaining.serve(configure: TestFederation.live) { gainingAPI in
                let seeded = try await Self.seed(county: Self.gaining, api: gainingAPI, villages: villages, random: random)
                #expect(try await cityAPI.sync().error == nil)
                #expect(try await gainingAPI.sync().error == nil)
                // A split that leaves out a village the county holds is refused there, at its line, nothing changed.
                let before = try await gaining.snapshot()
                let partial = try await Self.apply(gainingAPI, Self.changeFile(keep: Array(kept.dropFirst()), new: splitOff))
                #expect(partial.status == .unprocessableContent, "\(partial.body)")
                #expect(
                    partial.error?.message.contains("2023-jingmen.yaml:8:12: error: the split gives no part 1 of 420804101's villages: \(kept[0])")
                        == true
                )
                #expect(try await gaining.snapshot() == before)
                return seeded
            }
            let atLosing = try await Self.seed(county: Self.losing, api: losingAPI, villages: villages, random: random)
            seeded.regions.merge(atLosing.regions) { $1 }
            seeded.ownerKeys.merge(atLosing.ownerKeys) { $1 }
            seeded.origins.merge(atLosing.origins) { $1 }
            seeded.kinds.merge(atLosing.kinds) { $1 }
            // The city plans a training with a branch venue in the town that moves; the province seats two of its deputies there.
            let training = try await cityAPI.create(
                Training.self,
                Fixture.training(branchRegion: "420802104").replacing("\"420802\"", with: "\"4208\"")
            )
            seeded.add("\(training.meta.id)", .training, region: training.meta.regionCode.rawValue, origin: "4208")
            for index in 0..<2 {
                let village = random.element(of: villages["420802104"]!)
                let deputy = try await provinceAPI.create(
                    Deputy.self,
                    Fixture.deputy(name: "省代表\(index)", region: village, level: "province", congress: "42")
                )
                seeded.add("\(deputy.meta.id)", .deputy, region: village, ownerKey: "42", origin: "42")
            }
            let all = seeded
            #expect(try await losingAPI.sync().error == nil)
            #expect(try await cityAPI.sync().error == nil)
            #expect(try await Self.held(city).count == all.regions.count - 2)
            let expected = all.expected(splitOff: Set(splitOff))
            let totals = (
                city: try await Self.figures(cityAPI, region: "4208", depth: 0), province: try await Self.figures(provinceAPI, region: "42", depth: 1)
            )
            #expect(totals.province.count == 2 && ((totals.city["4208"]?["units"] as? [String: Any])?["total"] as? Int ?? 0) > 10, "\(totals)")

            // Every node applies the file to what it owns; the gaining county is down.
            for (api, node) in [(losingAPI, losing), (cityAPI, city), (provinceAPI, province)] {
                let reply = try await Self.apply(api, file)
                #expect(reply.status == .ok, "\(node.node): \(reply.body)")
            }
            let report = try await Self.apply(losingAPI, file)
            #expect(report.json["alreadyApplied"] as? Bool == true, "\(report.body)")
            let moved = expected.filter { $0.value.hasSuffix("@\(Self.gaining)") && all.origins[$0.key] == Self.losing }
            // The moving town has at least two villages, a station and two township deputies.
            #expect(moved.count >= 5, "the move hands records over")
            #expect(report.status == .ok)

            let afterApply = try await losingAPI.sync()
            #expect(afterApply.error == nil, "\(afterApply.error ?? "")")
            #expect(try await cityAPI.sync().error == nil)
            let losingHolds = try await Self.held(losing)
            #expect(Set(losingHolds.keys).isDisjoint(with: moved.keys), "the losing county holds none of what it handed over")
            // The gaining county has not applied its own part yet: what it wrote is checked once it has.
            let handedOrKept = expected.filter { all.origins[$0.key] != Self.gaining }
            for node in [city, province] {
                let holds = try await Self.held(node)
                let mine = holds.filter { handedOrKept[$0.key] != nil }
                #expect(mine == handedOrKept.filter { node.node.rawValue == "42" || !$0.value.hasSuffix("@42") }, "\(node.node)")
            }
            #expect(try await Self.figures(cityAPI, region: "4208", depth: 0) == totals.city)
            #expect(try await Self.figures(provinceAPI, region: "42", depth: 1) == totals.province)

            // The gaining county comes back: applies its own part, pushes, and takes the handed-over records in.
            try await gaining.serve(configure: TestFederation.live) { gainingAPI in
                #expect(try await Self.apply(gainingAPI, file).status == .ok)
                #expect(try await gainingAPI.sync().directives >= moved.count)
                let gainingHolds = try await Self.held(gaining)
                for (id, value) in moved { #expect(gainingHolds[id] == value, "\(id) at the gaining county") }
                // The new owner writes; the old owner's whole log is then replayed: nothing it says wins any more.
                let station = try #require(moved.first { all.kinds[$0.key] == .station }?.key)
                var record = try await gainingAPI.get(Station.self, id: UUID(uuidString: station)!)
                #expect(record.meta.formerRegionCodes.count == 1)
                record.body.name = "马河镇人大代表之家（新）"
                #expect(try await gainingAPI.send(.put, "/v1/stations/\(station)", json: try record.json).status == .ok)
                #expect(try await gainingAPI.sync().error == nil)
                _ = try await TestDatabase.texts("UPDATE sync_upstream SET acked_seq = 0 RETURNING 1", on: losing.database)
                _ = try await TestDatabase.texts(
                    "UPDATE sync_checkpoints SET acked_seq = 0 WHERE sender = '\(Self.losing)' RETURNING 1",
                    on: city.database
                )
                #expect(try await losingAPI.sync().error == nil)
                #expect(try await cityAPI.sync().error == nil)
                #expect(try await cityAPI.get(Station.self, id: UUID(uuidString: station)!).body.name == "马河镇人大代表之家（新）")
                #expect(try await provinceAPI.get(Station.self, id: UUID(uuidString: station)!).body.name == "马河镇人大代表之家（新）")
            }
            for node in [city, province] {
                let holds = try await Self.held(node)
                #expect(holds.filter { expected[$0.key] != nil } == expected.filter { node.node.rawValue == "42" || !$0.value.hasSuffix("@42") })
                #expect(holds.count == expected.count - (node.node.rawValue == "42" ? 0 : 2), "\(node.node) holds nothing else")
            }
            #expect(try await Self.figures(cityAPI, region: "4208", depth: 0) == totals.city)
            #expect(try await Self.figures(provinceAPI, region: "42", depth: 1) == totals.province)
            let former = try await TestDatabase.texts(
                "SELECT DISTINCT former_region_codes::text FROM stations WHERE origin = '\(Self.gaining)' AND former_region_codes <> '[]'",
                on: province.database
            )
            #expect(!former.isEmpty && former.allSatisfy { $0.contains("420802104") || $0.contains("420804101") }, "\(former)")
        }
    }

    /// Villages, stations, mandates (the towns' and the county's) and assignments written at `county`.
    static func seed(county: String, api: APIClient, villages: [String: [String]], random: SharedRandom) async throws -> Seeded {
        var seeded = Seeded()
        let towns = villages.keys.filter { $0.hasPrefix(county) }.sorted()
        let units = towns.flatMap { villages[$0]! }
        let imported = try await api.send(
            .post,
            "/v1/units/import",
            json: "[" + units.map { Fixture.unit(code: $0, name: "村\($0.suffix(3))") }.joined(separator: ",") + "]"
        )
        try #require(imported.status == .ok, "\(imported.body)")
        for unit in try await api.list(Unit.self, query: "?limit=1000").items where unit.meta.origin.rawValue == county {
            seeded.add("\(unit.meta.id)", .unit, region: unit.meta.regionCode.rawValue, origin: county)
        }
        var stations: [String] = []
        var deputies: [String] = []
        for town in towns {
            for index in 0..<random.int(in: 1...2) {
                let host = random.element(of: [town] + villages[town]!)
                let covered = Array(random.shuffled(villages[town]!).prefix(random.int(in: 1...3)))
                let id = try await api.create("stations", Fixture.station(name: "\(town)站\(index)", region: host, units: covered))
                seeded.add(id, .station, region: host, origin: county)
                stations.append(id)
            }
            for index in 0..<random.int(in: 2...3) {
                let home = random.element(of: [town] + villages[town]!)
                let id = try await api.create(
                    "deputies",
                    Fixture.deputy(name: "镇代表\(town.suffix(3))\(index)", region: home, level: "township", congress: town)
                )
                seeded.add(id, .deputy, region: home, ownerKey: town, origin: county)
                deputies.append(id)
            }
        }
        // A county station covering villages of every town, and county deputies living anywhere in the county.
        let id = try await api.create(
            "stations",
            Fixture.station(name: "\(county)中心站", region: county, units: towns.compactMap { villages[$0]!.first })
        )
        seeded.add(id, .station, region: county, origin: county)
        stations.append(id)
        for index in 0..<4 {
            let home = random.element(of: towns + towns.flatMap { villages[$0]! })
            let id = try await api.create("deputies", Fixture.deputy(name: "区代表\(index)", region: home, level: "county", congress: county))
            seeded.add(id, .deputy, region: home, ownerKey: county, origin: county)
            deputies.append(id)
        }
        for _ in 0..<4 {
            let station = random.element(of: stations)
            let reply = try await api.send(
                .post,
                "/v1/assignments",
                json: #"{"deputyId": "\#(random.element(of: deputies))", "stationId": "\#(station)", "role": "resident"}"#
            )
            guard reply.status == .created, let id = reply.json["id"] as? String else { continue }
            seeded.add(id, .assignment, region: seeded.regions[station]!, origin: county)
        }
        return seeded
    }
}

/// A seeded generator the test's closures share (they run one after another, never at once).
final class SharedRandom: @unchecked Sendable {
    private var generator: SeededRandom
    private let lock = NSLock()

    init(seed: UInt64) { generator = SeededRandom(seed: seed) }

    func int(in range: ClosedRange<Int>) -> Int { lock.withLock { Int.random(in: range, using: &generator) } }
    func element<T>(of items: [T]) -> T { lock.withLock { items.randomElement(using: &generator)! } }
    func shuffled<T>(_ items: [T]) -> [T] { lock.withLock { items.shuffled(using: &generator) } }
}

/// `congress divisions apply` as an operator runs it against a running node.
@Suite struct DivisionApplyCommandTests {
    @Test func aBadFileIsRefusedAtItsLineAndAGoodOneAppliesOnce() async throws {
        let yaml = TestTopology.city(ports: ["4208": try LoopbackPort.free()]).adding("420802103", "栗溪镇").yaml
        let node = try await TestNode.make(node: "4208", topologyYAML: yaml)
        let files = try NodeProcess(node, topologyYAML: yaml)
        func write(_ name: String, _ text: String) throws -> String {
            let path = files.folder.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let typo = try write("typo.yaml", "version: 1\nchanges:\n  - rename: \"420802109\"\n    name: 新镇\n")
        let colliding = try write(
            "merge.yaml",
            "version: 1\nchanges:\n  - merge: [\"420802101\", \"420802102\"]\n    into: \"420802101\"\n    name: 龙泉镇\n"
        )
        let recode = try write("recode.yaml", "version: 1\nchanges:\n  - recode: \"420802103\"\n    to: \"420802105\"\n    name: 栗溪镇\n")

        try await node.serve(configure: TestFederation.live) { api in
            let units = ["420802101001", "420802102001", "420802103001", "420802103002"].map { Fixture.unit(code: $0, name: "村\($0.suffix(3))") }
            #expect(try await api.send(.post, "/v1/units/import", json: "[\(units.joined(separator: ","))]").status == .ok)
            let before = try await node.snapshot()

            let refused = try await files.command(["divisions", "apply", typo])
            #expect(refused.status != 0)
            #expect(refused.output.contains("\(typo):3:13: error: 420802109 is not in the topology in force"), "\(refused.output)")
            // 420802101001 and 420802102001 would both become 420802101001: the node refuses the whole file.
            let collision = try await files.command(["divisions", "apply", colliding])
            #expect(collision.status != 0)
            #expect(collision.output.contains("two villages would hold one code") && collision.output.contains("420802101001"), "\(collision.output)")
            #expect(try await node.snapshot() == before)

            let applied = try await files.command(["divisions", "apply", recode])
            #expect(applied.status == 0, "\(applied.output)")
            #expect(applied.output.contains("applied at 4208: re-coded 2 unit; handed over none"), "\(applied.output)")
            let villages = try await api.list(Unit.self, query: "?region=420802105").items
            #expect(villages.map(\.body.code.rawValue).sorted() == ["420802105001", "420802105002"])
            #expect(villages.allSatisfy { $0.meta.formerRegionCodes.first?.rawValue.hasPrefix("420802103") == true })
            let again = try await files.command(["divisions", "apply", recode])
            #expect(again.status == 0 && again.output.contains("already applied at 4208; nothing changed"), "\(again.output)")
        }
    }
}

/// A node whose own code changes (米林县 540422 → 米林市 540481, here 东宝区 420802 → 420805) keeps its database, tokens and
/// checkpoints under the new code.
@Suite struct NodeRecodeTests {
    @Test func aRecodedCountyGoesOnUnderItsNewCodeWithItsCheckpoint() async throws {
        let ports = ["4208": try LoopbackPort.free(), "420802": try LoopbackPort.free()]
        let before = TestTopology(regions: ["4208": "荆门市", "420802": "东宝区", "420802101": "龙泉镇"], ports: ports).yaml
        let after = TestTopology(
            regions: ["4208": "荆门市", "420805": "东宝区", "420805101": "龙泉镇"],
            ports: ["4208": ports["4208"]!, "420805": ports["420802"]!]
        ).yaml
        let nodes = try await TestFederation.nodes(["4208", "420802"], of: before)
        let (city, county) = (nodes[0], nodes[1])
        let file = """
            version: 1
            changes:
              - recode: "420802"
                to: "420805"
            """
        let body = String(decoding: try JSONEncoder().encode(["file": "2024-recode.yaml", "text": file]), as: UTF8.self)

        try await TestFederation.serve(nodes[...]) { clients in
            let (cityAPI, countyAPI) = (clients[0], clients[1])
            let units = ["420802101001", "420802101002"].map { Fixture.unit(code: $0, name: "村\($0.suffix(3))") }
            #expect(try await countyAPI.send(.post, "/v1/units/import", json: "[\(units.joined(separator: ","))]").status == .ok)
            _ = try await countyAPI.create("stations", Fixture.station(region: "420802101", units: ["420802101001"]))
            _ = try await countyAPI.create("deputies", Fixture.deputy(region: "420802101001"))
            _ = try await countyAPI.create("deputies", Fixture.deputy(name: "镇代表", region: "420802101", level: "township", congress: "420802101"))
            #expect(try await countyAPI.sync().error == nil)
            for api in [countyAPI, cityAPI] {
                let reply = try await DivisionChangeTests.apply(api, file)
                #expect(reply.status == .ok, "\(reply.body)")
            }
            #expect(try await DivisionChangeTests.apply(countyAPI, file).json["alreadyApplied"] as? Bool == true)
        }
        #expect(try await TestDatabase.texts("SELECT sender FROM sync_checkpoints", on: city.database) == ["420805"])
        let acked = try await TestDatabase.texts("SELECT acked_seq::text FROM sync_checkpoints", on: city.database)

        // The operator restarts both under the new topology; the county under its new code, same database and tokens.
        let renamed = try county.reopened(as: "420805", topologyYAML: after)
        try await TestFederation.serve([try city.reopened(as: "4208", topologyYAML: after), renamed]) { clients in
            let report = try await clients[1].sync()
            #expect(report.error == nil && report.rewinds == 0, "\(report)")
            #expect(report.changes == 5, "only the re-coded records travel, not the whole log again: \(report)")
            #expect(try await TestDatabase.texts("SELECT acked_seq::text FROM sync_checkpoints", on: city.database) != acked)
            let held = try await TestDatabase.texts(
                "SELECT origin || ' ' || region_code FROM deputies UNION ALL SELECT origin || ' ' || region_code FROM stations "
                    + "UNION ALL SELECT origin || ' ' || region_code FROM units",
                on: city.database
            )
            #expect(held.sorted() == ["420805 420805101", "420805 420805101", "420805 420805101001", "420805 420805101001", "420805 420805101002"])
            let children = try await clients[0].send(.get, "/v1/sync/status").json["children"] as? [[String: Any]] ?? []
            #expect(children.map { $0["code"] as? String } == ["420805"])
        }
    }
}

@Suite struct DivisionChangeReleaseTests {
    /// A parent of the previous release cannot carry re-attributed records: the county refuses to apply, naming why.
    @Test func aChangeWaitsUntilTheNodesAboveSpeakIt() async throws {
        let federation = try await TestFederation.make()
        let previous = SchemaHistory.thisRelease.release(upTo: SchemaHistory.divisionChangesVersion - 1)
        let olderRelease: @Sendable (inout AppConfiguration) -> Void = {
            TestFederation.live(&$0)
            $0.schemas = previous
        }
        try await federation.city.serve(configure: olderRelease) { _ in
            try await federation.county.serve(configure: TestFederation.live) { county in
                _ = try await county.create("units", Fixture.unit(code: "420802101001"))
                #expect(try await county.sync().error == nil)
                let before = try await federation.county.snapshot()
                let reply = try await DivisionChangeTests.apply(county, "version: 1\nchanges:\n  - recode: \"420802101\"\n    to: \"420802105\"\n")
                #expect(reply.status == .conflict, "\(reply.body)")
                #expect(reply.error?.message.contains("speaks replication schema v\(previous.current.version)") == true, "\(reply.body)")
                #expect(reply.error?.message.contains("upgrade congress on every node up to the root") == true)
                #expect(try await federation.county.snapshot() == before)
            }
        }
    }
}

@Suite struct HandoverRefusalTests {
    /// A child can hand over only what its subtree owned: a handover of the city's own station from 东宝区 is refused
    /// whole, nothing applied.
    @Test func aChildCannotHandOverARecordItDidNotOwn() async throws {
        let federation = try await TestFederation.make()
        try await federation.run { city, county, _ in
            let station = try await city.create(Station.self, Fixture.station(name: "市级联络站", region: "420802102", units: []))
            #expect(try await county.sync().error == nil)
            let before = try await federation.city.snapshot()
            var body = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(station.body)) as! [String: Any]
            body["name"] = "被冒领的联络站"
            let change: [String: Any] = [
                "kind": "station", "id": "\(station.meta.id)", "origin": "420802", "regionCode": "420802102", "version": 999,
                "updatedAt": "2026-11-30T00:00:00Z", "deleted": false, "body": body, "epoch": 1, "handedOverBy": "420802101",
            ]
            let topology = try TopologyLoader.parse(federation.yaml, file: "t.yaml").topology
            let schema = SchemaHistory.thisRelease.current
            let acked = try #require(
                Int64(
                    try await TestDatabase.texts("SELECT acked_seq::text FROM sync_checkpoints WHERE sender = '420802'", on: federation.city.database)
                        .first ?? ""
                )
            )
            let header = BatchHeader(
                protocol: SyncProtocol.version,
                schemaHash: schema.hash,
                schemaVersion: schema.version,
                topologyHash: topology.hash,
                sender: RegionCode("420802")!,
                fromSeq: acked + 1,
                toSeq: acked + 1
            )
            let document = try SyncClient.document(
                header,
                changes: String(decoding: try JSONSerialization.data(withJSONObject: [change]), as: UTF8.self)
            )
            let reply = try await city.send(
                .post,
                "/v1/sync/batches",
                json: document,
                token: .custom("Bearer \(federation.county.secrets.parentToken!)")
            )
            #expect(reply.status == .forbidden && reply.error?.message.contains("hands over a record it did not own") == true, "\(reply.body)")
            #expect(try await federation.city.snapshot() == before)
            #expect(try await city.get(Station.self, id: station.meta.id).body.name == "市级联络站")
        }
    }
}

/// A town moving between counties of two cities: the handover goes up through the losing county's city, which drops
/// its copies, to the province, and down through the other city to the gaining county.
@Suite struct CrossCityHandoverTests {
    @Test func aTownMovesToACountyOfAnotherCityAndEveryLevelCountsItOnce() async throws {
        let regions = [
            "42": "湖北省", "4208": "荆门市", "420802": "东宝区", "420802101": "龙泉镇", "420802104": "马河镇", "4205": "宜昌市",
            "420502": "西陵区", "420502101": "窑湾镇",
        ]
        let codes = ["42", "4208", "420802", "4205", "420502"]
        var ports: [String: Int] = [:]
        for code in codes { ports[code] = try LoopbackPort.free() }
        let nodes = try await TestFederation.nodes(codes, of: TestTopology(regions: regions, ports: ports).yaml)
        let (province, losingCity, losing, gainingCity, gaining) = (nodes[0], nodes[1], nodes[2], nodes[3], nodes[4])
        let file = """
            version: 1
            changes:
              - move: "420802104"
                to: "420502"
                as: "420502120"
            """
        try await TestFederation.serve(nodes[...]) { clients in
            let (provinceAPI, losingCityAPI, losingAPI, gainingCityAPI, gainingAPI) = (clients[0], clients[1], clients[2], clients[3], clients[4])
            // Every node hears its parent once, then 东宝区 writes at both its towns.
            for api in [losingCityAPI, gainingCityAPI, losingAPI, gainingAPI] { #expect(try await api.sync().error == nil) }
            let villages = ["420802101001", "420802104041", "420802104042"]
            #expect(
                try await losingAPI.send(.post, "/v1/units/import", json: "[" + villages.map { Fixture.unit(code: $0) }.joined(separator: ",") + "]")
                    .status == .ok
            )
            var moving: [String] = []
            moving.append(try await losingAPI.create("stations", Fixture.station(region: "420802104", units: ["420802104041"])))
            moving.append(try await losingAPI.create("deputies", Fixture.deputy(region: "420802104041", level: "township", congress: "420802104")))
            let staying = try await losingAPI.create("deputies", Fixture.deputy(name: "区代表", region: "420802104042"))
            _ = try await losingAPI.create("stations", Fixture.station(region: "420802101", units: ["420802101001"]))
            #expect(try await losingAPI.sync().error == nil)
            #expect(try await losingCityAPI.sync().error == nil)
            let units = try await TestDatabase.texts("SELECT upper(id::text) FROM units WHERE region_code LIKE '420802104%'", on: losing.database)
            moving += units
            let before = try await DivisionChangeTests.figures(provinceAPI, region: "42", depth: 0)

            let applied = try await DivisionChangeTests.apply(losingAPI, file)
            #expect(applied.status == .ok && (applied.json["handedOver"] as? [String: Int])?["420502"] == moving.count, "\(applied.body)")
            #expect(try await losingAPI.sync().error == nil)
            #expect(try await losingCityAPI.sync().error == nil)
            // The losing city passed them on and holds none; the province holds each once, the gaining county's.
            #expect(Set(try await DivisionChangeTests.held(losingCity).keys).isDisjoint(with: moving))
            let atProvince = try await DivisionChangeTests.held(province)
            for id in moving {
                #expect(
                    atProvince[id]?.hasSuffix("@420502") == true && atProvince[id]?.contains("420502120") == true,
                    "\(id): \(atProvince[id] ?? "none")"
                )
            }
            #expect(atProvince[staying] == "420502120042 @420802", "a county deputy stays with 东宝区, residence re-coded")
            #expect(try await DivisionChangeTests.figures(provinceAPI, region: "42", depth: 0) == before)

            // Down the other side: 宜昌市 takes them with its directives, then 西陵区.
            #expect(try await gainingCityAPI.sync().error == nil)
            #expect(try await gainingAPI.sync().error == nil)
            for node in [gainingCity, gaining] {
                let holds = try await DivisionChangeTests.held(node)
                for id in moving { #expect(holds[id]?.hasSuffix("@420502") == true, "\(node.node) \(id)") }
            }
            // 东宝区's whole log again, through its city: nothing changes anywhere.
            _ = try await TestDatabase.texts("UPDATE sync_upstream SET acked_seq = 0 RETURNING 1", on: losing.database)
            _ = try await TestDatabase.texts("UPDATE sync_checkpoints SET acked_seq = 0 WHERE sender = '420802' RETURNING 1", on: losingCity.database)
            #expect(try await losingAPI.sync().error == nil)
            #expect(try await losingCityAPI.sync().error == nil)
            #expect(try await DivisionChangeTests.held(province) == atProvince)
            #expect(Set(try await DivisionChangeTests.held(losingCity).keys).isDisjoint(with: moving))
            #expect(try await DivisionChangeTests.figures(provinceAPI, region: "42", depth: 0) == before)
        }
    }
}
