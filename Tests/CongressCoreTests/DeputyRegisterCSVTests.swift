import CongressCore
import Testing

/// `congress deputies import`'s reading of a 代表花名册: offices' headers and forms in, the node's rules applied, every
/// problem at its line and column.
@Suite struct DeputyRegisterCSVTests {
    static let county = try! DeputyRegisterCSV.Defaults(node: RegionCode("420802")!)

    @Test func theOfficesBookkeepingColumnsAreReadPast() throws {
        let text = "序号,姓名,性别,层级,届次,备注\n1,张三,男,县,15,新任\n2,李四,女,县,15,\n"
        let rows = try DeputyRegisterCSV.parse(text, file: "花名册.csv", defaults: Self.county)
        #expect(rows.map(\.input.body.name) == ["张三", "李四"])
        #expect(rows.map(\.line) == [2, 3])
    }

    @Test func aRegisterAsAnOfficeKeepsItReadsIntoDeputies() throws {
        // Excel's CSV: a byte-order mark, CRLF, a row once used and emptied; headers in any order, spaced, by alias.
        let text =
            "\u{FEFF}代表层级,姓  名,性别,民族,出生年月,党派,职业,届次,选区,代表团,状态,手机号码,身份证号码,行政区划代码\r\n"
            + "县,张三,男,汉族,1975年6月,中共党员,农民,第十五届,第三选区,东宝区代表团,在任,138 1234 5678,11010519491231002x,420802101001\r\n"
            + ",,,,,,,,,,,,,\r\n"
            + "乡镇,李四,女,回族,１９７５．０６,,,15,,,辞职,,,420802101002\r\n"
            + "镇级,王五,female,,1975/6/15,,,十五,,,suspended,,,420802102\r\n"
        let rows = try DeputyRegisterCSV.parse(text, file: "花名册.csv", defaults: Self.county)
        #expect(rows.map(\.line) == [2, 4, 5])
        let deputies = rows.map(\.input.body)
        #expect(deputies.map(\.name) == ["张三", "李四", "王五"])
        #expect(deputies.map(\.gender) == [.male, .female, .female])
        #expect(deputies.map(\.level) == [.county, .township, .township])
        // A township deputy's congress is the township its region code names.
        #expect(deputies.map(\.congressCode.rawValue) == ["420802", "420802101", "420802102"])
        #expect(deputies.map { $0.birthMonth?.description } == ["1975-06", "1975-06", "1975-06"])
        #expect(deputies.map(\.term) == [15, 15, 15])
        #expect(deputies.map(\.status) == [.inOffice, .resigned, .suspended])
        #expect(deputies[0].ethnicity == "汉族" && deputies[0].party == "中共党员" && deputies[0].occupation == "农民")
        #expect(deputies[0].constituency == "第三选区" && deputies[0].delegation == "东宝区代表团")
        #expect(deputies[0].phone == "138****5678")
        #expect(deputies.allSatisfy { $0.personKey == nil })
        #expect(rows.map(\.input.idNumber) == ["11010519491231002X", nil, nil])
        #expect(rows.map { $0.input.regionCode?.rawValue } == ["420802101001", "420802101002", "420802102"])
    }

    @Test func theCommandLineGivesWhatTheRowsLeaveOut() throws {
        let defaults = try DeputyRegisterCSV.Defaults(node: RegionCode("420802")!, congress: RegionCode("420802101"), term: 16)
        let rows = try DeputyRegisterCSV.parse("姓名,性别,层级\n张三,男,乡\n李四,女,县\n", file: "r.csv", defaults: defaults)
        // A county row belongs to the county congress above the township given.
        #expect(rows.map(\.input.body.congressCode.rawValue) == ["420802101", "420802"])
        #expect(rows.map(\.input.body.term) == [16, 16])
        #expect(rows.map { $0.input.regionCode?.rawValue } == ["420802", "420802"])
    }

