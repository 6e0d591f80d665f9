import CongressCore
import Foundation
import Testing

@testable import CongressServer

/// `/metrics` as an operator's Prometheus reads it: valid by Prometheus's own checker, and saying where each sync edge
/// stands.
@Suite struct MetricsTests {
    /// Prometheus's `promtool`, which ops/test installs and names in `CONGRESS_PROMTOOL`.
    static var promtool: String {
        get throws {
            guard let path = ProcessInfo.processInfo.environment["CONGRESS_PROMTOOL"], !path.isEmpty else {
                throw TestSetupError("CONGRESS_PROMTOOL is not set: run the tests with ops/test, which installs promtool (Debian's prometheus)")
            }
            guard FileManager.default.isExecutableFile(atPath: path) else { throw TestSetupError("CONGRESS_PROMTOOL=\(path) is not an executable") }
            return path
        }
    }

    /// What `promtool check metrics` says of `text` (nothing when it finds nothing wrong), and its exit status.
    static func check(_ text: String) async throws -> (status: Int32, problems: String) {
        let finished = try await ChildProcess.run(try promtool, ["check", "metrics"], input: Data(text.utf8))
        return (finished.terminationStatus, finished.text)
    }

    static func metrics(_ node: APIClient) async throws -> String {
        let reply = try await node.send(.get, "/metrics", token: APIClient.Token.none)
        guard reply.status == .ok else { throw TestSetupError("/metrics answered \(reply.status): \(reply.body)") }
        return reply.body
    }

