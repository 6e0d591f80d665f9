import AsyncHTTPClient
import CongressStore
import Foundation
import HTTPTypes
import NIOCore
import Testing

@testable import CongressCore
@testable import CongressServer

/// The public contact pages (SPEC §13, 码上约代表): a constituent scans a township deputy's QR code, writes, keeps a
/// receipt; the opinion goes up to the county, the answer comes back down, and the receipt shows it — while the
/// constituent's name and phone stay at the township, encrypted, in no log and in no database above.
@Suite struct ContactPageTests {
    static let name = "李秀英"
    static let phone = "13712345678"

    /// Listens where the topology says and prints QR codes for that address.
    static func live(_ configuration: inout AppConfiguration) {
        TestFederation.live(&configuration)
        configuration.publicBaseURL = "http://\(configuration.listen.host):\(configuration.listen.port)"
    }

    @Test func aConstituentWritesThroughADeputysQRCodeAndTheAnswerComesBackDown() async throws {
        let chromium = try HeadlessChromium()
        let federation = try await TestFederation.make()
        let nodes = [federation.city, federation.county, federation.township]
        try await TestFederation.serve(nodes[...], configure: Self.live) { clients in
            let (city, county, township) = (clients[0], clients[1], clients[2])
            let deputy = try await township.create("deputies", Fixture.deputy(name: "钱坑镇代表", level: "township", congress: "420802101"))

            // The deputy's page: a code in the record, a QR code that a phone reads as the page's address.
            let code = try #require(try await township.send(.get, "/v1/deputies/\(deputy)").json["contactCode"] as? String)
            #expect(ContactPage.isWellFormed(code))
            let qr = try await township.send(.get, "/v1/deputies/\(deputy)/qr.svg")
            #expect(qr.status == .ok && qr.headers[.contentType] == "image/svg+xml")
            let address = try QRReader().read(qr.body)
            #expect(address == township.baseURL! + "/c/" + code)
            // Above, the deputy is known but the page is not there: no code, no QR code.
            #expect(try await township.sync().error == nil)
            #expect(try await county.send(.get, "/v1/deputies/\(deputy)").json["contactCode"] == nil)
            #expect(try await county.send(.get, "/v1/deputies/\(deputy)/qr.svg").status == .conflict)

            // A phone opens the address the QR code holds: the notice before sending, a form as wide as the phone.
            let path = String(address.dropFirst(township.baseURL!.count))
            let content = "学校门口上下学时段车辆乱停，孩子过马路很危险。"
            let answer = try await PageDriver(chromium: chromium, node: township.baseURL!).run(
                """
                frame.style.width = '360px';
                const page = await open('\(path)');
                const fits = page.documentElement.scrollWidth <= 360;
                const notice = page.querySelector('#notice').textContent;
                const form = page.querySelector('#contact');
                form.querySelector('[name=content]').value = '\(content)';
                form.querySelector('[name=name]').value = '\(Self.name)';
                form.querySelector('[name=phone]').value = '137-1234-5678';
                form.querySelector('[name=wantsMeeting]').checked = true;
                const done = await press(form.querySelector('button[type=submit]'));
                return { fits, notice, title: page.title, receipt: done.querySelector('#receipt')?.textContent };
                """
            )
            let page = try JSONSerialization.jsonObject(with: answer) as? [String: Any] ?? [:]
            #expect(page["fits"] as? Bool == true, "\(page)")
            let notice = page["notice"] as? String ?? ""
            #expect(notice.contains("加密保存在本节点") && notice.contains("办结后 180 天删除") && notice.contains("不向上级传送"), "\(notice)")
            #expect((page["title"] as? String)?.contains("钱坑镇代表") == true)
            let receipt = try #require(page["receipt"] as? String, "\(page)")
            #expect(ContactPage.isWellFormed(receipt))

            // Registered at the township as the deputy's opinion from the page; the constituent for its editors only.
            let cases = try await township.send(.get, "/v1/cases", token: .admin).json["items"] as? [[String: Any]] ?? []
            #expect(cases.count == 1)
            let id = try #require(cases.first?["id"] as? String)
            let registered = try await township.send(.get, "/v1/cases/\(id)", token: .admin).json
            #expect(registered["channel"] as? String == "qr" && registered["content"] as? String == content, "\(registered)")
            #expect(
                (registered["deputyIds"] as? [String])?.map { $0.uppercased() } == [deputy.uppercased()]
                    && registered["wantsMeeting"] as? Bool == true
            )
            #expect(registered["receipt"] as? String == receipt)
            let constituent = registered["constituent"] as? [String: Any]
            #expect(constituent?["name"] as? String == Self.name && constituent?["phone"] as? String == Self.phone)

            // Up to the county, assigned and answered there; the answer comes down; the township records the feedback.
            func event(_ node: APIClient, _ json: String) async throws {
                let reply = try await node.send(.post, "/v1/cases/\(id)/events", json: json)
                #expect(reply.status == .created, "\(json): \(reply.body)")
            }
            try await event(township, #"{"action": "transfer", "to": "420802"}"#)
            #expect(try await township.sync().error == nil)
            let answerText = "已在校门口设置护学岗，区交警大队上下学时段值守。"
            try await event(county, #"{"action": "assign", "units": ["区公安分局交警大队", "区教育局"]}"#)
            try await event(county, #"{"action": "reply", "text": "\#(answerText)"}"#)
            #expect(try await township.sync().error == nil)
            #expect(try await township.send(.get, "/v1/cases/\(id)").json["state"] as? String == "replied")
            try await event(township, #"{"action": "feedback", "satisfaction": "satisfied"}"#)
            #expect(try await township.sync().error == nil)
            try await event(county, #"{"action": "close"}"#)
            #expect(try await county.sync().error == nil)
            #expect(try await township.sync().error == nil)

            // The city counts it once, closed and satisfied.
            let atCity = try await city.send(.get, "/v1/cases").json["items"] as? [[String: Any]] ?? []
            #expect(atCity.count == 1 && atCity.first?["state"] as? String == "closed" && atCity.first?["satisfaction"] as? String == "satisfied")
            let cityFigures = try await CaseOracle.coverageItems(city).first { $0["code"] as? String == "4208" }?["cases"] as? [String: Any]
            let byState = cityFigures?["byState"] as? [String: Int]
            #expect(byState?["closed"] == 1 && byState?.values.reduce(0, +) == 1, "\(String(describing: cityFigures))")
            #expect(
                cityFigures?["closedRatio"] as? Double == 1 && cityFigures?["satisfiedRatio"] as? Double == 1
                    && cityFigures?["transferredUp"] as? Int == 1,
                "\(String(describing: cityFigures))"
            )

            // The receipt shows the state and the reply, nothing personal (not even what was written).
            let status = try await Self.get(township.baseURL! + "/c/status/" + receipt)
            #expect(status.status == .ok && status.body.contains("data-state=\"closed\"") && status.body.contains(answerText), "\(status.body)")
            for secret in [Self.name, Self.phone, content, "137-1234-5678"] { #expect(!status.body.contains(secret), "\(secret)") }

            // Privacy: the name and phone in no database in clear, and in none above the township at all; in no log line.
            for node in nodes {
                let dump = try await TestDatabase.dump(node.database)
                #expect(!dump.contains(Self.name) && !dump.contains(Self.phone), "\(node.node)'s dump")
                #expect(!node.logs.text.contains(Self.name) && !node.logs.text.contains(Self.phone), "\(node.node)'s log")
            }
            #expect(try await TestDatabase.texts("SELECT count(*)::text FROM case_contacts", on: federation.township.database) == ["1"])
            for node in [federation.county, federation.city] {
                #expect(try await TestDatabase.texts("SELECT count(*)::text FROM case_contacts", on: node.database) == ["0"])
                #expect(try await TestDatabase.texts("SELECT count(*)::text FROM case_receipts", on: node.database) == ["0"])
            }
        }
    }

    /// Abuse and bad input on the public pages: limits per (address, page), the proxy's header believed only from a
    /// trusted proxy, codes that open nothing all answered alike, and whatever a constituent writes shown as text.
    @Test func thePublicPagesHoldAgainstAbuseAndBadInput() async throws {
        let yaml = TestTopology.city(ports: ["420802": try LoopbackPort.free()]).yaml
        let node = try await TestNode.make(node: "420802", topologyYAML: yaml)
        // Behind a proxy on this machine: the tests' requests name their clients in X-Forwarded-For.
        let behindAProxy: (inout AppConfiguration) -> Void = {
            Self.live(&$0)
            $0.trustedProxies = ["127.0.0.1"]
        }
        try await node.serve(configure: behindAProxy) { api in
            let deputy = try await api.create("deputies", Fixture.deputy(name: "区代表"))
            let code = try #require(try await api.send(.get, "/v1/deputies/\(deputy)").json["contactCode"] as? String)
            let other = try await api.create("deputies", Fixture.deputy(name: "区代表乙"))
            let otherCode = try #require(try await api.send(.get, "/v1/deputies/\(other)").json["contactCode"] as? String)
            func count() async throws -> String { try await TestDatabase.texts("SELECT count(*)::text FROM cases", on: node.database)[0] }

            // 30 messages a minute from one address to one page; the 31st is refused with Retry-After, nothing written.
            let message = #"{"content": "路灯坏了"}"#
            for index in 0..<30 {
                let sent = try await Self.post(api, "/c/\(code)", json: message, from: "203.0.113.7")
                #expect(sent.status == .created && ContactPage.isWellFormed(sent.json["receipt"] as? String ?? ""), "\(index): \(sent.body)")
            }
            let refused = try await Self.post(api, "/c/\(code)", json: message, from: "203.0.113.7")
            #expect(refused.status == .tooManyRequests && refused.error?.code == "too_many_requests", "\(refused.body)")
            #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(try await count() == "30")
            // Another page, another person behind the same proxy: each has its own count.
            #expect(try await Self.post(api, "/c/\(otherCode)", json: message, from: "203.0.113.7").status == .created)
            #expect(try await Self.post(api, "/c/\(code)", json: message, from: "203.0.113.8").status == .created)
            // A client's own X-Forwarded-For before the proxy's changes nothing: the proxy's nearest hop counts.
            #expect(try await Self.post(api, "/c/\(code)", json: message, from: "198.51.100.1, 203.0.113.7").status == .tooManyRequests)
            #expect(try await count() == "32")

            // Codes that open nothing are answered alike, whether or not a deputy stood behind them.
            _ = try await api.send(.delete, "/v1/deputies/\(other)")
            let unknown = try await Self.post(api, "/c/\(String(repeating: "a", count: 10))", json: message, from: "192.0.2.1")
            let deleted = try await Self.post(api, "/c/\(otherCode)", json: message, from: "192.0.2.1")
            let malformed = try await Self.post(api, "/c/NOT-A-CODE", json: message, from: "192.0.2.1")
            for reply in [unknown, deleted, malformed] {
                #expect(reply.status == .notFound && reply.body == unknown.body, "\(reply.body)")
            }
            let pageOfDeleted = try await Self.get(api.baseURL! + "/c/" + otherCode)
            let pageOfNobody = try await Self.get(api.baseURL! + "/c/" + String(repeating: "b", count: 10))
            #expect(pageOfDeleted.status == .notFound && pageOfDeleted.body == pageOfNobody.body)

            // Bad input: refused, nothing written.
            let empty = try await Self.post(api, "/c/\(code)", json: #"{"content": "   "}"#, from: "192.0.2.2")
            #expect(empty.status == .unprocessableContent && empty.error?.field == "content", "\(empty.body)")
            let unknownField = try await Self.post(api, "/c/\(code)", json: #"{"content": "x", "idNumber": "420802199001011234"}"#, from: "192.0.2.2")
            #expect(unknownField.status == .badRequest, "\(unknownField.body)")
            let huge = String(repeating: "长", count: 30_000)
            let tooLarge = try await Self.post(api, "/c/\(code)", json: #"{"content": "\#(huge)"}"#, from: "192.0.2.2")
            #expect(tooLarge.status == .contentTooLarge, "\(tooLarge.status)")
            let badPhone = try await Self.post(
                api,
                "/c/\(code)",
                form: "content=%3Cscript%3Ealert(1)%3C%2Fscript%3E&phone=12ab",
                from: "192.0.2.2"
            )
            // A refused form comes back as the form, with what was typed, escaped.
            #expect(badPhone.status == .unprocessableContent && badPhone.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(badPhone.body)")
            #expect(!badPhone.body.contains("<script>alert"))
            #expect(try await count() == "32")

            // A receipt nobody was given; a QR code without publicBaseURL is refused in TestFederation.live's nodes.
            #expect(try await Self.get(api.baseURL! + "/c/status/" + String(repeating: "c", count: 10)).status == .notFound)
        }
    }

    @Test func withoutAPublicAddressThereIsNoQRCode() async throws {
        let yaml = TestTopology.city(ports: ["420802": try LoopbackPort.free()]).yaml
        let node = try await TestNode.make(node: "420802", topologyYAML: yaml)
        try await node.serve(configure: TestFederation.live) { api in
            let station = try await api.create("stations", Fixture.station(name: "东宝区代表之家", region: "420802", units: []))
            let qr = try await api.send(.get, "/v1/stations/\(station)/qr.svg")
            #expect(qr.status == .conflict && qr.error?.message.contains("publicBaseURL") == true, "\(qr.body)")
            // The station's page works all the same: the code is in the record.
            let code = try #require(try await api.send(.get, "/v1/stations/\(station)").json["contactCode"] as? String)
            let sent = try await Self.post(api, "/c/\(code)", json: #"{"content": "代表之家开放时间能否延长到周末？", "category": "其他"}"#, from: nil)
            #expect(sent.status == .created, "\(sent.body)")
            let cases = try await api.send(.get, "/v1/cases").json["items"] as? [[String: Any]] ?? []
            #expect((cases.first?["stationId"] as? String)?.uppercased() == station.uppercased() && cases.first?["category"] as? String == "其他")
        }
    }

    @Test func theNodeConfigTakesThePublicAddressAndTrustedProxies() throws {
        let base = "node: \"420802\"\ntopology: ../config/topology.yaml\n"
        let config = try NodeConfig.parse(
            base + "publicBaseURL: https://rd.example.gov.cn/dongbao/\ntrustedProxies: [10.0.0.5, \"fd00::0:5\"]\n",
            file: "/n/420802.yaml"
        )
        #expect(config.publicBaseURL == "https://rd.example.gov.cn/dongbao" && config.trustedProxies == ["10.0.0.5", "fd00::5"])
        for (line, expected) in [
            ("publicBaseURL: rd.example.gov.cn\n", "/n/420802.yaml:3:16: error: publicBaseURL 'rd.example.gov.cn' must be"),
            ("trustedProxies: [10.0.0.300]\n", "/n/420802.yaml:3:18: error: each of trustedProxies is an IP address"),
            ("trustedProxies: 10.0.0.5\n", "/n/420802.yaml:3:17: error: trustedProxies is a list"),
        ] {
            #expect(throws: ConfigFileError.self, "\(expected)") { try NodeConfig.parse(base + line, file: "/n/420802.yaml") }
            do {
                _ = try NodeConfig.parse(base + line, file: "/n/420802.yaml")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
        // X-Forwarded-For is believed only from a trusted proxy, and only as far as the nearest untrusted hop.
        let trusted: Set = ["10.0.0.5"]
        #expect(IPAddress.client(peer: "192.0.2.9", forwardedFor: "203.0.113.7", trustedProxies: trusted) == "192.0.2.9")
        #expect(IPAddress.client(peer: "10.0.0.5", forwardedFor: "1.2.3.4, 203.0.113.7", trustedProxies: trusted) == "203.0.113.7")
        #expect(IPAddress.client(peer: "10.0.0.5", forwardedFor: "garbage", trustedProxies: trusted) == "10.0.0.5")
        #expect(IPAddress.client(peer: "10.0.0.5", forwardedFor: nil, trustedProxies: trusted) == "10.0.0.5")
    }

    // MARK: Helpers

    /// A public request as a stranger sends it: no token; through a proxy that says it came `from` an address.
    static func post(
        _ api: APIClient,
        _ path: String,
        json: String? = nil,
        form: String? = nil,
        from address: String?
    ) async throws -> APIClient.Reply {
        var headers = HTTPFields()
        headers[.contentType] = json != nil ? "application/json" : "application/x-www-form-urlencoded"
        if let address { headers[.xForwardedFor] = address }
        return try await api.transport(path, .post, headers, ByteBuffer(string: json ?? form ?? ""))
    }

    static func get(_ url: String) async throws -> APIClient.Reply {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return APIClient.Reply(status: .init(code: Int(response.status.code)), body: String(buffer: body), headers: [:])
    }
}
