/// A generated province-sized topology with real code shapes, for benchmarks and load tests.
public struct SyntheticTopology: Sendable {
    public var cities: Int
    public var countiesPerCity: Int
    public var townshipsPerCounty: Int

    public init(cities: Int, countiesPerCity: Int, townshipsPerCounty: Int) {
        precondition((1...99).contains(cities) && (1...99).contains(countiesPerCity) && (1...299).contains(townshipsPerCounty))
        self.cities = cities
        self.countiesPerCity = countiesPerCity
        self.townshipsPerCounty = townshipsPerCounty
    }

    /// About the size of 湖北: 13 cities, 130 counties, 1,300 townships.
    public static let province = SyntheticTopology(cities: 13, countiesPerCity: 10, townshipsPerCounty: 10)

    public var townships: Int { cities * countiesPerCity * townshipsPerCounty }

    /// The topology file: province `42`; every city, every county and every fourth township runs a node. Townships are
    /// towns (镇, codes from `100`), which have a congress of their own.
    public var yaml: String {
        var lines = ["version: 1", "defaults:", "  sync: { schedule: \"02:00\", timezone: Asia/Shanghai }", "root:"]
        var port = 20000
        func nextURL() -> String {
            port += 1
            return "http://127.0.0.1:\(port)"
        }
        lines += ["  code: \"42\"", "  name: 省", "  level: province", "  url: \(nextURL())", "  children:"]
        for city in 1...cities {
            let cityCode = "42" + Self.digits(city, 2)
            lines += ["    - code: \"\(cityCode)\"", "      name: 市\(city)", "      level: city", "      url: \(nextURL())", "      children:"]
            for county in 1...countiesPerCity {
                let countyCode = cityCode + Self.digits(county, 2)
                lines += [
                    "        - code: \"\(countyCode)\"", "          name: 县\(city)-\(county)", "          level: county",
                    "          url: \(nextURL())", "          children:",
                ]
                for township in 1...townshipsPerCounty {
                    let url = township % 4 == 1 ? ", url: \"\(nextURL())\", sync: { schedule: \"01:00\" }" : ""
                    lines.append(
                        "            - { code: \"\(countyCode + Self.digits(99 + township, 3))\", name: 乡镇\(county)-\(township), level: township\(url) }"
                    )
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
