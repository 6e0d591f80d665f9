import Foundation
import Testing

@testable import CongressCore

/// A topology file an operator might write by mistake, and exactly what `topology check` must say about it.
struct BrokenFile: CustomTestStringConvertible, Sendable {
    var name: String
    var yaml: String
    /// `LINE:COL: severity: message`, in file order, for a file named `topology.yaml`.
    var expected: [String]

    init(_ name: String, _ yaml: String, expected: [String]) {
        self.name = name
        // As saved by an editor: the last line ends with a newline.
        self.yaml = yaml.isEmpty ? yaml : yaml + "\n"
        self.expected = expected.map { "topology.yaml:" + $0 }
    }

    var testDescription: String { name }
}

let brokenTopologies: [BrokenFile] = [
    BrokenFile(
        "syntax-indent",
        """
        version: 1
        root:
          code: "42"
           name: 湖北省
        """,
        expected: [
            "4:4: error: YAML syntax: did not find expected key (while parsing a block mapping at line 3)"
        ]
    ),
    BrokenFile(
        "unclosed-quote",
        """
        version: 1
        root:
          code: "42"
          name: "湖北省
          level: province
        """,
        expected: [
            "4:9: error: YAML syntax: while scanning a quoted scalar that starts here: found unexpected end of stream (line 6)"
        ]
    ),
    BrokenFile(
        "unknown-key",
        """
        version: 1
        root:
          code: "42"
          name: 湖北省
          level: province
          url: http://127.0.0.1:8400
          chidren: []
        """,
        expected: [
            "7:3: error: unknown key 'chidren' in a node; did you mean 'children'?"
        ]
    ),
    BrokenFile(
        "misspelt-required",
        """
        version: 1
        root:
          code: "42"
          nmae: 湖北省
          level: province
          url: http://127.0.0.1:8400
        """,
        expected: [
            "4:3: error: unknown key 'nmae' in a node; did you mean 'name'?"
        ]
    ),
    BrokenFile(
        "missing-required",
        """
        version: 1
        root:
          code: "42"
          name: 湖北省
          url: http://127.0.0.1:8400
        """,
        expected: [
            "3:3: error: a node is missing required key 'level'"
        ]
    ),
    BrokenFile(
        "width",
        """
        version: 1
        root:
          code: "42"
          name: 湖北省
          level: province
          url: http://127.0.0.1:8400
          children:
            - { code: "420802", name: 荆门市, level: city }
        """,
        expected: [
            "8:15: error: code 420802 does not fit level city: a city code is 4 digits"
        ]
    ),
    BrokenFile(
        "prefix",
        """
        version: 1
        root:
          code: "42"
          name: 湖北省
          level: province
          url: http://127.0.0.1:8400
          children:
            - code: "4208"
              name: 荆门市
              level: city
              children:
                - { code: "420902", name: 孝南区, level: county }
        """,
        expected: [
            "12:19: error: code 420902 does not start with its parent's code 4208"
        ]
    ),
    BrokenFile(
        "level-skip",
        """
        version: 1
        root:
          code: "42"
          name: 湖北省
          level: province
          url: http://127.0.0.1:8400
          children:
            - { code: "429004", name: 仙桃市, level: county }
        """,
        expected: [
            "8:43: error: a county cannot sit directly under a province (expected a city); mark a province-direct county with 'direct: true'"
        ]
    ),
    BrokenFile(
        "direct-misuse",
        """
        version: 1
        root:
          code: "42"
          name: 湖北省
          level: province
          url: http://127.0.0.1:8400
          children:
            - code: "4208"
              name: 荆门市
              level: city
              children:
                - { code: "420802", name: 东宝区, level: county, direct: true }
        """,
        expected: [
            "12:63: error: 'direct: true' is only for a county directly under its province"
        ]
    ),
    BrokenFile(
        "duplicate-code",
        """
        version: 1
        root:
          code: "42"
          name: 湖北省
          level: province
          url: http://127.0.0.1:8400
          children:
            - code: "4208"
              name: 荆门市
              level: city
              children:
                - { code: "420802", name: 东宝区, level: county }
                - { code: "420802", name: 掇刀区, level: county }
        """,
        expected: [
            "13:19: error: code 420802 appears twice (first at line 12)"
        ]
    ),
    BrokenFile(
        "duplicate-url",
        """
        version: 1
        root:
          code: "42"
          name: 湖北省
          level: province
          url: http://127.0.0.1:8400
          children:
            - code: "4208"
              name: 荆门市
              level: city
              url: http://127.0.0.1:8400/
              children:
                - { code: "420802", name: 东宝区, level: county }
        """,
        expected: [
            "11:12: error: url http://127.0.0.1:8400 is used twice (first at line 6)"
        ]
    ),
    BrokenFile(
        "bad-url",
        """
        version: 1
        root:
          code: "42"
          name: 湖北省
          level: province
          url: 127.0.0.1:8400
        """,
        expected: [
            "6:8: error: '127.0.0.1:8400' is not a node URL: write http://HOST:PORT (or https), without a path, query or user"
        ]
    ),
    BrokenFile(
        "bad-schedule",
        """
        version: 1
        defaults:
          sync: { schedule: "2:00" }
        root:
          code: "42"
          name: 湖北省
          level: province
          url: http://127.0.0.1:8400
        """,
        expected: [
            "3:21: error: schedule '2:00' is neither a time of day (HH:MM, e.g. 02:00) nor a cron line"
        ]
    ),
    BrokenFile(
        "bad-cron",
        """
        version: 1
        root:
          code: "42"
          name: 湖北省
          level: province
          url: http://127.0.0.1:8400
          children:
            - code: "4208"
              name: 荆门市
              level: city
              url: http://127.0.0.1:8410
              sync: { schedule: "0 25 * * *" }
              children:
                - { code: "420802", name: 东宝区, level: county }
        """,
        expected: [
            "12:25: error: cron hour '25' is out of range 0-23"
        ]
    ),
    BrokenFile(
        "bad-timezone",
        """
        version: 1
        defaults:
          sync: { schedule: "02:00", timezone: Asia/Shangai }
        root:
          code: "42"
          name: 湖北省
          level: province
          url: http://127.0.0.1:8400
        """,
        expected: [
            "3:40: error: unknown time zone 'Asia/Shangai' (use an IANA name such as Asia/Shanghai)"
        ]
    ),
    BrokenFile(
        "unknown-level",
        """
        version: 1
        root:
          code: "42"
          name: 湖北省
          level: provnce
          url: http://127.0.0.1:8400
        """,
        expected: [
            "5:10: error: unknown level 'provnce' (one of national, province, city, county, township); did you mean 'province'?"
        ]
    ),
    BrokenFile(
        "not-a-code",
        """
        version: 1
        root:
          code: "42"
          name: 湖北省
          level: province
          url: http://127.0.0.1:8400
          children:
            - { code: "42O8", name: 荆门市, level: city }
        """,
        expected: [
            "8:15: error: '42O8' is not a region code: a region code is CN or 2, 4, 6, 9 or 12 digits whose last part is not all zeros"
        ]
    ),
    BrokenFile(
        "duplicate-key",
        """
        version: 1
        root:
          code: "42"
          name: 湖北省
          level: province
          name: 湖北
        """,
        expected: [
            "6:3: error: key 'name' appears twice in one mapping (first at line 4)"
        ]
    ),
    BrokenFile(
        "township-under-township",
        """
        version: 1
        root:
          code: "420802"
          name: 东宝区
          level: county
          url: http://127.0.0.1:8411
          children:
            - code: "420802001"
              name: 龙泉街道
              level: township
              children:
                - { code: "420802002", name: 泉口街道, level: township }
        """,
        expected: [
            "12:11: error: nothing sits below a township, the lowest level of congress (villages are units, imported from CSV)"
        ]
    ),
    BrokenFile(
        "version",
        """
        version: 2
        root:
          code: "42"
          name: 湖北省
          level: province
          url: http://127.0.0.1:8400
        """,
        expected: [
            "1:10: error: unsupported topology version '2'; this build reads version 1"
        ]
    ),
    BrokenFile(
        "empty",
        """

        """,
        expected: [
            "1:1: error: the file is empty"
        ]
    ),
    BrokenFile(
        "children-not-list",
        """
        version: 1
        root:
          code: "42"
          name: 湖北省
          level: province
          url: http://127.0.0.1:8400
          children: { code: "4208" }
        """,
        expected: [
            "7:13: error: 'children' must be a list of nodes"
        ]
    ),
    BrokenFile(
        "many-at-once",
        """
        version: 1
        root:
          code: "42"
          name: 湖北省
          level: province
          url: http://127.0.0.1:8400
          children:
            - code: "4208"
              name: 荆门市
              levle: city
              children:
                - { code: "420802", name: 东宝区, level: county, url: "http://127.0.0.1:8400" }
                - { code: "420804", name: "", level: county, url: "http://127.0.0.1:99999" }
        """,
        expected: [
            "10:7: error: unknown key 'levle' in a node; did you mean 'level'?",
            "12:60: error: url http://127.0.0.1:8400 is used twice (first at line 6)",
            "13:35: error: 'name' must not be empty",
            "13:59: error: 'http://127.0.0.1:99999' is not a node URL: write http://HOST:PORT (or https), without a path, query or user",
        ]
    ),
    BrokenFile(
        "root-missing",
        """
        version: 1
        defaults:
          sync: { schedule: "02:00" }
        """,
        expected: [
            "1:1: error: the topology is missing required key 'root'"
        ]
    ),
    BrokenFile(
        "not-a-mapping",
        """
        - code: "42"
        """,
        expected: [
            "1:1: error: the topology must be a mapping of keys to values"
        ]
    ),
]

