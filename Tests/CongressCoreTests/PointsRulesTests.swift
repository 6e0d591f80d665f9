import Foundation
import Testing

@testable import CongressCore

/// Points rules files (SPEC §12) as operators write them, and exactly what the check says of mistakes.
@Suite struct PointsRulesTests {
    /// SPEC §12's example, as the repository's example folder holds it.
    static let valid = try! String(contentsOf: Repository.root.appendingPathComponent("config/points/420802/2026.yaml"), encoding: .utf8)

    static func errors(_ text: String, path: String = "420802/2026.yaml") -> [String] {
        do {
            _ = try PointsRulesLoader.parse(text, path: path, file: "points/\(path)")
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func theSpecsExampleReads() throws {
        let (rules, warnings) = try PointsRulesLoader.parse(Self.valid, path: "420802/2026.yaml", file: "points/420802/2026.yaml")
        #expect(warnings.isEmpty)
        #expect(rules.congress == RegionCode("420802"))
        #expect(rules.year == 2026)
        #expect(rules.base == 60)
        #expect(rules.rules.count == 5)
        #expect(rules.rules[1] == PointsRules.Rule(kind: .reception, points: 2, per: .occurrence, cap: 24, line: 9))
        #expect(rules.rules[2] == PointsRules.Rule(kind: .absence, points: -1, per: .halfDay, cap: nil, line: 10))
    }

    @Test func theExampleFolderOfTheRepositoryLoads() throws {
        let folder = try PointsFolder.load(directory: Repository.root.appendingPathComponent("config/points").path)
        #expect(folder.rules.map { "\($0.congress)/\($0.year)" } == ["420802/2026", "500105/2026"])
        #expect(folder.warnings.isEmpty)
        // 江北's scheme: +3 a suggestion, +3 an inspection, −1 a half-day of leave.
        let jiangbei = folder.rules[1]
        #expect(
            jiangbei.base == 0
                && jiangbei.rules.map { "\($0.kind.rawValue) \($0.points) \($0.per.rawValue)" } == [
                    "suggestion_submitted 3 occurrence", "inspection 3 occurrence", "absence -1 half_day",
                ]
        )
    }

    @Test func everyMistakeIsReportedAtItsLineAndColumn() {
        let broken = """
            version: 1
            congress: "420804"
            year: 2025
            base: sixty
            rules:
              - { kind: inspektion, points: 3 }
              - { kind: reception, points: 2, cap: 0 }
              - { kind: visit, points: 2, per: hour }
              - { kind: reception, points: 1 }
              - { kind: study, points: 2, bonus: 1 }

            """
        #expect(
            Self.errors(broken) == [
                "points/420802/2026.yaml:2:11: error: the file is for congress 420804 but lies in the folder of 420802",
                "points/420802/2026.yaml:3:7: error: the file is for 2025 but is named 2026.yaml",
                "points/420802/2026.yaml:4:7: error: 'base' must be a whole number from -10000 to 10000, not 'sixty'",
                "points/420802/2026.yaml:6:13: error: unknown kind 'inspektion'; did you mean 'inspection'?",
                "points/420802/2026.yaml:7:40: error: 'cap' must be a whole number from 1 to 10000, not '0'",
                "points/420802/2026.yaml:8:36: error: unknown 'per' 'hour' (one of occurrence, half_day, constituent)",
                "points/420802/2026.yaml:9:5: error: a second rule for reception per occurrence (the first is at line 7): merge them",
                "points/420802/2026.yaml:10:31: error: unknown key 'bonus' in a rule",
            ]
        )
    }

    /// Half-days and people received are measures of activities: a sign-in or a case counts once.
    @Test func onlyActivitiesAreCountedByHalfDayOrByPerson() {
        let text = """
            version: 1
            congress: "420802"
            year: 2026
            rules:
              - { kind: training_attended, points: 1, per: half_day }
              - { kind: reception, points: 1, per: constituent, cap: 20 }

            """
        #expect(
            Self.errors(text) == [
                "points/420802/2026.yaml:5:48: error: 'per: half_day' counts activities; training_attended counts once each (per: occurrence)"
            ]
        )
    }

    @Test func aFileOutOfPlaceOrWithoutItsKeysIsRefused() {
        #expect(
            Self.errors(Self.valid, path: "dongbao/2026.yaml").first
                == "points/dongbao/2026.yaml:1:1: error: a points rules file is named CODE/YEAR.yaml inside the points folder (e.g. 420802/2026.yaml), not dongbao/2026.yaml"
        )
        #expect(
            Self.errors("version: 1\ncongress: \"420802\"\n")
                == [
                    "points/420802/2026.yaml:1:1: error: the points rules is missing required key 'year'",
                    "points/420802/2026.yaml:1:1: error: the points rules is missing required key 'rules'",
                ]
        )
        #expect(
            Self.errors("version: 2\ncongress: \"420802\"\nyear: 2026\nrules: []\n").first?.contains("unsupported points rules version '2'") == true
        )
    }

    @Test func aFolderIsCheckedWholeAndNamedByItsContent() throws {
        let folder = try PointsFolder.check(["420802/2026.yaml": Self.valid], directory: "config/points")
        #expect(folder.rules.map(\.year) == [2026])
        #expect(folder.hash == PointsFolder.hash(of: ["420802/2026.yaml": Self.valid]))
        #expect(folder.hash != PointsFolder.empty.hash)
        #expect(PointsFolder.hash(of: ["420802/2026.yaml": Self.valid + " "]) != folder.hash)
        // Every file's errors at once, each under its own name.
        let bad = Self.valid.replacingOccurrences(of: "points: 3 }", with: "points: x }")
        #expect(throws: ConfigFileError.self) { try PointsFolder.check(["420802/2026.yaml": bad, "420804/2026.yaml": bad], directory: "p") }
        do {
            _ = try PointsFolder.check(["420802/2026.yaml": Self.valid, "420804/2026.yaml": bad], directory: "p")
        } catch {
            #expect(error.diagnostics.map(\.file) == ["p/420804/2026.yaml", "p/420804/2026.yaml", "p/420804/2026.yaml"])
        }
    }

    @Test func aFolderIsWrittenAndReadBackExactly() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("points-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try PointsFolder.read(directory: directory).isEmpty, "a missing folder holds no rules")
        let files = ["420802/2026.yaml": Self.valid, "420804/2026.yaml": Self.valid.replacingOccurrences(of: "420802", with: "420804")]
        try PointsFolder.write(files, to: directory)
        #expect(try PointsFolder.read(directory: directory) == files)
        // A file the new folder lacks is removed; a file of another shape is left alone.
        try Data("notes".utf8).write(to: URL(fileURLWithPath: directory + "/README.txt"))
        try PointsFolder.write(["420802/2026.yaml": Self.valid], to: directory)
        #expect(try PointsFolder.read(directory: directory) == ["420802/2026.yaml": Self.valid])
        #expect(FileManager.default.fileExists(atPath: directory + "/README.txt"))
    }
}
