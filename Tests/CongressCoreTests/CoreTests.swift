import Crypto
import Foundation
import Testing
import _CryptoExtras

@testable import CongressCore

@Suite struct RegionCodeTests {
    @Test(arguments: ["CN", "42", "4208", "420802", "420802001", "420802001001", "429004"])
    func acceptsValidCodes(_ text: String) {
        #expect(RegionCode(text)?.rawValue == text)
    }

    @Test(arguments: ["", "4", "420", "4208021", "42080200100", "4200", "00", "420800", "42a8", "cn", "420802000"])
    func refusesInvalidCodes(_ text: String) {
        #expect(RegionCode(text) == nil)
    }

    /// What a constituent typed reaches a CSV as text: Excel runs no formula from it (CSV injection); numbers stay numbers.
    @Test func csvFieldsNeverStartAFormula() {
        #expect(
            CSVText.table([["=HYPERLINK(\"http://x\",\"点我\")", "+86 139", "-3", "-1.5", "@SUM(A1)", "路灯, 坏了"]])
                == #""'=HYPERLINK(""http://x"",""点我"")",'+86 139,-3,-1.5,'@SUM(A1),"路灯, 坏了""# + "\n"
        )
    }

    @Test func subtreeAndLevels() throws {
        let county = try #require(RegionCode("420802"))
        #expect(county.level == .county)
        #expect(county.contains(RegionCode("420802001001")!))
        #expect(!county.contains(RegionCode("420804001")!))
        #expect(RegionCode.nation.contains(county))
        #expect(county.parent == RegionCode("4208"))
        #expect(RegionCode("42")?.parent == .nation)
        #expect(RegionCode("420802001001")?.isUnit == true)
    }
}

@Suite struct NationalIDTests {
    @Test(arguments: ["11010519491231002X", "11010519491231002x", "440524188001010014"])
    func acceptsValidNumbers(_ number: String) throws {
        #expect(try NationalID.normalized(number) == number.uppercased())
    }

    @Test(arguments: ["110105194912310021", "11010519491231002", "1101051949123100XX", "110105194913310021", "11010519490230002X"])
    func refusesInvalidNumbersWithoutRepeatingThem(_ number: String) {
        #expect {
            try NationalID.normalized(number)
        } throws: { error in
            guard let error = error as? InputError else { return false }
            return error.field == "idNumber" && !error.message.contains(number) && !error.message.contains(String(number.prefix(10)))
        }
    }

    @Test func personKeyIsStableKeyedAndStretched() {
        let a = PersonKeyDeriver(provinceKey: "key-a", rounds: 50)
        let b = PersonKeyDeriver(provinceKey: "key-b", rounds: 50)
        let id = "11010519491231002X"
        let key = a.personKey(forNormalizedID: id)
        #expect(key == a.personKey(forNormalizedID: id))
        #expect(key != b.personKey(forNormalizedID: id))
        #expect(key.hasPrefix("p2") && key.count == 66 && PersonKeyDeriver.isLegacy(String(key.dropFirst(2))))
        // Not the fast keyed hash older releases stored, and the rounds are part of it.
        let legacy = Hex.encode(HMAC<SHA256>.authenticationCode(for: Data(id.utf8), using: SymmetricKey(data: Data("key-a".utf8))))
        #expect(!key.contains(legacy))
        #expect(key != PersonKeyDeriver(provinceKey: "key-a", rounds: 51).personKey(forNormalizedID: id))
        // A key an older release stored becomes, without the ID number, the key this one derives.
        #expect(a.rekeyed(legacy: legacy) == key)
        #expect(a.rekeyed(legacy: key) == nil && a.rekeyed(legacy: "not hex") == nil)
        // PBKDF2-HMAC-SHA256 itself, checked against RFC 7914's test vector (1 round, 64 bytes, "passwd"/"salt").
        let vector = try! KDF.Insecure.PBKDF2.deriveKey(
            from: Array("passwd".utf8),
            salt: Array("salt".utf8),
            using: .sha256,
            outputByteCount: 64,
            unsafeUncheckedRounds: 1
        )
        #expect(vector.withUnsafeBytes { Hex.encode($0) }.hasPrefix("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"))
    }
}