@Suite struct TopologyValidationTests {
    @Test(arguments: brokenTopologies)
    func reportsEveryProblemAtItsPosition(_ file: BrokenFile) {
        #expect(throws: ConfigFileError.self) { try TopologyLoader.parse(file.yaml, file: "topology.yaml") }
        do throws(ConfigFileError) {
            _ = try TopologyLoader.parse(file.yaml, file: "topology.yaml")
        } catch {
            #expect(error.diagnostics.map(\.description) == file.expected)
        }
    }

    @Test func suspiciousButLegalThingsAreWarnings() throws {
        let yaml = """
            version: 1
            root:
              code: "42"
              name: 湖北省
              level: province
              children:
                - { code: "4208", name: 荆门市, level: city }
                - code: "4209"
                  name: 孝感市
                  level: city
                  url: http://127.0.0.1:8420
                  children:
                    - { code: "420902", name: 孝南区, level: county, sync: { schedule: "01:00" } }
            """
        let loaded = try TopologyLoader.parse(yaml, file: "topology.yaml")
        #expect(
            loaded.warnings.map(\.description) == [
                "topology.yaml:3:3: warning: the root 42 湖北省 has no url: nothing collects the federation's records",
                "topology.yaml:7:7: warning: city 4208 has no children: no county below it is described",
                "topology.yaml:13:55: warning: 'sync' has no effect on a node without a url: its records sync from its nearest ancestor with one",
            ]
        )
        #expect(loaded.topology.allNodes.count == 4)
    }

    @Test func schedulesAcceptTimesAndCronLines() {
        for valid in ["02:00", "23:59", "0 2 * * *", "*/15 1-5 * * 1-5", "0 0,12 1 */2 0"] {
            #expect(SyncSchedule.problem(in: valid) == nil, "\(valid)")
        }
        #expect(SyncSchedule.problem(in: "24:00") != nil)
        #expect(SyncSchedule.problem(in: "0 2 * * 8") == "cron weekday '8' is out of range 0-7")
        #expect(SyncSchedule.problem(in: "0 5-2 * * *") == "cron hour '5-2': range 5-2 runs backwards")
        #expect(SyncSchedule.problem(in: "0 */0 * * *") == "cron hour '*/0': the step after '/' must be a positive number")
        #expect(SyncSchedule.problem(in: "0 2 * * MON") == "cron weekday 'MON' may only hold numbers, *, ranges A-B, steps /N and commas")
    }
}

