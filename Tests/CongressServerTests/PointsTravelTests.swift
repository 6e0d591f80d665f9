import Foundation
import Testing

@testable import CongressCore
@testable import CongressServer
@testable import CongressSync

/// The points rules folder travels down the tree with the topology (SPEC §12, §17): an edit at the city reaches the
/// county's folder and the township by sync, a folder a child cannot read is refused there and reported at both ends,
/// and records keep flowing meanwhile.
@Suite struct PointsTravelTests {
    typealias TopologyFolder = TopologyReloadTests.TopologyFolder

    /// SPEC §12's example, as the repository's example folder holds it.
    static let example = try! String(
        contentsOf: Repository.root.appendingPathComponent("config/points/420802/2026.yaml"),
        encoding: .utf8
    )

    static func rules(at api: APIClient, until condition: ([String: Any]) -> Bool = { _ in true }) async throws -> [String: Any] {
        try await api.json("/v1/points/rules", until: condition)
    }

    @Test func rulesWrittenAtTheCityReachTheCountysFolderAndTheTownship() async throws {
        let (topology, federation) = try await TopologyTravelTests.federation()
        let cityFolder = try TopologyFolder(topology.yaml)
        let countyFolder = try TopologyFolder(topology.yaml)
        let files = ["420802/2026.yaml": Self.example]
        let hash = PointsFolder.hash(of: files)
        try await TopologyTravelTests.serve(federation.city, file: cityFolder) { city in
            try await TopologyTravelTests.serve(federation.county, file: countyFolder) { county in
                try await TopologyTravelTests.serve(federation.township, file: nil) { township in
                    #expect(try await county.sync().error == nil)
                    #expect(try await Self.rules(at: city)["hash"] as? String == PointsFolder.empty.hash)

                    // The city's operator writes a file with a mistake: refused, nothing changes.
                    let typo = Self.example.replacingOccurrences(of: "kind: inspection", with: "kind: inspektion")
                    try PointsFolder.write(["420802/2026.yaml": typo], to: cityFolder.path + "/points")
                    let refused = try await Self.rules(at: city) { $0["lastRejected"] is [String: Any] }
                    #expect(refused["hash"] as? String == PointsFolder.empty.hash)
                    let errors = (refused["lastRejected"] as? [String: Any])?["errors"] as? [[String: Any]]
                    let typoLine = Self.example.split(separator: "\n", omittingEmptySubsequences: false).firstIndex {
                        $0.contains("kind: inspection")
                    }
                    #expect(errors?.first?["line"] as? Int == typoLine.map { $0 + 1 })
                    #expect((errors?.first?["message"] as? String)?.contains("did you mean 'inspection'") == true)

                    // …then corrects it: in force at the city, shown rule by rule.
                    try PointsFolder.write(files, to: cityFolder.path + "/points")
                    let loaded = try await Self.rules(at: city) { $0["hash"] as? String == hash }
                    #expect(loaded["hash"] as? String == hash)
                    let first = (loaded["files"] as? [[String: Any]])?.first
                    #expect(first?["path"] as? String == "420802/2026.yaml")
                    #expect((first?["rules"] as? [String: Any])?["base"] as? Int == 60)
                    // The county lags until it syncs.
                    #expect((try await MixedReleaseTests.child(city, "420802"))?["lags"] as? [String] == ["points"])

                    let atCounty = try await county.sync()
                    #expect(atCounty.error == nil)
                    #expect(atCounty.pointsAdopted == hash)
                    #expect(try PointsFolder.read(directory: countyFolder.path + "/points") == files, "written to the county's folder")
                    #expect(try await Self.rules(at: county)["hash"] as? String == hash)
                    let atTownship = try await township.sync()
                    #expect(atTownship.error == nil)
                    #expect(atTownship.pointsAdopted == hash)
                    #expect(try await Self.rules(at: township)["hash"] as? String == hash)

                    // Once all agree, nothing is adopted again and nothing lags.
                    #expect(try await township.sync().pointsAdopted == nil)
                    #expect(try await county.sync().pointsAdopted == nil)
                    #expect((try await MixedReleaseTests.child(city, "420802"))?["lags"] as? [String] == [])
                    #expect((try await MixedReleaseTests.child(county, "420802101"))?["pointsHash"] as? String == hash)
                }
            }
        }
    }

    @Test func aFolderTheChildCannotReadIsRefusedThereReportedAtBothEndsAndRecordsStillFlow() async throws {
        let (topology, federation) = try await TopologyTravelTests.federation()
        // A parent whose folder this node's check refuses (as a later release's rules might be): built in code, unchecked.
        let unreadable = ["420802/2026.yaml": Self.example.replacingOccurrences(of: "base: 60", with: "base: 60\nbonus: 5")]
        let parentFolder = PointsFolder(files: unreadable, rules: [], warnings: [], hash: PointsFolder.hash(of: unreadable))
        let countyFolder = try TopologyFolder(topology.yaml)
        try await TopologyTravelTests.serve(federation.city, file: nil, points: parentFolder) { city in
            try await TopologyTravelTests.serve(federation.county, file: countyFolder) { county in
                let deputy = try await county.create("deputies", Fixture.deputy(name: "照常同步", region: "420802", level: "county", congress: "420802"))
                let report = try await county.sync()
                let error = try #require(report.error)
                #expect(error.contains("points@4208/420802/2026.yaml:7:1: error: unknown key 'bonus' in the points rules"), "\(error)")
                #expect(report.pointsAdopted == nil)
                #expect(try await city.held("deputies").keys.contains(deputy), "records are not held back by a refused folder")
                #expect(try PointsFolder.read(directory: countyFolder.path + "/points").isEmpty)
                let atCounty = try await Self.rules(at: county)
                #expect(atCounty["hash"] as? String == PointsFolder.empty.hash)
                #expect((atCounty["lastRejected"] as? [String: Any])?["trigger"] as? String == "parent 4208")
                let child = try #require(try await MixedReleaseTests.child(city, "420802"))
                let refused = child["pointsRefused"] as? [String: Any]
                #expect(refused?["hash"] as? String == parentFolder.hash)
                #expect((refused?["errors"] as? [String])?.first?.contains("unknown key 'bonus'") == true)
                #expect(child["lags"] as? [String] == ["points"])
            }
        }
    }
}
