import CQRencode

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// QR codes drawn as SVG; the symbol itself comes from Debian's libqrencode.
///
/// Safe to call from many tasks at once: libqrencode builds each symbol in memory of its own, and the one table it
/// shares between calls (its cache of Reed-Solomon generators) is guarded by a mutex in builds with pthread, which
/// Debian's libqrencode4 is (it links libpthread).
public enum QRCode {
    /// The most bytes one symbol holds at error correction level M (version 40, 8-bit mode).
    public static let maximumByteCount = 2331

    /// An SVG of `text`'s UTF-8 bytes as a QR code, error correction level M (up to ~15% of the symbol may be soiled
    /// or covered), the smallest version that holds them.
    ///
    /// The dark modules are one `<path>` on a white square; `margin` is the quiet zone in modules (readers expect 4),
    /// `moduleSize` the width of one module in the SVG's `width`/`height` (the `viewBox` counts modules, so it scales).
    public static func svg(encoding text: String, moduleSize: Int = 8, margin: Int = 4) throws(QRCodeError) -> String {
        precondition(moduleSize > 0 && margin >= 0, "moduleSize must be positive and margin not negative")
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw .emptyText }
        guard let length = Int32(exactly: bytes.count) else { throw .textTooLong(byteCount: bytes.count) }
        // errno is read at once, before anything else can overwrite it.
        let (symbol, failure) = bytes.withUnsafeBufferPointer { buffer in
            let symbol = QRcode_encodeData(length, buffer.baseAddress, 0, QR_ECLEVEL_M)
            return (symbol, symbol == nil ? errno : 0)
        }
        guard let symbol else {
            throw failure == ERANGE ? .textTooLong(byteCount: bytes.count) : .encoderFailed(errno: failure)
        }
        defer { QRcode_free(symbol) }

        let width = Int(symbol.pointee.width)
        let modules = UnsafeBufferPointer(start: symbol.pointee.data, count: width * width)
        // Bit 0 of each module's byte is its colour (1 is dark); the other bits say what part of the symbol it is.
        func isDark(_ x: Int, _ y: Int) -> Bool { modules[y * width + x] & 1 == 1 }

        // Each horizontal run of dark modules is one rectangle of the path, which keeps it short.
        var path = ""
        for y in 0..<width {
            var x = 0
            while x < width {
                guard isDark(x, y) else {
                    x += 1
                    continue
                }
                let start = x
                while x < width && isDark(x, y) { x += 1 }
                path += "M\(start + margin) \(y + margin)h\(x - start)v1h-\(x - start)z"
            }
        }
        let side = width + 2 * margin
        let pixels = side * moduleSize
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(pixels)" height="\(pixels)" viewBox="0 0 \(side) \(side)" \
            shape-rendering="crispEdges"><rect width="\(side)" height="\(side)" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
            """
    }
}

/// Why a text could not be drawn as a QR code.
public enum QRCodeError: Error, Equatable, CustomStringConvertible {
    /// A QR code of nothing would read as nothing: a caller with an empty text has lost its text.
    case emptyText
    /// More bytes than the largest symbol holds at level M.
    case textTooLong(byteCount: Int)
    /// libqrencode failed for another reason (out of memory), with its `errno`.
    case encoderFailed(errno: Int32)

    public var description: String {
        switch self {
        case .emptyText:
            return "QR code: the text is empty"
        case .textTooLong(let byteCount):
            return "QR code: the text is \(byteCount) bytes of UTF-8, more than the \(QRCode.maximumByteCount) one QR code holds "
                + "at error correction level M"
        case .encoderFailed(let code):
            return "QR code: libqrencode failed: \(String(cString: strerror(code))) (errno \(code))"
        }
    }
}