@Suite struct NodeConfigValidationTests {
    static let topology = """
        version: 1
        root:
          code: "42"
          name: 湖北省
          level: province
          url: http://127.0.0.1:8400
          children:
            - code: "4208"
              name: 荆门市
              level: city
              url: http://127.0.0.1:8410
              children:
                - { code: "420802", name: 东宝区, level: county }
        """

    /// What loading `yaml` as `nodes/N.yaml` and checking it against the topology above reports.
    private func problems(_ yaml: String) -> [String] {
        do throws(ConfigFileError) {
            let topology = try TopologyLoader.parse(Self.topology, file: "topology.yaml").topology
            return try NodeConfig.parse(yaml + "\n", file: "N.yaml").diagnostics(against: topology).map(\.description)
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func reportsEachProblemAtItsPosition() {
        #expect(
            problems("node: \"4208\"\ntopology: t.yaml\nlisen: 127.0.0.1:8410") == [
                "N.yaml:3:1: error: unknown key 'lisen' in the node config; did you mean 'listen'?"
            ]
        )
        #expect(problems("node: 4208") == ["N.yaml:1:1: error: the node config is missing required key 'topology'"])
        #expect(
            problems("node: \"4208\"\ntopology: t.yaml\nlisten: 127.0.0.1\ndatabase: mysql://x") == [
                "N.yaml:3:9: error: listen '127.0.0.1' must be HOST:PORT, e.g. 127.0.0.1:8411",
                "N.yaml:4:11: error: database must be 'managed' or postgres://user@host:port/db",
            ]
        )
        #expect(problems("node: \"4209\"\ntopology: t.yaml").first?.hasPrefix("N.yaml:1:7: error: node 4209 is not in the topology ") == true)
        #expect(problems("node: \"4209\"\ntopology: t.yaml").first?.hasSuffix("; did you mean '4208'?") == true)
        #expect(
            problems("node: \"420802\"\ntopology: t.yaml") == [
                "N.yaml:1:7: error: node 420802 has no url in the topology and no 'listen' here: give it a url in the topology"
            ]
        )
        #expect(
            problems("node: \"4208\"\ntopology: t.yaml\nlisten: 127.0.0.1:9999") == [
                "N.yaml:3:9: warning: listen 127.0.0.1:9999 is not the port of the node's url http://127.0.0.1:8410 in the topology: its parent and children will call that"
            ]
        )
        #expect(problems("node: \"4208\"\ntopology: t.yaml\nlisten: 127.0.0.1:8410").isEmpty)
    }
}

