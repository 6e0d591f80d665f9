import CongressCore
import Foundation
import Testing

@Suite struct ChangeRowsTests {
    static func rows(_ document: String) throws -> [String] {
        let rows = try ChangeRows(document: Data(document.utf8))
        let lines = String(decoding: rows.copyText, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.last == "", "every row ends in a newline")
        #expect(lines.count - 1 == rows.count)
        return Array(lines.dropLast())
    }

    @Test func takesEachFieldInColumnOrderWhateverTheLayout() throws {
        let compact = #"""
            {"protocol":1,"edges":[{"node":"420802001","lastBatchAt":"2026-11-22T01:00:00Z"}],"changes":[{"kind":"deputy","id":"8c1d","origin":"420802001","regionCode":"420802001","version":7,"updatedAt":"2026-11-22T01:00:00Z","deleted":false,"body":{"name":"张三","tags":["a",{"b":null}]}}]}
            """#
        let pretty = """
            {
              "changes" : [
                {
                  "body" : { "name" : "张三", "tags" : [ "a", { "b" : null } ] },
                  "unknown" : { "nested" : [1, 2.5, -3e2, true] },
                  "deleted" : false, "updatedAt" : "2026-11-22T01:00:00Z", "version" : 7,
                  "regionCode" : "420802001", "origin" : "420802001", "id" : "8c1d", "kind" : "deputy"
                }
              ],
              "protocol" : 1
            }
            """
        let expected = "deputy\t8c1d\t420802001\t420802001\t7\t2026-11-22T01:00:00Z\tfalse\t"
        let absent = "\t\\N\t\\N\t\\N"
        #expect(try Self.rows(compact) == [expected + #"{"name":"张三","tags":["a",{"b":null}]}"# + absent])
        // The body keeps its text as sent; PostgreSQL parses it.
        #expect(try Self.rows(pretty) == [expected + #"{ "name" : "张三", "tags" : [ "a", { "b" : null } ] }"# + absent])
        // A re-attributed record's epoch and former codes, and a handover's sender (SPEC §15).
        let handover = #"{"changes":[{"kind":"unit","formerRegionCodes":["420802104001"],"epoch":1,"handedOverBy":"420802"}]}"#
        #expect(try Self.rows(handover) == [#"unit\#t\N\#t\N\#t\N\#t\N\#t\N\#t\N\#t\N\#t1\#t["420802104001"]\#t420802"#])
    }

    @Test func stringsAreUnescapedFromJSONAndEscapedForCopy() throws {
        let document = #"""
            {"changes":[{"kind":"de\u0070uty","id":"a\"b\\c\/d","origin":"tab\there","regionCode":"line\nbreak\r","version":"12",
            "updatedAt":"\u4e2d\ud83d\ude00","deleted":null,"body":{"note":"say \"hi\"\n\\"}}]}
            """#
        let columns =
            [#"deputy"#, #"a"b\\c/d"#, #"tab\there"#, #"line\nbreak\r"#, "12", "中😀", #"\N"#, #"{"note":"say \\"hi\\"\\n\\\\"}"#]
            + Array(repeating: #"\N"#, count: 3)
        #expect(try Self.rows(document) == [columns.joined(separator: "\t")])
    }

    @Test func notesTheKindsAsWrittenAndWhetherAnyChangeHandsARecordOver() throws {
        let plain = try ChangeRows(
            document: Data(
                #"{"changes":[{"kind":"deputy"},{"kind":"deputy"},{"kind":"st\u0061tion"},{},{"kind":"deputy","handedOverBy":null}]}"#.utf8
            )
        )
        #expect(plain.kinds == ["deputy", "station"])
        #expect(!plain.hasHandovers)
        // A kind that is no string is noted as its row has it (the apply refuses it).
        let handing = try ChangeRows(document: Data(#"{"changes":[{"kind":7},{"kind":"unit","handedOverBy":"420802"}]}"#.utf8))
        #expect(handing.kinds == ["7", "unit"])
        #expect(handing.hasHandovers)
        #expect(try ChangeRows(document: Data(#"{"changes":[]}"#.utf8)).kinds.isEmpty)
    }

    @Test func missingFieldsAreNullAndEmptyChangesNoRows() throws {
        let null = #"\N"#
        #expect(
            try Self.rows(#"{"changes":[{"kind":"unit"}, {}]}"#) == [
                (["unit"] + Array(repeating: null, count: 10)).joined(separator: "\t"), Array(repeating: null, count: 11).joined(separator: "\t"),
            ]
        )
        #expect(try Self.rows(#" { "since" : 4, "changes" : [ ] } "#) == [])
        // A body that is not an object travels as it is: the apply refuses it.
        #expect(
            try Self.rows(#"{"changes":[{"body":"text"}]}"#) == [
                (Array(repeating: null, count: 7) + [#""text""#] + Array(repeating: null, count: 3)).joined(separator: "\t")
            ]
        )
    }

    @Test(
        arguments: [
            (#"{"changes":[{"kind":"deputy"}"#, "unexpected end of the document", nil),
            (#"{"changes":[{"kind":"deputy" "id":"x"}]}"#, "expected ',' or '}'", 0),
            (#"{"changes":[{}, {"kind":"a"#, "unterminated string", 1),
            ("{\"changes\":[{\"kind\":\"a\u{1}\"}]}", "a control character inside a string must be escaped", 0),
            (#"{"changes":[{"kind":"\ud83d"}]}"#, "a lone surrogate in \\u escapes", 0),
            (#"{"changes":[{"kind":"\u0000"}]}"#, "\\u0000 cannot be stored", 0),
            (#"{"changes":[{"kind":"\x"}]}"#, "unknown escape in a string", 0),
            (#"{"changes":[{"version":tru}]}"#, "expected a JSON value", 0),
            (#"{"changes":[]} x"#, "unexpected text after the document", nil),
            (#"{"since":1}"#, "the document has no 'changes' array", nil),
            (#"["changes"]"#, "expected '{'", nil),
            (#"{"changes":{}}"#, "expected '['", nil),
            (#"{"changes":[],"changes":[]}"#, "'changes' appears twice", nil),
        ] as [(String, String, Int?)]
    )
    func refusesWhatIsNotABatchSayingWhere(document: String, message: String, change: Int?) {
        #expect {
            try ChangeRows(document: Data(document.utf8))
        } throws: { error in
            guard let error = error as? ChangeRowsError else { return false }
            return error.message == message && error.change == change && error.offset <= document.utf8.count
        }
    }

    @Test func aDeeplyNestedBodyIsRefusedNotRecursedInto() throws {
        let depth = 100_000
        let document = #"{"changes":[{"body":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}]}"
        #expect(throws: ChangeRowsError.self) { try ChangeRows(document: Data(document.utf8)) }
        let fine = #"{"changes":[{"body":"# + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "}]}"
        #expect(try Self.rows(fine).count == 1)
    }
}
