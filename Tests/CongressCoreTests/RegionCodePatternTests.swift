import CongressCore
import Testing

/// The patterns the API document states for region codes accept exactly what `RegionCode` accepts.
@Suite struct RegionCodePatternTests {
    /// Every string of digits of every width up to 13 that the generator makes, zeros weighted in, and CN.
    static func candidates(count: Int) -> [String] {
        var random = SeededRandom(seed: 11)
        var texts = ["CN", "cn", "", "C", "4200", "420000", "42", "00", "420802000", "420802001000"]
        for _ in 0..<count {
            let width = Int.random(in: 1...13, using: &random)
            texts.append(
                String((0..<width).map { _ in Bool.random(using: &random) ? "0" : Character(String(Int.random(in: 0...9, using: &random))) })
            )
        }
        return texts
    }

    @Test func theWholePatternAcceptsExactlyTheCodesRegionCodeAccepts() throws {
        let regex = try Regex("^" + RegionCode.pattern + "$")
        for text in Self.candidates(count: 20_000) {
            #expect((text.wholeMatch(of: regex) != nil) == (RegionCode(text) != nil), "\(text)")
        }
    }

    @Test func aSubtreePatternAcceptsExactlyTheCodesOfThoseWidthsInTheSubtree() throws {
        for (node, widths) in [("420802", Set([6, 9, 12])), ("4208", Set([6])), ("CN", Set([0, 2])), ("420802001", Set([12]))] {
            let code = try #require(RegionCode(node))
            let regex = try Regex("^" + (try #require(code.pattern(widths: widths))) + "$")
            for text in Self.candidates(count: 5_000) + [node, node + "001", node + "001001", "420804001"] {
                let expected =
                    RegionCode(text).map { candidate in
                        code.contains(candidate) && widths.contains(candidate.isNation ? 0 : candidate.rawValue.count)
                    } ?? false
                #expect((text.wholeMatch(of: regex) != nil) == expected, "\(node) \(widths): \(text)")
            }
        }
        #expect(RegionCode("420802")!.pattern(widths: [2, 4]) == nil)
    }
}
