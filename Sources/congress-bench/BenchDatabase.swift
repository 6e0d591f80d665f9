import CongressStore
import Foundation
import Logging

/// Where benchmarks keep their databases.
enum BenchDatabase {
    /// Runs `body` with a PostgreSQL server: the one `url` names, else a throwaway managed cluster in a temporary folder
    /// (also handed to `body` for files), removed afterwards.
    static func withServer<T>(url: String?, logger: Logger, _ body: (DatabaseAddress, String) async throws -> T) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("congress-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let managed = url == nil ? ManagedPostgres(dataDir: folder + "/pg", logger: logger) : nil
        let server: DatabaseAddress
        if let url { server = try DatabaseAddress(url: url) } else { server = try await managed!.start().address }
        defer { try? managed?.stop() }
        return try await body(server, folder)
    }
}