    @Test func everyBadRowIsReportedAtItsLineAndColumn() {
        let text = """
            姓名,性别,出生年月,层级,届次,手机,身份证号,行政区划代码
            张三,男,1975-06,县,15,13812345678,11010519491231002X,420802101
            李四,未知,1975-13,村,十五,,110105194912310021,
            王五,女,1980.01,乡镇,16,1.38123E+10,,
            赵六,女,1980.01,市,15,,,
             ,男,,县,100,,,
            张三,男,1975-06,县,15,,11010519491231002x,
            "吴七,女
            郑八,女,,县,15,,,,多余
            钱九,女,1975年6月,县,第十五届,,,420804101
            孙十,女,,乡镇,15,,,4208020

            """
        let expected = [
            "r.csv:3:4: error: 性别: '未知' is not a gender: write 男 or 女",
            "r.csv:3:7: error: 出生年月: '1975-13' is not a month: write it as 1975-06, 1975.06, 1975/6, 1975年6月 or 197506",
            "r.csv:3:15: error: 层级: '村' is not a congress level: write 全国, 省, 市, 县 (区) or 乡镇 (乡, 镇)",
            "r.csv:3:21: error: 身份证号: the ID number's check digit is wrong (GB 11643): check for a typing error",
            "r.csv:4:14: error: 层级: a township congress is written as 9 digits, but the congress is 420802: "
                + "give --congress with its code, or a 行政区划代码 column that deep",
            "r.csv:4:20: error: 手机: Excel wrote this number in scientific notation (like 4.2E+17) and lost its last digits: "
                + "format the column as text (文本) and type the numbers again",
            "r.csv:5:14: error: 层级: the congress 4208 lies outside this node's subtree (420802)",
            "r.csv:6:1: error: 姓名: must not be empty",
            "r.csv:7:20: error: 身份证号: the same person as line 2, in the same congress (420802) and term (15)",
            "r.csv:8:1: error: a quote is left open (a line break inside a cell is not supported: remove it in Excel)",
            "r.csv:9:15: error: a value in a column without a header: name the column in the first line or clear it",
            "r.csv:10:23: error: 行政区划代码: 420804101 lies outside this node's subtree (420802)",
            // A region that cannot be read is not also a township congress that cannot be found.
            "r.csv:11:15: error: 行政区划代码: '4208020': a region code is CN or 2, 4, 6, 9 or 12 digits whose last part is not all zeros",
        ]
        #expect(Self.problems(text) == expected)
    }

    @Test func theHeaderIsCheckedBeforeAnyRow() {
        let known = "姓名, 性别, 民族, 出生年月, 党派, 职业, 层级, 届次, 选区, 代表团, 状态, 手机, 身份证号, 行政区划代码"
        #expect(
            Self.problems("姓命,性别,民族,附注,代表层级,层级\n张三,男,汉,,县,县\n") == [
                "r.csv:1:1: error: unknown column '姓命'; did you mean '姓名'?",
                "r.csv:1:1: error: missing column 姓名: a register needs 姓名, 性别 and 层级",
                "r.csv:1:1: error: no 届次 column and no --term: give the deputies' term one way or the other",
                "r.csv:1:10: error: unknown column '附注' (a register's columns: \(known))",
                "r.csv:1:18: error: '层级' names the same column as '代表层级' at column 13: keep one",
            ]
        )
        #expect(
            Self.problems("张三,男,县,15\n") == [
                "r.csv:1:1: error: the first line names no column of a deputy register (\(known)): it must be the header row"
            ]
        )
        #expect(Self.problems("姓名,性别,层级,届次\n") == ["r.csv:1:1: error: the file lists no deputies below its header"])
    }

    @Test func optionsOutsideTheNodeAreRefusedBeforeTheFileIsRead() {
        let node = RegionCode("420802")!
        #expect(throws: InputError(.outOfScope, field: "--congress", message: "4208 lies outside this node's subtree (420802)")) {
            try DeputyRegisterCSV.Defaults(node: node, congress: RegionCode("4208"))
        }
        #expect(throws: InputError(.outOfScope, field: "--region", message: "420804 lies outside this node's subtree (420802)")) {
            try DeputyRegisterCSV.Defaults(node: node, region: RegionCode("420804"))
        }
        #expect(throws: InputError(field: "--term", message: "a term is from 1 to 99, not 100")) {
            try DeputyRegisterCSV.Defaults(node: node, term: 100)
        }
    }

    static func problems(_ text: String) -> [String] {
        do {
            _ = try DeputyRegisterCSV.parse(text, file: "r.csv", defaults: county)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }
}
