import AsyncHTTPClient
import CongressCore
import CongressTooling
import Foundation
import NIOCore
import NIOHTTP1

/// What `units import` and `deputies import` share: the rows read from a file posted to the running node's import
/// route in one request (written all or nothing), and the node's refusal of item `[i]` pointed at the line it came from.
enum RecordImport {
    struct Summary: Decodable {
        var created: Int
        var updated: Int
        var unchanged: Int
    }

    /// `POST /v1/COLLECTION/import` with every row of `file`, as the node's admin.
    static func send<Body: RecordBody>(_ rows: [ImportRow<Body>], file: String, setup: NodeSetup) async throws -> Summary {
        let (status, answer) = try await setup.postAsAdmin(
            "/v1/\(Body.kind.collection)/import",
            json: try JSONEncoder().encode(rows.map(\.input)),
            // Each row with an ID number costs the node a slow key derivation (about half a second, SPEC §14).
            timeout: .seconds(300 + Int64(rows.count)),
            needing: "the import"
        )
        guard status == .ok else {
            throw located(APIErrorWire.parse(answer), lines: rows.map(\.line), file: file, status: status.code)
        }
        return try JSONDecoder().decode(Summary.self, from: answer)
    }

    /// Points an error about item `[i]` (field `[i].name`) at the line `lines[i]` of `file`, naming the field.
    static func located(_ error: APIErrorWire?, lines: [Int], file: String, status: UInt) -> ConfigFileError {
        var message = error?.message ?? "the node answered HTTP \(status)"
        var line = 1
        if let field = error?.field, field.hasPrefix("["), let close = field.firstIndex(of: "]"),
            let index = Int(field[field.index(after: field.startIndex)..<close]), lines.indices.contains(index)
        {
            line = lines[index]
            let inner = field[field.index(after: close)...].drop { $0 == "." }
            if !inner.isEmpty { message = "\(inner): \(message)" }
        }
        return ConfigFileError([Diagnostic(file: file, line: line, column: 1, severity: .error, message: message)])
    }
}

extension NodeSetup {
    /// `POST path` to this node, running, as its admin, with `body` as JSON: the answer's status and body. A node that
    /// does not answer is an error saying that `needing` (what the command does) needs it running.
    func postAsAdmin(_ path: String, json body: Data, timeout: TimeAmount, needing: String) async throws -> (HTTPResponseStatus, ByteBuffer) {
        let request = NodeHTTP.request(
            "\(baseURL)\(path)",
            method: .POST,
            token: secrets.adminToken,
            json: ByteBuffer(bytes: body),
            tls: clientTLS
        )
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: timeout)
        } catch {
            throw InputError(
                field: "node",
                message: "cannot reach node \(config.node) at \(listen) (\(error)): \(needing) needs it running (congress serve)"
            )
        }
        return (response.status, try await response.body.collect(upTo: 1 << 20))
    }
}

/// SPEC §10's error body, as the CLI reads it.
struct APIErrorWire: Decodable {
    var code: String
    var message: String
    var field: String?

    private struct Envelope: Decodable { var error: APIErrorWire }

    static func parse(_ buffer: ByteBuffer) -> APIErrorWire? {
        try? JSONDecoder().decode(Envelope.self, from: Data(buffer.readableBytesView)).error
    }
}
