import CongressCore
import Foundation

/// A node's database to a file and back (`pg_dump`/`pg_restore` of the PostgreSQL the node uses).
public enum NodeBackup {
    /// How far a restore moves the change counter: further than any node writes between a backup and its restore,
    /// so that what is written after the restore carries versions newer than anything the parent got before it.
    public static let seqJumpOnRestore: Int64 = 1_000_000_000

    /// Writes the whole database in pg_dump's custom format, but for constituents' data keys (SPEC §13): a key erased
    /// later must leave no copy behind, so a backup holds contacts only sealed, to be opened with the live keys.
    public static func dump(_ database: DatabaseAddress, to file: String) throws {
        try run(
            "pg_dump",
            ["--format=custom", "--file=\(file)", "--exclude-table=case_contact_keys"] + connection(database),
            password: database.password
        )
    }

    /// Replaces the database's contents with the dump's (constituents' data keys excepted), then moves the change counter on (see `seqJumpOnRestore`):
    /// the node resumes pushing from the acknowledgement the dump holds and the parent takes only what is newer.
    public static func restore(_ database: DatabaseAddress, from file: String) throws {
        guard FileManager.default.isReadableFile(atPath: file) else { throw StoreError(.notFound, "cannot read the backup \(file)", field: "from") }
        try run(
            "pg_restore",
            ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"] + connection(database) + [file],
            password: database.password
        )
        try run(
            "psql",
            // The live data keys stay (the backup has none; a database restored afresh gets an empty table): contacts
            // erased since the backup stay erased, the others open again.
            ["-v", "ON_ERROR_STOP=1", "-c", "UPDATE change_counter SET last_seq = last_seq + \(seqJumpOnRestore)", "-c", Migrations.contactKeysTable]
                + connection(database),
            password: database.password
        )
    }

    private static func connection(_ database: DatabaseAddress) -> [String] {
        ["--host=\(database.host)", "--port=\(database.port)", "--username=\(database.username)", "--dbname=\(database.database)"]
    }

    private static func run(_ program: String, _ arguments: [String], password: String?) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ManagedPostgres.binaryFolder() + "/" + program)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PGCONNECT_TIMEOUT"] = "10"
        // The environment, not the command line: other users can read a process's arguments.
        if let password { environment["PGPASSWORD"] = password }
        process.environment = environment
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw StoreError(
                .unprocessable,
                "\(program) failed (exit \(process.terminationStatus)): \(message.trimmingCharacters(in: .whitespacesAndNewlines))"
            )
        }
    }
}
