import CongressCore
import CongressStore
import CongressSync
import Foundation
import Testing

@testable import CongressServer

/// Replication when things break: a parent that is down, processes killed mid-push and mid-apply, a slow writer.
@Suite struct SyncFaultTests {
    /// `id version deleted` of every record of `table` on `database`, to compare nodes without going through them.
    /// `origin`: only records from that node's subtree, or with `exactly`, from that node alone.
    static func records(
        _ table: String = "deputies",
        on database: DatabaseAddress,
        origin: String? = nil,
        exactly: Bool = false
    ) async throws -> [String] {
        let filter = origin.map { exactly ? "WHERE origin = '\($0)'" : "WHERE origin LIKE '\($0)%'" } ?? ""
        return try await TestDatabase.texts("SELECT id || ' v' || version || ' ' || deleted FROM \(table) \(filter) ORDER BY id", on: database)
    }

    /// Change-log entries applied twice for the same record version: there must be none.
    static func duplicates(on database: DatabaseAddress) async throws -> [String] {
        try await TestDatabase.texts(
            "SELECT record_id || ' v' || version FROM change_log GROUP BY record_id, version HAVING count(*) > 1",
            on: database
        )
    }

    /// Waits until a session on `database` is blocked on a lock (the apply we mean to interrupt).
    static func waitForBlockedSession(on database: DatabaseAddress) async throws {
        for _ in 0..<400 {
            let waiting = try await TestDatabase.texts(
                "SELECT pid::text FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
                on: database
            )
            if !waiting.isEmpty { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestSetupError("no session blocked on the held lock within 10 s")
    }

    static func createDeputies(_ count: Int, at node: APIClient, region: String = "420802101") async throws {
        for index in 0..<count {
            _ = try await node.create("deputies", Fixture.deputy(name: "代表\(index)", region: region, level: "township", congress: region))
        }
    }

    @Test func aParentDownDuringARunIsRetriedAndTheRunConverges() async throws {
        let federation = try await TestFederation.make()
        let configure: (inout AppConfiguration) -> Void = {
            TestFederation.live(&$0)
            // A refused connection fails an attempt at once, so the run's own retries (about 25 s of them) are what bridge
            // the outage while the county starts (its migrations included). An attempt that reaches the county may take
            // its time: the suite's start loads the machine.
            $0.syncRetry = RetryPolicy(attempts: 30, firstDelay: .milliseconds(100), maxDelay: .seconds(1), requestTimeout: .seconds(3))
        }
        try await federation.township.serve(configure: configure) { township in
            try await Self.createDeputies(5, at: township)
            // The county is not listening yet: the run retries with backoff while it starts.
            let run = Task { try await township.sync() }
            try await Task.sleep(for: .milliseconds(800))
            try await federation.county.serve(configure: TestFederation.live) { county in
                let report = try await run.value
                #expect(report.error == nil)
                #expect(report.changes == 5)
                let retried = federation.township.logs.text.contains("request to parent failed; retrying")
                #expect(retried)
                #expect(try await county.held("deputies") == (try await township.held("deputies")))
            }
            // Down for a whole run: the run fails, says why, and the status shows it; the next run converges.
            try await Self.createDeputies(2, at: township)
            let failed = try await township.send(.post, "/v1/sync/run?wait=60")
            #expect(failed.status == .badGateway)
            #expect(try failed.decode(SyncReport.self).error ?? "" != "")
            let status = try await township.send(.get, "/v1/sync/status").json["parent"] as? [String: Any]
            #expect((status?["lastError"] as? String)?.contains("cannot reach the parent") == true)
            #expect(status?["pending"] as? Int == 2)
            try await federation.county.serve(configure: TestFederation.live) { county in
                #expect(try await township.sync().error == nil)
                #expect(try await county.held("deputies") == (try await township.held("deputies")))
                let after = try await township.send(.get, "/v1/sync/status").json["parent"] as? [String: Any]
                #expect(after?["lastError"] as? String == nil)
            }
        }
    }

    @Test func aChildKilledMidPushResumesFromItsCheckpointWithoutLossOrDuplicates() async throws {
        let federation = try await TestFederation.make()
        let child = try NodeProcess(federation.township, topologyYAML: federation.yaml)
        try await federation.county.serve(configure: TestFederation.live) { _ in
            let township = try await child.start()
            try await Self.createDeputies(40, at: township)
            // The county's apply stops inside its transaction on this lock; meanwhile the child dies.
            let lock = try await HeldLock("LOCK TABLE deputies IN SHARE MODE", on: federation.county.database)
            let push = Task { try? await township.sync() }
            try await Self.waitForBlockedSession(on: federation.county.database)
            child.kill()
            try await lock.releaseAndWait()
            _ = await push.value

            // `congress sync` on the dead node's files resumes from the acknowledgement it stored (or before it).
            let (status, output) = try await child.syncOnce()
            #expect(status == 0, "\(output)")
            #expect(output.contains("420802101 → 420802:"))
            let atChild = try await Self.records(on: federation.township.database)
            #expect(atChild.count == 40)
            #expect(try await Self.records(on: federation.county.database) == atChild)
            #expect(try await Self.duplicates(on: federation.county.database).isEmpty)
            // Back up and serving, the node finds nothing left to send.
            let restarted = try await child.start()
            #expect(try await restarted.sync().applied == 0)
            child.kill()
        }
    }

    @Test func aParentKilledMidApplyLosesNothingAndTheChildResumes() async throws {
        let federation = try await TestFederation.make()
        let parent = try NodeProcess(federation.county, topologyYAML: federation.yaml)
        let configure: (inout AppConfiguration) -> Void = {
            TestFederation.live(&$0)
            $0.syncRetry = RetryPolicy(attempts: 2, firstDelay: .milliseconds(50), maxDelay: .milliseconds(50), requestTimeout: .seconds(2))
            $0.syncBatchSize = 15
        }
        try await federation.township.serve(configure: configure) { township in
            _ = try await parent.start()
            try await Self.createDeputies(40, at: township)
            let lock = try await HeldLock("LOCK TABLE deputies IN SHARE MODE", on: federation.county.database)
            let interrupted = Task { try await township.sync() }
            try await Self.waitForBlockedSession(on: federation.county.database)
            parent.kill()
            try await lock.releaseAndWait()
            let report = try await interrupted.value
            #expect(report.error != nil)
            // The killed apply left nothing behind: its transaction never committed.
            #expect(try await Self.records(on: federation.county.database).isEmpty)

            _ = try await parent.start()
            let resumed = try await township.sync()
            #expect(resumed.error == nil)
            #expect(resumed.batches >= 3)
            #expect(try await Self.records(on: federation.county.database) == (try await Self.records(on: federation.township.database)))
            #expect(try await Self.duplicates(on: federation.county.database).isEmpty)
            let checkpoint = try await TestDatabase.texts("SELECT acked_seq::text FROM sync_checkpoints", on: federation.county.database)
            #expect(checkpoint == ["\(resumed.ackedSeq)"])
            parent.kill()
        }
    }

    @Test func aLongTransactionAtTheChildDoesNotMakeRowsSkip() async throws {
        let federation = try await TestFederation.make()
        try await federation.run { _, county, township in
            try await Self.createDeputies(1, at: township)
            #expect(try await township.sync().changes == 1)
            // A slow writer: it has taken the next seq and written a deputy, and has not committed yet.
            let slow = try await HeldLock(
                """
                WITH seq AS (UPDATE change_counter SET last_seq = last_seq + 1 RETURNING last_seq),
                deputy AS (
                    INSERT INTO deputies (id, origin, region_code, version, updated_at, body)
                    SELECT gen_random_uuid(), origin, region_code, (SELECT last_seq FROM seq), now(), body FROM deputies LIMIT 1
                    RETURNING id, region_code, version
                )
                INSERT INTO change_log (seq, kind, record_id, origin, region_code, version, deleted)
                SELECT version, 'deputy', id, '420802101', region_code, version, false FROM deputy
                """,
                on: federation.township.database
            )
            // A write that starts later waits for it, and a push meanwhile sends only what has committed.
            let later = Task { try await Self.createDeputies(1, at: township) }
            #expect(try await township.sync().changes == 0)
            try await slow.releaseAndWait()
            try await later.value
            let report = try await township.sync()
            #expect(report.changes == 2)
            #expect(try await Self.records(on: federation.county.database) == (try await Self.records(on: federation.township.database)))
            #expect(try await Self.records(on: federation.county.database).count == 3)
            _ = county
        }
    }
}

@Suite struct SyncSchedulerTests {
    @Test func aServingNodeSyncsOnItsEdgesSchedule() async throws {
        // Every minute, so that the test sees a scheduled run within one.
        let federation = try await TestFederation.make(townshipSchedule: "* * * * *")
        try await federation.county.serve(configure: TestFederation.live) { county in
            let configure: (inout AppConfiguration) -> Void = {
                TestFederation.live(&$0)
                $0.schedulesPushes = true
            }
            try await federation.township.serve(configure: configure) { township in
                let id = try await township.create(
                    "deputies",
                    Fixture.deputy(name: "按时同步", region: "420802101", level: "township", congress: "420802101")
                )
                let deadline = ContinuousClock.now + .seconds(90)
                while try await county.held("deputies")[id] == nil {
                    guard ContinuousClock.now < deadline else { throw TestSetupError("no scheduled sync within 90 s") }
                    try await Task.sleep(for: .milliseconds(500))
                }
                let logged = federation.township.logs.text.contains("scheduled sync starts")
                #expect(logged)
                let status = try await township.send(.get, "/v1/sync/status").json["parent"] as? [String: Any]
                #expect(status?["schedule"] as? String == "* * * * * Asia/Shanghai")
            }
        }
    }
}