    /// The value of the sample `series` (name and labels, as written) in `text`.
    static func value(_ series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// Two nodes run as `congress serve` runs them (swift-metrics bootstrapped, so Hummingbird's HTTP metrics are
    /// there too); after a sync, promtool finds nothing to say about either node's /metrics.
    @Test func promtoolFindsNothingWrongWithALiveNodesMetricsAfterASync() async throws {
        _ = try Self.promtool
        let federation = try await TestFederation.make()
        let parent = try NodeProcess(federation.county, topologyYAML: federation.yaml)
        let child = try NodeProcess(federation.township, topologyYAML: federation.yaml)
        defer {
            child.kill()
            parent.kill()
        }
        let county = try await parent.start()
        let township = try await child.start()
        _ = try await township.create("deputies", Fixture.deputy(name: "指标", region: "420802101", level: "township", congress: "420802101"))
        #expect(try await township.sync().error == nil)
        _ = try await county.send(.get, "/v1/coverage")

        for (node, text) in [("county", try await Self.metrics(county)), ("township", try await Self.metrics(township))] {
            let (status, problems) = try await Self.check(text)
            #expect(status == 0 && problems.isEmpty, "promtool check metrics on the \(node)'s /metrics: \(problems)\n\(text)")
            #expect(text.contains("# TYPE hb_requests_total counter"), "\(node): \(text)")
            #expect(text.contains("# TYPE http_server_request_duration_seconds histogram"), "\(node): \(text)")
        }
        let atCounty = try await Self.metrics(county)
        #expect(Self.value(#"congress_sync_batches_received_total{sender="420802101"}"#, in: atCounty) ?? 0 >= 1, "\(atCounty)")
        #expect(Self.value(#"congress_sync_changes_applied_total{sender="420802101"}"#, in: atCounty) == 1, "\(atCounty)")
        #expect(Self.value(#"congress_sync_child_stale{child="420802101"}"#, in: atCounty) == 0, "\(atCounty)")
        #expect(Self.value(#"congress_sync_child_last_batch_timestamp_seconds{child="420802101"}"#, in: atCounty) ?? 0 > 0, "\(atCounty)")
        #expect(atCounty.contains("congress_coverage_recount_duration_seconds_count"), "\(atCounty)")
        // The county's own parent (the city) is not running: its edge has never succeeded.
        #expect(Self.value(#"congress_sync_last_success_timestamp_seconds{parent="4208"}"#, in: atCounty) == 0, "\(atCounty)")

        let atTownship = try await Self.metrics(township)
        let now = Date().timeIntervalSince1970
        let success = try #require(Self.value(#"congress_sync_last_success_timestamp_seconds{parent="420802"}"#, in: atTownship), "\(atTownship)")
        #expect(abs(success - now) < 120, "\(success) vs \(now)")
        #expect(Self.value(#"congress_sync_last_failure_timestamp_seconds{parent="420802"}"#, in: atTownship) == 0, "\(atTownship)")
        #expect(Self.value(#"congress_sync_pending_changes{parent="420802"}"#, in: atTownship) == 0, "\(atTownship)")
        #expect(Self.value(#"congress_records{kind="deputy"}"#, in: atTownship) == 1, "\(atTownship)")
    }

    /// A failed run shows as a failure newer than the last success (what the parent-sync alert watches), until a run
    /// succeeds again; the pending changes wait meanwhile.
    @Test func aFailingParentEdgeShowsItsLastFailureAfterItsLastSuccess() async throws {
        let federation = try await TestFederation.make()
        try await federation.township.serve(configure: TestFederation.live) { township in
            try await SyncFaultTests.createDeputies(2, at: township)
            // The county is not listening.
            #expect(try await township.sync().error != nil)
            let failing = try await Self.metrics(township)
            let failure = try #require(Self.value(#"congress_sync_last_failure_timestamp_seconds{parent="420802"}"#, in: failing), "\(failing)")
            #expect(failure > (Self.value(#"congress_sync_last_success_timestamp_seconds{parent="420802"}"#, in: failing) ?? .infinity))
            #expect(Self.value(#"congress_sync_pending_changes{parent="420802"}"#, in: failing) == 2, "\(failing)")

            try await federation.county.serve(configure: TestFederation.live) { _ in
                let report = try await township.sync()
                #expect(report.error == nil)
            }
            let recovered = try await Self.metrics(township)
            let success = try #require(Self.value(#"congress_sync_last_success_timestamp_seconds{parent="420802"}"#, in: recovered))
            #expect(success > failure)
            #expect(Self.value(#"congress_sync_last_failure_timestamp_seconds{parent="420802"}"#, in: recovered) == failure)
            #expect(Self.value(#"congress_sync_pending_changes{parent="420802"}"#, in: recovered) == 0, "\(recovered)")
        }
    }

    /// Township → county → city on minutely schedules; the county stops. Its stale gauge at the city is 0 until its next
    /// run is missed (simulated by moving the city's record of its last delivery back past period and slack), then 1.
    @Test func theStaleChildGaugeTurnsOnWhenAChildMissesItsSchedule() async throws {
        let federation = try await TestFederation.make(townshipSchedule: "* * * * *", countySchedule: "* * * * *")
        let writing: @Sendable (APIClient, APIClient, APIClient) async throws -> Void = { township, _, _ in
            _ = try await township.create("units", Fixture.unit())
        }
        try await federation.afterCountyStops(writing: writing) { city in
            let stale = #"congress_sync_child_stale{child="420802"}"#
            let onTime = try await Self.metrics(city)
            #expect(Self.value(stale, in: onTime) == 0, "\(onTime)")
            let delivered = try #require(Self.value(#"congress_sync_child_last_batch_timestamp_seconds{child="420802"}"#, in: onTime))

            _ = try await federation.missCountyRun()
            let late = try await Self.metrics(city)
            #expect(Self.value(stale, in: late) == 1, "\(late)")
            let moved = try #require(Self.value(#"congress_sync_child_last_batch_timestamp_seconds{child="420802"}"#, in: late))
            #expect(abs(delivered - moved - 80) < 1, "\(delivered) → \(moved)")
            // The status says the same.
            let children = try await city.send(.get, "/v1/sync/status").json["children"] as? [[String: Any]]
            #expect(children?.first { $0["code"] as? String == "420802" }?["stale"] as? Bool == true)
            if (try? Self.promtool) != nil {
                let (status, problems) = try await Self.check(late)
                #expect(status == 0 && problems.isEmpty, "\(problems)")
            }
        }
    }
}
