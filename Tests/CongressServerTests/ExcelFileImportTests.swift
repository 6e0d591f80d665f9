import CongressCore
import CongressStore
import Foundation
import Testing

/// `congress deputies import` and `units import` as a county office runs them: the lists it keeps in Excel, saved as CSV
/// in GB18030, into its running node.
@Suite struct ExcelFileImportTests {
    /// One person's mandate of one congress and term is one record: twice in one import is refused, nothing written.
    @Test func oneMandateTwiceInAnImportIsRefused() async throws {
        let node = try await TestNode.make()
        try await node.run { api in
            let row = Fixture.deputy(extra: #", "idNumber": "\#(syntheticIDNumber(7))""#)
            let before = try await node.snapshot()
            let reply = try await api.send(.post, "/v1/deputies/import", json: "[\(row), \(Fixture.deputy(name: "李四")), \(row)]")
            #expect(reply.status == .unprocessableContent, "\(reply.body)")
            #expect(reply.error?.field == "[2].idNumber")
            #expect(reply.error?.message.contains("same mandate as row [0]") == true, "\(reply.body)")
            #expect(try await node.snapshot() == before)
        }
    }

    @Test func aGB18030RegisterOf200DeputiesImportsAndTheSameWithTwoMistakesIsRefusedWhole() async throws {
        let yaml = TestTopology.city(ports: ["4208": try LoopbackPort.free(), "420802": try LoopbackPort.free()]).yaml
        let node = try await TestNode.make(node: "420802", topologyYAML: yaml)
        let files = try NodeProcess(node, topologyYAML: yaml)
        let register = DeputyRegister.generated(count: 200)
        // Data row 57 with a wrong check digit, data row 120 a village's "level": lines 58 and 121 under the header.
        var broken = register
        broken.rows[56][DeputyRegister.idNumber] = DeputyRegister.withWrongCheckDigit(register.rows[56][DeputyRegister.idNumber])
        broken.rows[119][DeputyRegister.level] = "村"
        let brokenFile = try await broken.writeGB18030(to: files.folder.appendingPathComponent("花名册-有误.csv"))
        let file = try await register.writeGB18030(to: files.folder.appendingPathComponent("花名册.csv"))

        let (refused, imported, deputies) = try await node.serve(configure: TestFederation.live) { api in
            let before = try await node.snapshot()
            let refused = try await files.command(["deputies", "import", brokenFile])
            #expect(try await node.snapshot() == before, "a refused register writes nothing")
            let imported = try await files.command(["deputies", "import", file])
            // The office imports the same register again: each row is a mandate already held, nothing is added.
            let afterFirst = try await node.snapshot()
            let again = try await files.command(["deputies", "import", file])
            #expect(again.status == 0 && again.output.contains("200 deputies: 0 created, 0 updated, 200 unchanged"), "\(again.output)")
            #expect(try await node.snapshot() == afterFirst)
            return (refused, imported, try await api.list(Deputy.self, query: "?limit=1000").items)
        }

        #expect(refused.status != 0)
        let errors = refused.output.split(separator: "\n").filter { $0.contains(": error: ") }
        #expect(
            errors == [
                "\(brokenFile):58:\(broken.column(DeputyRegister.idNumber, row: 56)): error: 身份证号: the ID number's check digit is wrong "
                    + "(GB 11643): check for a typing error",
                "\(brokenFile):121:\(broken.column(DeputyRegister.level, row: 119)): error: 代表层级: '村' is not a congress level: "
                    + "write 全国, 省, 市, 县 (区) or 乡镇 (乡, 镇)",
            ],
            "\(refused.output)"
        )

        #expect(imported.status == 0, "\(imported.output)")
        #expect(imported.output.contains("200 deputies: 200 created, 0 updated, 0 unchanged"), "\(imported.output)")
        #expect(deputies.count == 200)
        #expect(deputies.map(\.body.name).sorted() == register.rows.map { $0[DeputyRegister.name] }.sorted())
        #expect(Set(deputies.compactMap(\.body.personKey)).count == 200, "each row's ID number gives a person key of its own")
        #expect(Set(deputies.map(\.body.congressCode.rawValue)) == ["420802", "420802101", "420802102"])
        #expect(deputies.allSatisfy { $0.body.phone?.contains("****") == true })

        // No ID number anywhere: not in any table (the dump holds every row of every one), not in the node's log.
        let dump = try await TestDatabase.dump(node.database)
        let logs = node.logs.text
        #expect(dump.contains(register.rows[0][DeputyRegister.name]), "the dump should hold the data it is searched for")
        for row in register.rows {
            let idNumber = row[DeputyRegister.idNumber]
            #expect(!dump.contains(idNumber) && !dump.contains(idNumber.prefix(17)), "the database holds an ID number")
            #expect(!logs.contains(idNumber.prefix(17)), "a log line holds an ID number")
            #expect(!imported.output.contains(idNumber.prefix(17)) && !refused.output.contains(idNumber.prefix(17)))
        }
    }

