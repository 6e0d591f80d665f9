import CongressCore
import Testing

/// The text of an imported file: UTF-8 with or without a byte-order mark, else GB18030, else a clear refusal.
@Suite struct ImportedTextTests {
    @Test func readsUTF8WithOrWithoutAByteOrderMark() throws {
        #expect(try ImportedText.decode(Array("姓名,性别\n".utf8), file: "f.csv") == "姓名,性别\n")
        #expect(try ImportedText.decode([0xEF, 0xBB, 0xBF] + Array("姓名,性别\n".utf8), file: "f.csv") == "姓名,性别\n")
    }

    @Test func readsGB18030AsExcelWritesIt() throws {
        // 姓名,男 in GB18030's two-byte (GBK) part, and U+20000 (𠀀) in its four-byte part.
        let bytes: [UInt8] = [0xD0, 0xD5, 0xC3, 0xFB, 0x2C, 0xC4, 0xD0, 0x0D, 0x0A, 0x95, 0x32, 0x82, 0x36]
        #expect(try ImportedText.decode(bytes, file: "f.csv") == "姓名,男\r\n𠀀")
    }

    @Test func refusesWhatIsNeither() {
        let hint = "save it from Excel as \"CSV UTF-8\" or \"CSV (逗号分隔)\""
        // UTF-16 (Excel's "Unicode text"), and a GB18030 character cut off at the end.
        for bytes: [UInt8] in [[0xFF, 0xFE, 0xD3, 0x59], [0x41, 0x2C, 0xD0]] {
            #expect(Self.message(bytes) == "f.csv:1:1: error: the file's text is not UTF-8 or GB18030: \(hint)")
        }
        #expect(
            Self.message([0xEF, 0xBB, 0xBF, 0xD0, 0xD5]) == "f.csv:1:1: error: the file starts with a UTF-8 byte-order mark but is not UTF-8 after it"
        )
    }

    static func message(_ bytes: [UInt8]) -> String? {
        do {
            _ = try ImportedText.decode(bytes, file: "f.csv")
            return nil
        } catch {
            return error.description
        }
    }
}
