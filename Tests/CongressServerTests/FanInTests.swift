import AsyncHTTPClient
import CongressCore
import CongressStore
import CongressSync
import Foundation
import NIOCore
import Testing

@testable import CongressServer

/// Many children pushing into one parent at once (SPEC §16's fan-in): the parent receives and applies only a bounded
/// number of batches at a time, the others wait their turn, and no child's run fails for it.
@Suite struct FanInTests {
    /// A city over `count` counties, each running a node, on loopback ports.
    static func federation(counties count: Int) async throws -> (codes: [String], nodes: [TestNode]) {
        let counties = (1...count).map { String(format: "4208%02d", $0) }
        let codes = ["4208"] + counties
        let ports = try codes.map { _ in try LoopbackPort.free() }
        var regions = ["4208": "荆门市"]
        for (index, code) in counties.enumerated() { regions[code] = "第\(index + 1)区" }
        let yaml = TestTopology(regions: regions, ports: Dictionary(uniqueKeysWithValues: zip(codes, ports))).yaml
        return (codes, try await TestFederation.nodes(codes, of: yaml))
    }

    /// Every county writes a few records, then all of them sync at once, each pushing several batches two at a time;
    /// `configure` sets the parent's bound. Hands `check` the parent's client once every run is over.
    static func pushAtOnce(
        counties: Int,
        configure: @escaping @Sendable (inout AppConfiguration) -> Void,
        check: @Sendable (_ parent: APIClient) async throws -> Void
    ) async throws {
        let (codes, nodes) = try await federation(counties: counties)
        try await TestFederation.serve(nodes[...], configure: configure) { clients in
            for (index, code) in codes.enumerated().dropFirst() {
                for number in 0..<6 {
                    _ = try await clients[index].create(
                        "deputies",
                        Fixture.deputy(name: "代表\(index)-\(number)", region: code, level: "county", congress: code)
                    )
                }
            }
            let reports = try await withThrowingTaskGroup(of: (String, SyncReport).self) { group in
                for (index, code) in codes.enumerated().dropFirst() {
                    group.addTask { (code, try await clients[index].sync()) }
                }
                return try await group.reduce(into: [String: SyncReport]()) { $0[$1.0] = $1.1 }
            }
            for code in codes.dropFirst() {
                #expect(reports[code]?.error == nil, "\(code)'s run: \(String(describing: reports[code]?.error))")
                #expect(reports[code]?.batches ?? 0 >= 3, "\(code) pushed its records in several batches")
            }
            var expected: [String] = []
            for (index, code) in codes.enumerated().dropFirst() {
                expected += try await SyncFaultTests.records(on: nodes[index].database, origin: code, exactly: true)
            }
            #expect(expected.count == (codes.count - 1) * 6)
            #expect(try await SyncFaultTests.records(on: nodes[0].database) == expected.sorted())
            #expect(try await SyncFaultTests.duplicates(on: nodes[0].database).isEmpty)
            try await check(clients[0])
        }
    }

    /// The parent in a test: two batches at a time, the children's batches small so that each pushes several.
    static func bounded(_ limit: Int, wait: Duration, childAttempts: Int = 3) -> @Sendable (inout AppConfiguration) -> Void {
        {
            TestFederation.live(&$0)
            $0.syncBatchSize = 2
            $0.maxConcurrentBatches = limit
            $0.batchAdmissionWait = wait
            $0.syncRetry.attempts = childAttempts
            // As in production (60 s against 20 s): a child waits out its batch's time in the parent's queue, which
            // on a loaded machine exceeds `live`'s 10 s.
            $0.syncRetry.requestTimeout = wait + .seconds(40)
        }
    }

    @Test func fourteenChildrenPushingAtOnceAreAppliedTwoBatchesAtATime() async throws {
        try await Self.pushAtOnce(counties: 14, configure: Self.bounded(2, wait: .seconds(20))) { parent in
            let metrics = try await MetricsTests.metrics(parent)
            // 14 children with two batches in flight each: the bound was reached, never passed.
            #expect(MetricsTests.value("congress_sync_batches_applying_max", in: metrics) == 2, "\(metrics)")
            #expect(MetricsTests.value("congress_sync_batches_applying", in: metrics) == 0)
            #expect(MetricsTests.value("congress_sync_batches_waiting", in: metrics) == 0)
            #expect(MetricsTests.value("congress_sync_batches_busy_total", in: metrics) == 0)
        }
    }

    /// A parent that turns batches away after waiting a moment (503 busy): the children send them again, and their
    /// runs succeed although one failed attempt would fail them.
    @Test func childrenTurnedAwayByABusyParentSendAgainWithoutFailing() async throws {
        try await Self.pushAtOnce(counties: 12, configure: Self.bounded(1, wait: .milliseconds(20), childAttempts: 1)) { parent in
            let metrics = try await MetricsTests.metrics(parent)
            #expect(MetricsTests.value("congress_sync_batches_applying_max", in: metrics) == 1, "\(metrics)")
            #expect(MetricsTests.value("congress_sync_batches_busy_total", in: metrics) ?? 0 > 0, "\(metrics)")
        }
    }

    /// What waits has read nothing but its head: the parent answers 503 busy before the body, with `Retry-After`.
    @Test func aBatchTurnedAwayIsAnsweredBusyWithRetryAfter() async throws {
        let (_, nodes) = try await Self.federation(counties: 1)
        let token = try #require(nodes[1].secrets.parentToken)
        try await TestFederation.serve(nodes[...1], configure: Self.bounded(1, wait: .milliseconds(200))) { clients in
            let parent = clients[0]
            // A first upload whose body never ends holds the one place; the second waits, then is turned away.
            let (chunks, feed) = AsyncStream.makeStream(of: ByteBuffer.self)
            feed.yield(ByteBuffer(string: "{\"protocol\":"))
            var holding = HTTPClientRequest(url: try #require(parent.baseURL) + "/v1/sync/batches")
            holding.method = .POST
            holding.headers.add(name: "Authorization", value: "Bearer \(token)")
            holding.body = .stream(chunks, length: .known(Int64(1 << 20)))
            let holder = Task { try await HTTPClient.shared.execute(holding, timeout: .seconds(30)) }
            defer {
                feed.finish()
                holder.cancel()
            }
            var applying: Double?
            for _ in 0..<200 where applying != 1 {
                try await Task.sleep(for: .milliseconds(10))
                applying = MetricsTests.value("congress_sync_batches_applying", in: try await MetricsTests.metrics(parent))
            }
            #expect(applying == 1)
            let reply = try await parent.send(.post, "/v1/sync/batches", json: "{}", token: .custom("Bearer \(token)"))
            #expect(reply.status == .serviceUnavailable, "\(reply.body)")
            #expect(reply.error?.code == "busy")
            #expect(reply.headers[.retryAfter] == "1")
            let metrics = try await MetricsTests.metrics(parent)
            #expect(MetricsTests.value("congress_sync_batches_applying", in: metrics) == 1)
            #expect(MetricsTests.value("congress_sync_batches_busy_total", in: metrics) == 1)
        }
    }
}
