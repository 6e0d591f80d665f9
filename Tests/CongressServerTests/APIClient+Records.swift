import CongressCore
import CongressSync
import Foundation
import HTTPTypes

/// Typed calls: answers decoded into the product's own types, for tests that read what a node answered.
extension APIClient {
    /// One page of a collection, as `GET /v1/COLLECTION` answers.
    struct Page<Body: RecordBody>: Decodable {
        var items: [Record<Body>]
        var nextCursor: String?
    }

    /// Creates a record from `json` and returns it as the node stored it; another answer than 201 throws with the node's.
    func create<Body: RecordBody>(_ type: Body.Type, _ json: String) async throws -> Record<Body> {
        try await send(.post, "/v1/\(Body.kind.collection)", json: json).decode(Record<Body>.self, expecting: .created)
    }

    /// The record `id` of this kind, tombstones excluded.
    /// Read with the admin token, which sees everything a record holds (a deputy's `personKey` included).
    func get<Body: RecordBody>(_ type: Body.Type, id: UUID) async throws -> Record<Body> {
        try await send(.get, "/v1/\(Body.kind.collection)/\(id)", token: .admin).decode(Record<Body>.self, expecting: .ok)
    }

    /// A page of the collection; `query` as in the URL (`?level=township&limit=1000`).
    func list<Body: RecordBody>(_ type: Body.Type, query: String = "") async throws -> Page<Body> {
        try await send(.get, "/v1/\(Body.kind.collection)\(query)", token: .admin).decode(Page<Body>.self, expecting: .ok)
    }

    /// Runs this node's sync (push, then pull) now and returns the report (a failed run answers 502 with its report).
    /// The JSON object `path` answers once `condition` holds (or the last answer after 10 s): for what a node takes in
    /// by itself, such as an edited file.
    func json(_ path: String, until condition: ([String: Any]) -> Bool) async throws -> [String: Any] {
        var json: [String: Any] = [:]
        for _ in 0..<200 {
            json = try await send(.get, path).json
            if condition(json) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return json
    }

    func sync() async throws -> SyncReport {
        var reply = try await send(.post, "/v1/sync/run?wait=60")
        // A run longer than the wait goes on; its report comes from GET /v1/sync/run.
        while reply.status == .accepted { reply = try await send(.get, "/v1/sync/run?wait=60") }
        return try reply.decode(SyncReport.self)
    }
}

extension APIClient.Reply {
    /// The body decoded, when the status is `expected`; else an error carrying the node's answer.
    func decode<T: Decodable>(_ type: T.Type, expecting expected: HTTPResponse.Status) throws -> T {
        guard status == expected else { throw TestSetupError("expected \(expected), the node answered \(status): \(body)") }
        return try decode(type)
    }
}

extension Record {
    /// The record as JSON, as a client sends back what it read (read-only fields included, the node ignores them).
    var json: String {
        get throws { String(decoding: try JSONEncoder().encode(self), as: UTF8.self) }
    }
}
