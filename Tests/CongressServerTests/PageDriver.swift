import AsyncHTTPClient
import CongressServer
import CongressStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A person using a node's pages in a real browser: sign in, open a form, fill it in, press its button, read what came
/// back. The browser loads a driver page from a plain proxy in front of the node, so that the driver and the node's
/// pages share an origin and its script may reach into the frame it opens them in. Nothing is faked on the way: the
/// node's cookie, redirects, forms and the browser's `Origin` header pass through as they are (the proxy keeps `Host`).
struct PageDriver {
    let chromium: HeadlessChromium
    /// Where the node listens (`http://127.0.0.1:PORT`).
    let node: String

    /// Runs `steps`, the body of an async JavaScript function, in the browser and returns what it returns, as JSON. In
    /// scope: `open(path)` loads a page of the node in the frame and resolves to its document; `press(button)` clicks a
    /// form's button and resolves to the document the form's answer loads; `signIn(name, password)` does both with the
    /// dashboard's sign-in form.
    func run(_ steps: String) async throws -> Data {
        let port = try LoopbackPort.free()
        let page = Self.driver(steps)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        let router = Router()
        router.get("__driver") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        let node = node
        for method in [HTTPRequest.Method.get, .post] {
            for path in ["/", "**"] {
                router.on(RouterPath(path), method: method) { request, _ in try await Self.forward(request, to: node, with: client) }
            }
        }
        let proxy = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: TestDatabase.quietLogger)
        do {
            let dom = try await whileRunning([proxy], logger: TestDatabase.quietLogger) {
                // The proxy is started, not yet listening: a browser sent there first gets an error page and dumps nothing.
                for _ in 0..<200 {
                    let probe = HTTPClientRequest(url: "http://127.0.0.1:\(port)/__driver")
                    if (try? await client.execute(probe, timeout: .seconds(5)).status) == .ok { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                return try await chromium.dumpDOM("http://127.0.0.1:\(port)/__driver", virtualTimeBudget: 30_000)
            }
            try await client.shutdown()
            guard let start = dom.range(of: "<pre id=\"result\">"), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex),
                start.upperBound < end.lowerBound
            else {
                throw TestSetupError("the driver's steps did not finish: \(dom.suffix(1500))")
            }
            let text = dom[start.upperBound..<end.lowerBound]
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
            return Data(text.utf8)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func forward(_ request: Request, to node: String, with client: HTTPClient) async throws -> Response {
        var outgoing = HTTPClientRequest(url: node + request.uri.description)
        outgoing.method = .init(rawValue: request.method.rawValue)
        for field in request.headers { outgoing.headers.add(name: field.name.rawName, value: field.value) }
        outgoing.headers.replaceOrAdd(name: "Host", value: request.head.authority ?? "")
        if request.method == .post { outgoing.body = .bytes(try await request.body.collect(upTo: 1 << 20)) }
        let answer = try await client.execute(outgoing, timeout: .seconds(60))
        var headers = HTTPFields()
        for (name, value) in answer.headers where !["content-length", "transfer-encoding", "connection"].contains(name.lowercased()) {
            if let name = HTTPField.Name(name) { headers.append(HTTPField(name: name, value: value)) }
        }
        let body = try await answer.body.collect(upTo: 16 << 20)
        return Response(status: .init(code: Int(answer.status.code)), headers: headers, body: .init(byteBuffer: body))
    }

    private static func driver(_ steps: String) -> String {
        """
        <!doctype html>
        <html><head><meta charset="utf-8"></head>
        <body>
        <iframe id="page" style="width: 1200px; height: 800px"></iframe>
        <pre id="result"></pre>
        <script>
        const frame = document.getElementById('page');
        const loaded = () => new Promise(resolve => frame.addEventListener('load', () => resolve(frame.contentDocument), { once: true }));
        async function open(path) { const next = loaded(); frame.src = path; return await next; }
        async function press(button) { const next = loaded(); button.click(); return await next; }
        async function signIn(name, password) {
            const page = await open('/');
            page.querySelector('#signin input[name=name]').value = name;
            page.querySelector('#signin input[name=password]').value = password;
            return await press(page.querySelector('#signin button[type=submit]'));
        }
        (async () => {
            let value;
            try { value = await (async () => { \(steps) })(); } catch (error) { value = { failed: String(error) }; }
            document.getElementById('result').textContent = JSON.stringify(value);
        })();
        </script>
        </body></html>
        """
    }
}
