import Foundation

/// Reads a QR code in an SVG the way a phone would read a printed one: rsvg-convert draws it as PNG, zbarimg decodes
/// it. `ops/test` installs both (Debian's librsvg2-bin and zbar-tools) and names them in `CONGRESS_RSVG` and
/// `CONGRESS_ZBARIMG`.
struct QRReader {
    let rsvgConvert: String
    let zbarimg: String

    init() throws {
        rsvgConvert = try Self.tool("CONGRESS_RSVG", default: "/usr/bin/rsvg-convert", package: "librsvg2-bin")
        zbarimg = try Self.tool("CONGRESS_ZBARIMG", default: "/usr/bin/zbarimg", package: "zbar-tools")
    }

    /// The text of the one QR code in `svg`, as the bytes it holds (UTF-8).
    func read(_ svg: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let svgFile = folder.appendingPathComponent("code.svg")
        let pngFile = folder.appendingPathComponent("code.png")
        try Data(svg.utf8).write(to: svgFile)
        _ = try Self.run(rsvgConvert, ["--format=png", "--output=\(pngFile.path)", svgFile.path])
        // -Sbinary: the symbol's bytes as they are, not converted from a character set zbar guesses.
        let output = try Self.run(zbarimg, ["--raw", "-q", "-Sbinary", pngFile.path])
        return String(decoding: output, as: UTF8.self)
    }

    private static func tool(_ variable: String, default path: String, package: String) throws -> String {
        let chosen = ProcessInfo.processInfo.environment[variable].flatMap { $0.isEmpty ? nil : $0 } ?? path
        guard FileManager.default.isExecutableFile(atPath: chosen) else {
            throw QRReaderError("\(chosen) is not an executable: run ops/test (it installs \(package)) or set \(variable)")
        }
        return chosen
    }

    private static func run(_ executable: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw QRReaderError(
                "\(executable) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus): \(String(decoding: message, as: UTF8.self))"
            )
        }
        return data
    }
}

struct QRReaderError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
