import CongressCore
import Foundation

/// This benchmark binary run again as a helper process (another subcommand), for memory measured apart or load from
/// outside: returns the fields of its last line starting `prefix` (`PREFIX name=value …`).
enum HelperProcess {
    static func run(_ arguments: [String], environment extra: [String: String] = [:], expecting prefix: String) throws -> [String: String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = text.split(separator: "\n").last(where: { $0.hasPrefix(prefix + " ") }) else {
            throw InputError(field: arguments.first ?? "helper", message: "the helper process failed (\(process.terminationStatus)): \(text)")
        }
        return line.split(separator: " ").dropFirst().reduce(into: [:]) { fields, field in
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
    }
}
