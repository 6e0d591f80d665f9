import AsyncHTTPClient
import CongressCore
import CongressStore
import Logging
import NIOCore
import NIOHTTP1

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What one push run did.
public struct PushReport: Sendable, Codable, Equatable {
    public var parent: String?
    public var batches: Int
    public var changes: Int
    public var applied: Int
    public var ackedSeq: Int64
    public var rewinds: Int
    public var error: String?
}

/// A refusal or failure of the parent, with the parent's own message.
public struct PushError: Error, Sendable, CustomStringConvertible {
    public var status: Int?
    public var message: String
    /// Worth trying again later (network, 5xx); a 4xx is not.
    public var retryable: Bool

    public var description: String { status.map { "parent answered \($0): \(message)" } ?? message }
}

/// Exponential backoff with jitter between attempts of one request.
public struct RetryPolicy: Sendable {
    public var attempts: Int
    public var firstDelay: Duration
    public var maxDelay: Duration

    public init(attempts: Int, firstDelay: Duration, maxDelay: Duration) {
        self.attempts = attempts
        self.firstDelay = firstDelay
        self.maxDelay = maxDelay
    }

    /// About a minute and a half of trying before a run gives up; the next scheduled run starts over.
    public static let standard = RetryPolicy(attempts: 7, firstDelay: .milliseconds(500), maxDelay: .seconds(30))

    /// The wait before attempt `attempt` (1-based, after a failure): doubling, capped, between half and all of it.
    func delay(before attempt: Int) -> Duration {
        let doubled = firstDelay * (1 << min(attempt - 1, 20))
        let capped = min(doubled, maxDelay)
        return capped * Double.random(in: 0.5...1.0)
    }
}

/// Pushes this node's change log to its parent: batches after the acknowledged seq, read by keyset, resumable.
public struct PushClient: Sendable {
    let store: SyncStore
    /// One push at a time per node: a run asked for while the scheduled one is under way waits for it.
    private let running = PushGate()
    let topology: TopologyInForce
    let token: String?
    let http: HTTPClient
    let retry: RetryPolicy
    let batchSize: Int
    let logger: Logger

    public init(
        store: SyncStore, topology: TopologyInForce, token: String?, http: HTTPClient, retry: RetryPolicy = .standard,
        batchSize: Int = SyncProtocol.batchSize, logger: Logger
    ) {
        self.store = store
        self.topology = topology
        self.token = token
        self.http = http
        self.retry = retry
        self.batchSize = batchSize
        self.logger = logger
    }

    /// Pushes everything not yet acknowledged; the report carries the error that stopped it, if any.
    public func pushAll() async -> PushReport {
        await running.exclusively { await pushPending() }
    }

    private func pushPending() async -> PushReport {
        let current = topology.topology
        guard let parent = current.upstream(of: store.node), let url = parent.url else {
            return PushReport(parent: nil, batches: 0, changes: 0, applied: 0, ackedSeq: 0, rewinds: 0, error: nil)
        }
        var report = PushReport(parent: parent.code.rawValue, batches: 0, changes: 0, applied: 0, ackedSeq: 0, rewinds: 0, error: nil)
        do {
            guard let token else { throw PushError(status: nil, message: "no parentToken in this node's secrets", retryable: false) }
            var acked = try await store.upstream(parent: parent.code).ackedSeq
            report.ackedSeq = acked
            pushing: while true {
                let batch = try await store.nextBatch(after: acked, limit: batchSize)
                // With nothing pending, one empty batch still tells the parent this child is alive and current.
                if batch == nil && report.batches > 0 { break pushing }
                let header = BatchHeader(
                    protocol: SyncProtocol.version, schemaHash: Migrations.schemaHash, topologyHash: current.hash, sender: store.node,
                    fromSeq: batch?.fromSeq ?? acked + 1, toSeq: batch?.toSeq ?? acked
                )
                let answer = try await send(header, changes: batch?.changesJSON ?? "[]", to: url, token: token)
                switch answer {
                case .acked(let ack):
                    acked = ack.acked
                    try await store.recordAck(acked, parent: parent.code)
                    report.batches += 1
                    report.changes += batch?.count ?? 0
                    report.applied += ack.applied
                    report.ackedSeq = acked
                    if batch == nil { break pushing }
                case .gap(let expected):
                    guard report.rewinds < 3 else { throw PushError(status: 409, message: "the parent keeps asking to rewind", retryable: false) }
                    logger.warning("parent asks to rewind", metadata: ["expected": "\(expected)", "acked": "\(acked)"])
                    acked = expected - 1
                    try await store.recordAck(acked, parent: parent.code)
                    report.rewinds += 1
                    report.ackedSeq = acked
                }
            }
            try await store.recordRun(parent: parent.code, error: nil)
        } catch {
            report.error = "\(error)"
            logger.error("push to parent failed", metadata: ["parent": "\(parent.code)", "error": "\(error)"])
            try? await store.recordRun(parent: parent.code, error: report.error)
        }
        return report
    }

    enum Answer {
        case acked(BatchAck)
        case gap(expected: Int64)
    }

    private struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var code: String
            var message: String
        }

        var error: Detail
        var expected: Int64?
    }

    /// One batch, retried on network errors and 5xx with backoff; 4xx answers are final.
    private func send(_ header: BatchHeader, changes: String, to url: String, token: String) async throws -> Answer {
        var headerJSON = try String(decoding: JSONEncoder().encode(header), as: UTF8.self)
        headerJSON.removeLast()  // the closing brace: the changes go in before it
        let body = headerJSON + ",\"changes\":" + changes + "}"
        var attempt = 1
        while true {
            do {
                return try await post(body, to: url + "/v1/sync/batches", token: token)
            } catch let error as PushError where error.retryable && attempt < retry.attempts {
                let delay = retry.delay(before: attempt)
                logger.warning("push failed; retrying", metadata: ["attempt": "\(attempt)", "in": "\(delay)", "error": "\(error)"])
                try await Task.sleep(for: delay)
                attempt += 1
            }
        }
    }

    private func post(_ body: String, to url: String, token: String) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .seconds(120), logger: logger)
            bytes = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw PushError(status: nil, message: "cannot reach the parent at \(url): \(error)", retryable: true)
        }
        let data = Data(buffer: bytes)
        if response.status == .ok {
            return .acked(try JSONDecoder().decode(BatchAck.self, from: data))
        }
        let detail = try? JSONDecoder().decode(ErrorBody.self, from: data)
        if response.status == .conflict, detail?.error.code == "gap", let expected = detail?.expected {
            return .gap(expected: expected)
        }
        let message = detail.map { "\($0.error.code): \($0.error.message)" } ?? String(buffer: bytes)
        throw PushError(status: Int(response.status.code), message: message, retryable: response.status.code >= 500)
    }
}

/// Lets one push run at a time; others wait their turn (and then find little left to send).
actor PushGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func exclusively<T: Sendable>(_ work: @Sendable () async -> T) async -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        let result = await work()
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        return result
    }
}
