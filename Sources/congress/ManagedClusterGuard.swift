import CongressStore
import CongressTooling
import Foundation
import UnixSignals

/// A one-shot command's own managed PostgreSQL, stopped however the command ends. Stopping the cluster on an error is
/// the caller's; this covers SIGTERM and SIGINT, whose default action would end the process and leave the cluster
/// running.
enum ManagedClusterGuard {
    /// The command was stopped by a signal: the cluster is stopped, and what it was writing rolled back with it.
    struct Interrupted: Error, CustomStringConvertible {
        var signal: UnixSignal
        var description: String {
            "interrupted by \(signal): the node's managed PostgreSQL was stopped and the unfinished write rolled back"
        }
    }

    /// Runs `work` while a SIGTERM or SIGINT stops `managed` at once: its connections drop, so `work` fails, and the
    /// command ends with `Interrupted`. Work that does not end within `grace` of the signal (busy without touching the
    /// database) ends the process with exit status 1 all the same. Without a cluster started here, signals keep their
    /// default action: the server rolls back what the dropped connection was writing.
    static func run<T>(_ managed: ManagedPostgres?, grace: Duration = .seconds(10), _ work: () async throws -> T) async throws -> T {
        guard let managed else { return try await work() }
        // Trapped before the work starts, so that no signal in between ends the process the default way.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        return try await withThrowingTaskGroup(of: UnixSignal?.self) { group in
            group.addTask {
                for await signal in signals {
                    Report.standardError("\(signal): stopping the node's managed PostgreSQL")
                    do {
                        try managed.stop()
                    } catch {
                        Report.standardError("error: could not stop the node's managed PostgreSQL: \(error)")
                    }
                    try? await Task.sleep(for: grace)
                    if !Task.isCancelled {
                        Report.standardError("error: \(Interrupted(signal: signal)); the command did not end within \(grace)")
                        exit(1)
                    }
                    return signal
                }
                return nil
            }
            let outcome: Result<T, any Error>
            do {
                outcome = .success(try await work())
            } catch {
                outcome = .failure(error)
            }
            group.cancelAll()
            if let signal = try await group.next() ?? nil { throw Interrupted(signal: signal) }
            return try outcome.get()
        }
    }
}