    /// `congress units import` reads the same files: a village list saved by Excel (GB18030, CRLF); a code the node
    /// refuses is pointed at its line, with the field named.
    @Test func aVillageListInGB18030ImportsAndTheNodesRefusalPointsAtTheLine() async throws {
        let yaml = TestTopology.city(ports: ["4208": try LoopbackPort.free(), "420802": try LoopbackPort.free()]).yaml
        let node = try await TestNode.make(node: "420802", topologyYAML: yaml)
        let files = try NodeProcess(node, topologyYAML: yaml)
        let villages = "code,name,urbanRuralClass\r\n420802101001,龙泉社区,111\r\n420802101002,象山村,220\r\n"
        let file = try await ExcelCSV.writeGB18030(villages, to: files.folder.appendingPathComponent("村居.csv"))
        let elsewhere = try await ExcelCSV.writeGB18030(
            villages.replacingOccurrences(of: "420802101002", with: "420804101002"),
            to: files.folder.appendingPathComponent("村居-外区.csv")
        )

        let (refused, imported, units) = try await node.serve(configure: TestFederation.live) { api in
            let before = try await node.snapshot()
            let refused = try await files.command(["units", "import", elsewhere])
            #expect(try await node.snapshot() == before)
            let imported = try await files.command(["units", "import", file])
            return (refused, imported, try await api.list(CongressCore.Unit.self).items)
        }
        #expect(refused.status != 0)
        #expect(refused.output.contains("\(elsewhere):3:1: error: code: 420804101002 lies outside this node's subtree (420802)"), "\(refused.output)")
        #expect(imported.status == 0, "\(imported.output)")
        #expect(imported.output.contains("2 units: 2 created, 0 updated, 0 unchanged"), "\(imported.output)")
        #expect(units.map(\.body.name).sorted() == ["象山村", "龙泉社区"].sorted())
    }
}

/// CSV files as Excel on a computer set up for China saves them.
enum ExcelCSV {
    /// Writes `text` in GB18030, encoded by iconv; returns the path.
    static func writeGB18030(_ text: String, to url: URL) async throws -> String {
        let encoded = try await ChildProcess.run("/usr/bin/iconv", ["-f", "UTF-8", "-t", "GB18030"], input: Data(text.utf8), mergingErrors: false)
        #expect(encoded.terminationStatus == 0)
        #expect(String(data: encoded.output, encoding: .utf8) == nil, "GB18030 Chinese is not UTF-8")
        try encoded.output.write(to: url)
        return url.path
    }
}

/// A generated 代表花名册 as a county office keeps it: a county's and two townships' deputies, valid ID numbers made with
/// the project's own check digit, values in the forms offices type.
struct DeputyRegister {
    static let header = ["姓名", "性别", "民族", "出生年月", "党派", "职业", "代表层级", "届次", "选区", "代表团", "状态", "手机", "身份证号", "行政区划代码"]
    static let name = 0
    static let level = 6
    static let idNumber = 12

