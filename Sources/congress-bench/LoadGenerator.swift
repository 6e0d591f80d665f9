import AsyncHTTPClient
import CongressCore
import CongressTooling
import Foundation
import NIOCore

/// Concurrent clients on one connection pool, each sending its next request as soon as the last one is answered.
final class LoadGenerator: Sendable {
    struct Outcome {
        var latencies: [Double]
        var seconds: Double

        var rate: Double { Double(latencies.count) / seconds }
        var p50: Double { percentile(0.50) }
        var p99: Double { percentile(0.99) }
        var summary: String {
            String(format: "%d requests, %.0f/s, p50 %.2f ms, p99 %.2f ms", latencies.count, rate, p50 * 1000, p99 * 1000)
        }

        private func percentile(_ share: Double) -> Double {
            let sorted = latencies.sorted()
            return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * share))]
        }
    }

    private let http: HTTPClient
    private let token: String
    private let clients: Int

    init(token: String, clients: Int) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = clients
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.token = token
        self.clients = clients
    }

    func shutdown() { try? http.syncShutdown() }

    @discardableResult
    func get(_ url: String) async throws -> ByteBuffer {
        try await NodeHTTP.send(NodeHTTP.request(url, token: token), on: http, timeout: .seconds(30))
    }

    /// When the coverage answer at `url` was counted.
    func generatedAt(_ url: String) async throws -> Date {
        struct Answer: Decodable { var generatedAt: Timestamp }
        return try JSONDecoder().decode(Answer.self, from: Data(buffer: try await get(url))).generatedAt.date
    }

    @discardableResult
    func post(_ url: String, json: String, token: String) async throws -> ByteBuffer {
        try await NodeHTTP.send(
            NodeHTTP.request(url, method: .POST, token: token, json: ByteBuffer(string: json)),
            on: http,
            expecting: .created,
            timeout: .seconds(30)
        )
    }

    /// Every client cycles through `paths` (each from its own offset) until `duration` has passed.
    func run(base: String, paths: [String], for duration: Duration) async throws -> Outcome {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + duration
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for client in 0..<clients {
                group.addTask {
                    var samples: [Double] = []
                    var index = client
                    while clock.now < deadline {
                        let elapsed = try await clock.measure { try await self.get(base + paths[index % paths.count]) }
                        samples.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                        index += 1
                    }
                    return samples
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let seconds = clock.now - start
        return Outcome(latencies: latencies, seconds: Double(seconds.components.seconds) + Double(seconds.components.attoseconds) / 1e18)
    }
}
