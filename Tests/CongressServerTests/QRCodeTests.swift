import CongressQR
import Foundation
import Testing

/// Every symbol is read back by a real reader: rendered to PNG by rsvg-convert, decoded by zbarimg.
@Suite struct QRCodeTests {
    @Test func contactURLReadsBack() throws {
        let url = "https://rd.example.gov.cn/c/AB12CD34"
        #expect(try QRReader().read(QRCode.svg(encoding: url)) == url)
    }

    @Test func longURLWithChineseReadsBackAsTheSameUTF8() throws {
        let url = "https://人大.闵行区.example.gov.cn/c/AB12CD34?来源=码上约代表&站点=江川路街道人大代表联络站&说明=" + String(repeating: "社情民意", count: 40)
        #expect(url.utf8.count > 500)
        #expect(try QRReader().read(QRCode.svg(encoding: url)) == url)
    }

    // Not read back: zbar 0.23.92 (Debian 12) appends 16 stray digits to whatever a version 40 symbol holds, where
    // ZXing (zxing-cpp-tools) reads these very symbols exactly.
    @Test func fullestTextTakesTheLargestSymbol() throws {
        let text = String(String(repeating: "0123456789ABCDEFGHIJ", count: 200).prefix(QRCode.maximumByteCount))
        // Version 40: 177 modules, and 4 of quiet zone on each side.
        #expect(try QRCode.svg(encoding: text, margin: 4).contains(#"viewBox="0 0 185 185""#))
    }

    @Test func overlongTextIsRefusedWithItsLength() {
        let text = String(repeating: "x", count: 8000)
        #expect(throws: QRCodeError.textTooLong(byteCount: 8000)) { try QRCode.svg(encoding: text) }
        #expect(throws: QRCodeError.textTooLong(byteCount: QRCode.maximumByteCount + 1)) {
            try QRCode.svg(encoding: String(repeating: "x", count: QRCode.maximumByteCount + 1))
        }
        #expect(
            QRCodeError.textTooLong(byteCount: 8000).description
                == "QR code: the text is 8000 bytes of UTF-8, more than the 2331 one QR code holds at error correction level M"
        )
    }

    @Test func emptyTextIsRefused() {
        #expect(throws: QRCodeError.emptyText) { try QRCode.svg(encoding: "") }
    }

    @Test func svgIsOnePathOnAWhiteSquare() throws {
        // 36 bytes at level M need version 3: 29 modules, and 4 of quiet zone on each side.
        let svg = try QRCode.svg(encoding: "https://rd.example.gov.cn/c/AB12CD34", moduleSize: 5, margin: 4)
        #expect(svg.hasPrefix(#"<svg xmlns="http://www.w3.org/2000/svg" width="185" height="185" viewBox="0 0 37 37""#))
        #expect(svg.contains(#"shape-rendering="crispEdges""#))
        #expect(svg.contains(##"<rect width="37" height="37" fill="#fff"/>"##))
        #expect(svg.components(separatedBy: "<path ").count == 2)
        #expect(svg.hasSuffix("</svg>"))
    }

    @Test func concurrentCallsDrawWhatSerialCallsDraw() async throws {
        let texts = (0..<64).map { "https://rd.example.gov.cn/c/\(String($0, radix: 36).uppercased())-" + String(repeating: "码", count: $0) }
        let serial = try texts.map { try QRCode.svg(encoding: $0) }
        let concurrent = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, text) in texts.enumerated() {
                group.addTask { (index, try QRCode.svg(encoding: text)) }
            }
            var drawn = [String](repeating: "", count: texts.count)
            for try await (index, svg) in group { drawn[index] = svg }
            return drawn
        }
        #expect(concurrent == serial)
    }
}
