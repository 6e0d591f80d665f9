import AsyncHTTPClient
import CongressCore
import CongressStore
import Foundation
import NIOCore
import Testing

@testable import CongressServer

/// What replication writes to the log: each line at the level of what happened, nothing logged as an error that is
/// not one.
@Suite struct SyncLogTests {
    /// The lines of `logs` at error level.
    static func errors(_ logs: LogCapture) -> [String] {
        logs.text.split(separator: "\n").filter { $0.hasPrefix("error ") }.map(String.init)
    }

    /// A child that gives up on an upload (its push restarts, or it stops) will send the batch again: the parent notes
    /// it and applies nothing, without an error line.
    @Test func anUploadTheChildCutsOffIsNotAnErrorAtTheParent() async throws {
        let federation = try await TestFederation.make()
        try await federation.county.serve(configure: TestFederation.live) { county in
            let (chunks, feed) = AsyncStream<ByteBuffer>.makeStream()
            var request = HTTPClientRequest(url: try #require(county.baseURL) + "/v1/sync/batches")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(try #require(federation.township.secrets.parentToken))")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .stream(chunks, length: .known(Int64(100_000)))
            let upload = Task { try await HTTPClient.shared.execute(request, timeout: .seconds(30)) }
            feed.yield(ByteBuffer(string: #"{"protocol": 1, "sender": "420802101", "changes": ["#))
            try await Task.sleep(for: .milliseconds(300))
            upload.cancel()
            _ = try? await upload.value

            let noted = "batch upload from a child ended before its end; it will be sent again"
            let deadline = ContinuousClock.now + .seconds(10)
            while !federation.county.logs.text.contains(noted) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(federation.county.logs.text.contains("info \(noted)"), "\(federation.county.logs.text.suffix(2000))")
            #expect(Self.errors(federation.county.logs).isEmpty, "\(Self.errors(federation.county.logs))")
            #expect(try await county.held("deputies").isEmpty)
            feed.finish()
        }
    }

    /// After a gap the child drops the batches it has in flight and sends again from the parent's checkpoint: the
    /// dropped requests are cancelled, not failed, so nothing says "retrying", and neither node logs an error.
    @Test func requestsDroppedWhenAPushRestartsAreNeitherRetriedNorErrors() async throws {
        let federation = try await TestFederation.make()
        let configure: @Sendable (inout AppConfiguration) -> Void = {
            TestFederation.live(&$0)
            $0.syncBatchSize = 1
        }
        try await federation.county.serve(configure: configure) { county in
            try await federation.township.serve(configure: configure) { township in
                try await SyncFaultTests.createDeputies(4, at: township)
                #expect(try await township.sync().error == nil)
                // The county forgets all but the first: the next push meets a gap with a second batch in flight.
                _ = try await TestDatabase.texts("UPDATE sync_checkpoints SET acked_seq = 1 RETURNING 'rewound'", on: federation.county.database)
                try await SyncFaultTests.createDeputies(3, at: township)
                let report = try await township.sync()
                #expect(report.error == nil)
                #expect(report.rewinds == 1)
                #expect(try await county.held("deputies") == (try await township.held("deputies")))
            }
        }
        #expect(!federation.township.logs.text.contains("request to parent failed; retrying"), "\(federation.township.logs.text.suffix(3000))")
        #expect(Self.errors(federation.township.logs).isEmpty, "\(Self.errors(federation.township.logs))")
        #expect(Self.errors(federation.county.logs).isEmpty, "\(Self.errors(federation.county.logs))")
    }

    /// A run stopped by the child's own database says what PostgreSQL answered — in the report, the status and the
    /// log — never PostgresNIO's generic stand-in text.
    @Test func aDatabaseFailureIsShownWithWhatPostgreSQLAnswered() async throws {
        let federation = try await TestFederation.make()
        try await federation.county.serve(configure: TestFederation.live) { _ in
            try await federation.township.serve(configure: TestFederation.live) { township in
                _ = try await TestDatabase.texts("DROP TABLE sync_edges", on: federation.township.database)
                let report = try await township.sync()
                let error = try #require(report.error)
                #expect(error.contains("PostgreSQL 42P01: relation \"sync_edges\" does not exist"), "\(error)")
                #expect(error.contains("while reading when the nodes below last delivered"), "\(error)")
                #expect(!error.contains("PSQLError"), "\(error)")
                let status = try await township.send(.get, "/v1/sync/status").json["parent"] as? [String: Any]
                #expect(status?["lastError"] as? String == error)
            }
        }
        let logged = Self.errors(federation.township.logs).joined(separator: "\n")
        #expect(logged.contains("sync with parent failed") && logged.contains("42P01"), "\(logged)")
        #expect(!logged.contains("Generic description"), "\(logged)")
    }

    /// PostgresNIO warns about every query leased before its pool runs: a node starting (or restarting) waits for the
    /// pool before it migrates, and for its migrations before a scheduled sync.
    @Test func aStartingNodeQueriesNothingBeforeItsPoolRuns() async throws {
        let federation = try await TestFederation.make(townshipSchedule: "* * * * *")
        let scheduled: @Sendable (inout AppConfiguration) -> Void = {
            TestFederation.live(&$0)
            $0.schedulesPushes = true
        }
        for _ in 0..<3 {
            try await federation.township.serve(configure: scheduled) { township in
                let status = try await township.send(.get, "/v1/sync/status")
                #expect(status.status == .ok)
            }
        }
        #expect(!federation.township.logs.text.contains("hasn't been called yet"), "\(federation.township.logs.text.prefix(3000))")
    }
}
