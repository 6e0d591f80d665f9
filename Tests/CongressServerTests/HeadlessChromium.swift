import Foundation

/// Chromium without a window, as a real browser for the dashboard: the DOM after layout and scripts, and screenshots.
/// `ops/test` installs it (Debian's `chromium` and `fonts-noto-cjk`) where it is missing.
struct HeadlessChromium {
    let executable: String
    var windowSize = (width: 1280, height: 900)

    init() throws {
        let candidates = [
            ProcessInfo.processInfo.environment["CONGRESS_CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome",
        ]
        guard let found = candidates.compactMap({ $0 }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestSetupError("no Chromium: run ops/test (it installs chromium and fonts-noto-cjk) or set CONGRESS_CHROMIUM")
        }
        executable = found
    }

    /// The document as the browser holds it once loaded (cookies and redirects followed, scripts run).
    func dumpDOM(_ url: String) async throws -> String {
        String(decoding: try await run(["--dump-dom", url]), as: UTF8.self)
    }

    /// The document once scripts that keep loading pages (a frame driven by `PageDriver`) have had up to `budget`
    /// milliseconds of the browser's virtual time, which stands still while a page is being fetched.
    func dumpDOM(_ url: String, virtualTimeBudget budget: Int) async throws -> String {
        String(decoding: try await run(["--virtual-time-budget=\(budget)", "--dump-dom", url]), as: UTF8.self)
    }

    /// Loads `html` from a file (its relative links resolved against `base`) and returns the document the browser holds
    /// once its scripts have run and any navigation they started (a form they submitted) has loaded.
    func dumpDOM(html: String, base: String) async throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("page-\(UUID().uuidString).html")
        defer { try? FileManager.default.removeItem(at: file) }
        try html.replacingOccurrences(of: "<head>", with: "<head><base href=\"\(base)/\">").write(to: file, atomically: true, encoding: .utf8)
        return String(decoding: try await run(["--virtual-time-budget=5000", "--dump-dom", file.absoluteString]), as: UTF8.self)
    }

    /// A PNG of the page at the window size.
    func screenshot(_ url: String, to file: URL) async throws {
        _ = try await run(["--screenshot=\(file.path)", url])
    }

    /// Loads `html` from a file with `script` appended, and returns what the script left in `<pre id="measured">`: the
    /// page's own markup and styles, measured by the browser's layout.
    func measure(html: String, script: String) async throws -> Data {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dashboard-\(UUID().uuidString).html")
        defer { try? FileManager.default.removeItem(at: file) }
        let probe =
            "<script>(() => { const pre = document.createElement('pre'); pre.id = 'measured'; pre.textContent = JSON.stringify((() => { \(script) })()); document.body.append(pre); })();</script>"
        try html.replacingOccurrences(of: "</body>", with: probe + "</body>").write(to: file, atomically: true, encoding: .utf8)
        let dom = try await dumpDOM(file.absoluteString)
        guard let start = dom.range(of: "<pre id=\"measured\">"), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            throw TestSetupError("the measuring script left nothing: \(dom.suffix(500))")
        }
        let text = dom[start.upperBound..<end.lowerBound]
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
        return Data(text.utf8)
    }

    private func run(_ arguments: [String]) async throws -> Data {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let finished = try await ChildProcess.run(
            executable,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-dev-shm-usage",
                "--user-data-dir=\(profile.path)", "--window-size=\(windowSize.width),\(windowSize.height)",
            ] + arguments,
            mergingErrors: false
        )
        guard finished.terminationStatus == 0 else {
            throw TestSetupError("chromium \(arguments.first ?? "") exited with \(finished.terminationStatus)")
        }
        return finished.output
    }
}
