import ArgumentParser
import CongressCore
import Foundation
import PostgresNIO

/// Prints a failure the way operators expect (`FILE:LINE:COL: error: …` for files) and exits non-zero.
public enum Report {
    public static func standardError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// A line on standard output at once, even when it goes to a file (`print` buffers there): for long-running commands.
    public static func progress(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    public static func failure(_ error: any Error) -> ExitCode {
        switch error {
        case let error as ConfigFileError:
            standardError(error.description)
        case let error as InputError:
            standardError("error: \(error.description)")
        case let error as PSQLError:
            // Its description is deliberately generic; the server's own message says what went wrong.
            standardError("error: PostgreSQL: \(error.serverInfo?[.message] ?? String(reflecting: error))")
        default:
            standardError("error: \(error)")
        }
        return ExitCode.failure
    }

    /// Runs `work`, turning any error into a printed report and exit code 1 (never a stack trace).
    public static func run(_ work: () async throws -> Void) async throws {
        do {
            try await work()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw failure(error)
        }
    }
}