@Suite struct TopologyDiffTests {
    static let before = """
        version: 1
        root:
          code: "42"
          name: 湖北省
          level: province
          url: http://127.0.0.1:8400
          children:
            - code: "4208"
              name: 荆门市
              level: city
              url: http://127.0.0.1:8410
              children:
                - code: "420802"
                  name: 东宝区
                  level: county
                  url: http://127.0.0.1:8411
                  children:
                    - { code: "420802001", name: 龙泉街道, level: township, url: "http://127.0.0.1:8412" }
                    - { code: "420802002", name: 泉口街道, level: township }
                    - { code: "420802101", name: 漳河镇, level: township }
                    - { code: "420802104", name: 牌楼镇, level: township }
                - { code: "420804", name: 掇刀区, level: county, url: "http://127.0.0.1:8420" }
            - { code: "429004", name: 仙桃市, level: county, direct: true, url: "http://127.0.0.1:8460" }
        """

    /// 漳河镇 handed to 掇刀区 under a new code, 泉口街道 renamed, 牌楼镇 dropped, a street added, 龙泉街道's
    /// node moved to another port, 东宝区's sync moved earlier, and 仙桃市 placed under a new 省直辖 grouping.
    static let after = """
        version: 1
        root:
          code: "42"
          name: 湖北省
          level: province
          url: http://127.0.0.1:8400
          children:
            - code: "4208"
              name: 荆门市
              level: city
              url: http://127.0.0.1:8410
              children:
                - code: "420802"
                  name: 东宝区
                  level: county
                  url: http://127.0.0.1:8411
                  sync: { schedule: "01:30" }
                  children:
                    - { code: "420802001", name: 龙泉街道, level: township, url: "http://127.0.0.1:8419" }
                    - { code: "420802002", name: 泉口社区街道, level: township }
                    - { code: "420802003", name: 东宝新区街道, level: township }
                - code: "420804"
                  name: 掇刀区
                  level: county
                  url: http://127.0.0.1:8420
                  children:
                    - { code: "420804103", name: 漳河镇, level: township }
            - code: "4290"
              name: 省直辖县级行政区划
              level: city
              children:
                - { code: "429004", name: 仙桃市, level: county, url: "http://127.0.0.1:8460" }
        """

    @Test func listsEveryKindOfChange() throws {
        let before = try TopologyLoader.parse(Self.before, file: "old.yaml").topology
        let after = try TopologyLoader.parse(Self.after, file: "new.yaml").topology
        #expect(
            after.changes(since: before).map(\.description) == [
                "schedule 420802 东宝区: 02:00 Asia/Shanghai → 01:30 Asia/Shanghai",
                "url      420802001 龙泉街道: http://127.0.0.1:8412 → http://127.0.0.1:8419",
                "renamed  420802002 泉口街道 → 泉口社区街道",
                "added    420802003 东宝新区街道 (township) under 420802 东宝区",
                "moved    420804103 漳河镇: was 420802101 under 420802 东宝区, now under 420804 掇刀区",
                "added    4290 省直辖县级行政区划 (city) under 42 湖北省",
                "moved    429004 仙桃市: from under 42 湖北省 to under 4290 省直辖县级行政区划",
                "removed  420802104 牌楼镇 (township), was under 420802 东宝区",
            ]
        )
        #expect(before.changes(since: before).isEmpty)
    }
}

