import AsyncHTTPClient
import CongressCore
import NIOCore
import NIOHTTP1
import NIOSSL

/// Calls to a node's API from the command line (demo, benchmarks, imports).
public enum NodeHTTP {
    /// A request carrying the node's bearer token, and a JSON body when given; `tls`: what an `https://` node is
    /// trusted with (its CA instead of the system's roots, its name checked) and the certificate presented to it.
    public static func request(
        _ url: String,
        method: HTTPMethod = .GET,
        token: String,
        json: ByteBuffer? = nil,
        tls: TLSConfiguration? = nil
    ) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.tlsConfiguration = tls
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(json)
        }
        return request
    }

    /// Sends `request` and returns the answer's body; another status than `expected` throws with the node's answer.
    public static func send(
        _ request: HTTPClientRequest,
        on http: HTTPClient = .shared,
        expecting expected: HTTPResponseStatus = .ok,
        timeout: TimeAmount = .seconds(60),
        limit: Int = 64 << 20
    ) async throws -> ByteBuffer {
        let response = try await http.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: limit)
        guard response.status == expected else {
            throw InputError(field: "http", message: "\(request.method) \(request.url) answered \(response.status): \(String(buffer: body))")
        }
        return body
    }

    /// Waits (up to 30 s) until a node started in this process answers `GET /health` on `port` of the loopback.
    public static func waitUntilListening(port: Int) async throws {
        try await waitUntilListening(url: "http://127.0.0.1:\(port)")
    }

    /// Waits (up to 30 s) until the node at `url` answers `GET /health`, over HTTPS with `tls`.
    public static func waitUntilListening(url: String, tls: TLSConfiguration? = nil) async throws {
        var request = HTTPClientRequest(url: url + "/health")
        request.tlsConfiguration = tls
        for _ in 0..<600 {
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(1)), response.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw InputError(field: "node", message: "the node did not start listening at \(url)")
    }
}
