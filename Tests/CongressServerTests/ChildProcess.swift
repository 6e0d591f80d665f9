import Foundation

/// Runs a program to its end and hands back what it printed, waiting on a thread of its own. Reading a child's output
/// blocks a thread until the child exits: on Swift's cooperative pool that holds one of its few threads (two on a
/// 2-core machine), which the in-process nodes the child talks to (a browser loading the dashboard, the fuzzer, `congress
/// sync`) need in order to answer it — two such waits at once, and every test stops.
enum ChildProcess {
    struct Finished: Sendable {
        var terminationStatus: Int32
        var output: Data
        var text: String { String(decoding: output, as: UTF8.self) }
    }

    /// Runs `executable` with `arguments` (and `environment` and working `directory`, if given); `output` is its
    /// standard output, with its standard error too when `mergingErrors` (else that is dropped).
    static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        in directory: URL? = nil,
        input: Data? = nil,
        mergingErrors: Bool = true
    ) async throws -> Finished {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = mergingErrors ? output : FileHandle.nullDevice
        let stdin = input.map { _ in Pipe() }
        if let stdin { process.standardInput = stdin }
        try process.run()
        return await withCheckedContinuation { continuation in
            Thread {
                if let stdin, let input {
                    stdin.fileHandleForWriting.write(input)
                    try? stdin.fileHandleForWriting.close()
                }
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: Finished(terminationStatus: process.terminationStatus, output: data))
            }.start()
        }
    }
}