/// The example federation shipped in `config/` and `nodes/`.
@Suite struct ExampleFederationTests {
    @Test func topologyLoadsWithoutWarnings() throws {
        let loaded = try TopologyLoader.load(contentsOf: Repository.root.appendingPathComponent("config/topology.yaml").path)
        #expect(loaded.warnings.isEmpty)
        let topology = loaded.topology
        #expect(topology.root.code == RegionCode("42"))
        #expect(topology.node(RegionCode("429004")!)?.direct == true)
        #expect(topology.parent(of: RegionCode("429004")!)?.code == RegionCode("42"))
        for county in ["420802", "420804", "420822", "420881", "420882"] {
            let node = try #require(topology.node(RegionCode(county)!))
            #expect(
                node.children.contains { $0.url != nil } && node.children.contains { $0.url == nil },
                "\(county): townships with and without a node"
            )
        }
        // A township without a node of its own is served by its county.
        #expect(topology.upstream(of: RegionCode("420802002")!)?.code == RegionCode("420802"))
    }

    @Test func everyNodeWithAURLHasAMatchingConfig() throws {
        let topologyPath = Repository.root.appendingPathComponent("config/topology.yaml").path
        let topology = try TopologyLoader.load(contentsOf: topologyPath).topology
        let folder = Repository.root.appendingPathComponent("nodes")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
        #expect(Set(files) == Set(topology.runningNodes.map { "\($0.code).yaml" }))
        for file in files {
            let config = try NodeConfig.load(contentsOf: folder.appendingPathComponent(file).path)
            #expect(config.topologyPath == topologyPath)
            #expect(config.diagnostics(against: topology).isEmpty, "\(file)")
            #expect(config.listenAddress(in: topology) == topology.node(config.node)?.url.flatMap { HostAndPort(url: $0) })
        }
    }
}

@Suite struct SyntheticTopologyTests {
    @Test func generatedProvinceIsValid() throws {
        let shape = SyntheticTopology(cities: 3, countiesPerCity: 4, townshipsPerCounty: 5)
        let loaded = try TopologyLoader.parse(shape.yaml, file: "generated.yaml")
        #expect(loaded.warnings.isEmpty)
        #expect(loaded.topology.countsByLevel.map { "\($0.1) \($0.0.rawValue)" } == ["1 province", "3 city", "12 county", "60 township"])
        #expect(loaded.topology.runningNodes.count == 1 + 3 + 12 + 12 * 2)
    }
}

@Suite struct SyncScheduleTests {
    /// `2026-11-22 HH:MM` in Shanghai (UTC+8, no daylight saving).
    static func shanghai(_ day: Int, _ hour: Int, _ minute: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        return calendar.date(from: DateComponents(year: 2026, month: 11, day: day, hour: hour, minute: minute))!
    }

    @Test func nextRunOfADailyTime() {
        let nightly = SyncSchedule(expression: "02:00", timezone: "Asia/Shanghai")
        #expect(nightly.nextRun(after: Self.shanghai(22, 1, 59)) == Self.shanghai(22, 2, 0))
        #expect(nightly.nextRun(after: Self.shanghai(22, 2, 0)) == Self.shanghai(23, 2, 0))
        #expect(nightly.period(around: Self.shanghai(22, 12, 0)) == 86_400)
    }

    @Test func nextRunOfCronLines() {
        let everySixHours = SyncSchedule(expression: "0 */6 * * *", timezone: "Asia/Shanghai")
        #expect(everySixHours.nextRun(after: Self.shanghai(22, 6, 30)) == Self.shanghai(22, 12, 0))
        #expect(everySixHours.period(around: Self.shanghai(22, 6, 30)) == 6 * 3600)
        // 2026-11-22 is a Sunday: weekdays only means Monday the 23rd.
        let weekdays = SyncSchedule(expression: "30 1 * * 1-5", timezone: "Asia/Shanghai")
        #expect(weekdays.nextRun(after: Self.shanghai(22, 0, 0)) == Self.shanghai(23, 1, 30))
        let sunday = SyncSchedule(expression: "0 3 * * 7", timezone: "Asia/Shanghai")
        #expect(sunday.nextRun(after: Self.shanghai(21, 12, 0)) == Self.shanghai(22, 3, 0))
        #expect(SyncSchedule(expression: "0 0 31 2 *", timezone: "Asia/Shanghai").nextRun(after: Self.shanghai(22, 0, 0)) == nil)
    }
}