    var rows: [[String]]

    static func generated(count: Int, seed: UInt64 = 16) -> DeputyRegister {
        var random = SeededRandom(seed: seed)
        let surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "欧阳", "司马"]
        // 䶮 is in GB18030's two-byte part only since GBK's extension, 𬌗 in its four-byte part.
        let given = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "䶮", "𬌗", "娟", "涛"]
        let occupations = ["农民", "工人", "教师", "医生", "\"村党支部书记, 村委会主任\"", "个体工商户", "公务员"]
        var idNumbers: Set<String> = []
        var rows: [[String]] = []
        while rows.count < count {
            let index = rows.count
            let male = Bool.random(using: &random)
            let (year, month, day) = (
                Int.random(in: 1950...2000, using: &random), Int.random(in: 1...12, using: &random), Int.random(in: 1...28, using: &random)
            )
            let sequence = Int.random(in: 0...499, using: &random) * 2 + (male ? 1 : 0)
            let digits = "420802\(year)\(pad(month, 2))\(pad(day, 2))\(pad(sequence, 3))".compactMap(\.wholeNumberValue)
            let idNumber = digits.map(String.init).joined() + String(NationalID.checkCharacter(of: digits))
            guard idNumbers.insert(idNumber).inserted else { continue }
            let birthForms = [
                "\(year)-\(pad(month, 2))", "\(year).\(pad(month, 2))", "\(year)/\(month)", "\(year)年\(month)月", "\(year)\(pad(month, 2))",
            ]
            // Three in four at the county congress; the others at 龙泉街道's or 泉口街道's, named by their region code.
            let township = index % 4 == 3 ? (index % 8 == 3 ? "420802101" : "420802102") : nil
            rows.append([
                surnames[index % surnames.count] + given[Int.random(in: 0..<given.count, using: &random)],
                male ? "男" : "女",
                index % 10 == 0 ? "回族" : "汉族",
                birthForms[index % birthForms.count],
                index % 3 == 0 ? "群众" : "中共党员",
                occupations[index % occupations.count],
                township == nil ? (index % 2 == 0 ? "县" : "县级") : (index % 2 == 0 ? "乡镇" : "镇"),
                township == nil ? (index % 2 == 0 ? "第十五届" : "15") : "第二十二届",
                "第\(index % 30 + 1)选区",
                township == nil ? "东宝区代表团" : "",
                index % 25 == 0 ? "辞职" : "在任",
                "13\(pad(Int.random(in: 0...999_999_999, using: &random), 9))",
                idNumber,
                township.map { "\($0)\(pad(index % 20 + 1, 3))" } ?? "420802101",
            ])
        }
        return DeputyRegister(rows: rows)
    }

    /// The same number with another check character, still a valid birth date.
    static func withWrongCheckDigit(_ idNumber: String) -> String {
        let characters = Array("10X98765432")
        let next = characters[(characters.firstIndex(of: idNumber.last!)! + 1) % characters.count]
        return idNumber.dropLast() + String(next)
    }

    /// The file's text: a header and one line per row, CRLF-ended as Excel writes them; cells are written as they are
    /// (the occupation with a comma carries its own quotes).
    var csv: String {
        ([Self.header] + rows).map { $0.joined(separator: ",") + "\r\n" }.joined()
    }

    /// The character column where the cell `column` of data row `row` starts.
    func column(_ column: Int, row: Int) -> Int {
        rows[row].prefix(column).map { $0.count + 1 }.reduce(1, +)
    }

    /// Writes the register in GB18030, as Excel on a Chinese Windows would; returns the path.
    func writeGB18030(to url: URL) async throws -> String {
        try await ExcelCSV.writeGB18030(csv, to: url)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        String(repeating: "0", count: max(0, width - String(value).count)) + String(value)
    }
}