@Suite struct StrictDecoderTests {
    struct Sample: Decodable {
        struct Inner: Decodable { var role: String }
        var name: String
        var count: Int
        var inner: [Inner]
        var note: String?
    }

    func decode(_ json: String) throws(InputError) -> Sample {
        try StrictDecoder().decode(Sample.self, from: Data(json.utf8))
    }

    @Test func decodesKnownFields() throws {
        let sample = try decode(#"{"name": "a", "count": 2, "inner": [{"role": "x"}], "note": null}"#)
        #expect(sample.count == 2)
        #expect(sample.inner.first?.role == "x")
    }

    @Test func refusesUnknownFieldsWithPathAndSuggestion() {
        #expect(throws: InputError(.badRequest, field: "inner[0].rol", message: "unknown field 'rol' (did you mean 'role'?)")) {
            try decode(#"{"name": "a", "count": 2, "inner": [{"role": "x", "rol": "y"}]}"#)
        }
        #expect(throws: InputError(.badRequest, field: "name", message: "missing required field 'name' (the body has 'nmae': a typo?)")) {
            try decode(#"{"nmae": "a", "count": 2, "inner": []}"#)
        }
    }

    @Test func reportsWrongTypesAndFractions() {
        #expect(throws: InputError(.badRequest, field: "count", message: "expected an integer, found a string")) {
            try decode(#"{"name": "a", "count": "2", "inner": []}"#)
        }
        #expect(throws: InputError.self) { try decode(#"{"name": "a", "count": 2.5, "inner": []}"#) }
        #expect(throws: InputError.self) { try decode(#"{"name": "a", "count": 2, "inner": {}}"#) }
        #expect(throws: InputError.self) { try decode("not json") }
    }
}

@Suite struct UnitCSVTests {
    @Test func readsRowsWithHeaderAndQuotes() throws {
        let rows = try UnitCSV.parse("code,name,urbanRuralClass\n420802001001,龙泉社区,111\n420802001002,\"象山, 一村\",220\n", file: "u.csv")
        #expect(rows.map(\.line) == [2, 3])
        #expect(rows[1].input.body.name == "象山, 一村")
    }

    @Test func reportsEveryBadLineWithPosition() {
        #expect {
            try UnitCSV.parse("420802001001,龙泉社区\n4208020010,短码\n420802001003,村,999\n", file: "u.csv")
        } throws: { error in
            (error as? ConfigFileError)?.description
                == "u.csv:2:1: error: '4208020010' is not a 12-digit village/community code\nu.csv:3:16: error: '999' is not an urban-rural class (111, 112, 121, 122, 123, 210, 220)"
        }
    }

    /// Excel ends lines with CRLF (one Character in Swift) and keeps rows of empty cells once used.
    @Test func readsAFileAsExcelSavesIt() throws {
        let rows = try UnitCSV.parse("code,name\r\n420802001001,龙泉社区\r\n,\r\n420802001002,象山村\r\n", file: "u.csv")
        #expect(rows.map(\.line) == [2, 4])
        #expect(rows.map(\.input.body.name) == ["龙泉社区", "象山村"])
    }
}

@Suite struct ConfigFileTests {
    @Test func secretsRoundTripAndChildHashesMatchParentTokens() throws {
        let topology = try TopologyLoader.load(contentsOf: Repository.root.appendingPathComponent("config/topology.yaml").path).topology
        let all = NodeSecrets.generate(for: topology, keeping: [:])
        let county = try #require(all.first { $0.node.rawValue == "420802" })
        let township = try #require(all.first { $0.node.rawValue == "420802001" })
        #expect(county.childTokenHashes["420802001"] == NodeSecrets.sha256Hex(township.parentToken!))
        #expect(try NodeSecrets.parse(county.yaml, file: "s.yaml") == county)
        let again = NodeSecrets.generate(for: topology, keeping: [county.node: county])
        #expect(again.first { $0.node == county.node }?.adminToken == county.adminToken)
    }
}
