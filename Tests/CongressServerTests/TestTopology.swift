import CongressCore

/// A topology for tests, built in code and written out as the YAML a node reads.
///
/// Regions are given by code; each sits under the longest other code that begins its own, children in code order,
/// its level read from the code's width. Townships are written on one line each, the other regions as blocks.
struct TestTopology {
    /// Region code → name.
    var regions: [String: String]
    /// The regions that run a node, and the loopback port each listens on.
    var ports: [String: Int] = [:]
    /// Sync schedules of regions that set their own.
    var schedules: [String: String] = [:]

    /// 荆门市 with 东宝区 (townships 龙泉街道 and 泉口街道, no node of their own unless given a port) and 掇刀区.
    static let cityRegions = [
        "4208": "荆门市", "420802": "东宝区", "420802101": "龙泉街道", "420802102": "泉口街道", "420804": "掇刀区",
    ]

    /// The one-node tests' topology: 湖北省 on top of `cityRegions`, with nodes at the province, the city and both
    /// counties (their ports are only names: nothing listens there unless a test serves on them).
    static let standard = TestTopology(
        regions: cityRegions.merging(["42": "湖北省"]) { $1 },
        ports: ["42": 18400, "4208": 18410, "420802": 18411, "420804": 18412]
    )

    /// The city and its regions with nodes at `ports`, for tests that run a federation on real sockets.
    static func city(ports: [String: Int], schedules: [String: String] = [:]) -> TestTopology {
        TestTopology(regions: cityRegions, ports: ports, schedules: schedules)
    }

    /// The same topology with one more region.
    func adding(_ code: String, _ name: String) -> TestTopology {
        var copy = self
        copy.regions[code] = name
        return copy
    }

    /// The same topology without `code` and what lies under it.
    func removing(_ code: String) -> TestTopology {
        var copy = self
        copy.regions = regions.filter { !$0.key.hasPrefix(code) }
        return copy
    }

    /// The same topology with a region renamed.
    func renaming(_ code: String, to name: String) -> TestTopology {
        var copy = self
        copy.regions[code] = name
        return copy
    }

    var yaml: String {
        let codes = regions.keys.sorted()
        func parent(of code: String) -> String? {
            codes.filter { $0 != code && code.hasPrefix($0) }.max { $0.count < $1.count }
        }
        let roots = codes.filter { parent(of: $0) == nil }
        precondition(roots.count == 1, "a topology has one root, not \(roots)")
        func level(_ code: String) -> String { RegionCode(code)!.level!.rawValue }

        /// `code` and its subtree, every line indented by `indent`.
        func block(_ code: String, indent: Int) -> [String] {
            let pad = String(repeating: " ", count: indent)
            var lines = ["code: \"\(code)\"", "name: \(regions[code]!)", "level: \(level(code))"]
            if let port = ports[code] { lines.append("url: http://127.0.0.1:\(port)") }
            if let schedule = schedules[code] { lines.append("sync: { schedule: \"\(schedule)\" }") }
            let children = codes.filter { parent(of: $0) == code }
            if !children.isEmpty { lines.append("children:") }
            return lines.map { pad + $0 } + children.flatMap { item($0, indent: indent + 2) }
        }

        /// `code` as an item of its parent's `children`, the dash at `indent`.
        func item(_ code: String, indent: Int) -> [String] {
            let pad = String(repeating: " ", count: indent)
            guard level(code) == "township" else {
                var lines = block(code, indent: indent + 2)
                lines[0] = pad + "- " + lines[0].dropFirst(indent + 2)
                return lines
            }
            var fields = ["code: \"\(code)\"", "name: \(regions[code]!)", "level: township"]
            if let port = ports[code] { fields.append("url: \"http://127.0.0.1:\(port)\"") }
            if let schedule = schedules[code] { fields.append("sync: { schedule: \"\(schedule)\" }") }
            return [pad + "- { " + fields.joined(separator: ", ") + " }"]
        }

        return (["version: 1", "root:"] + block(roots[0], indent: 2)).joined(separator: "\n")
    }
}
