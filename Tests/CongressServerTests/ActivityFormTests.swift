import AsyncHTTPClient
import CongressCore
import CongressStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import CongressServer

/// The staff record activities and manage deputy groups in the browser (SPEC §12): server-rendered forms for editors,
/// checked in a real Chromium against a node on a real socket and database.
@Suite struct ActivityFormTests {
    /// An editor signs in, fills in the activity form and saves it: the activity is there as the API shows it. A
    /// confirmed activity dated in the future is refused beside its date, with what was entered kept, and nothing is
    /// created; an impossible date too.
    @Test func anEditorRecordsAnActivityWithTheFormInABrowser() async throws {
        try await Self.withNode { node, api, driver in
            let deputies = [
                try await api.create("deputies", Fixture.deputy(name: "王芳")),
                try await api.create("deputies", Fixture.deputy(name: "刘洋", region: "420802102")),
            ]
            let station = try await api.create("stations", Fixture.station(units: []))
            let day = Activity.today().adding(days: -3)
            let saved = try await driver.run(
                """
                await signIn('赵敏', 'Correct-Horse-9');
                let page = await open('/activities/new');
                const form = page.getElementById('activity');
                form.elements.kind.value = 'reception';
                form.elements.title.value = '代表接待日';
                form.elements.on.value = '\(day)';
                form.elements.halfDays.value = '2';
                form.elements.regionCode.value = '420802101';
                form.elements.stationId.value = '\(station)';
                for (const id of \(Self.jsonArray(deputies))) form.querySelector(`input[name=participants][value="${id}"]`).checked = true;
                form.elements.constituentsMet.value = '12';
                form.elements.summary.value = '接待群众反映道路问题';
                page = await press(form.querySelector('button[type=submit]'));
                return { url: page.location.pathname, rows: [...page.querySelectorAll('tr.activity')].map(row => row.innerText) };
                """
            )
            let list = try JSONDecoder().decode(ListPage.self, from: saved)
            #expect(list.url == "/activities", "\(String(decoding: saved, as: UTF8.self))")
            #expect(list.rows.count == 1 && list.rows.first?.contains("代表接待日") == true && list.rows.first?.contains("王芳") == true)

            let stored = try await api.send(.get, "/v1/activities").decode(ActivityList.self).items
            #expect(stored.count == 1)
            let activity = try #require(stored.first)
            #expect(activity.kind == "reception" && activity.title == "代表接待日" && activity.on == "\(day)")
            #expect(activity.halfDays == 2 && activity.constituentsMet == 12 && activity.confirmed == false)
            #expect(activity.stationId == station && activity.regionCode == "420802101")
            #expect(Set(activity.participants) == Set(deputies))
            let audit = try await TestDatabase.texts(
                "SELECT actor || ' ' || action || ' ' || record || ' ' || outcome FROM audit_log WHERE action = 'POST /activities'",
                on: node.database
            )
            #expect(audit == ["user 赵敏 POST /activities /v1/activities/\(activity.id) 303"], "\(audit)")

            // Confirmed but in the future: refused beside the date, the rest as entered, nothing created.
            let before = try await node.snapshot()
            let refused = try await driver.run(
                """
                await signIn('赵敏', 'Correct-Horse-9');
                let page = await open('/activities/new');
                const form = page.getElementById('activity');
                form.elements.title.value = '下月视察';
                form.elements.kind.value = 'inspection';
                form.elements.on.value = '\(Activity.today().adding(days: 10))';
                form.querySelector('input[name=participants][value="\(deputies[0])"]').checked = true;
                form.elements.confirmed.checked = true;
                page = await press(form.querySelector('button[type=submit]'));
                const again = page.getElementById('activity');
                return { url: page.location.pathname, error: page.querySelector('.field-error[data-field=on]')?.textContent ?? null,
                         beside: page.querySelector('.field-error[data-field=on]')?.parentElement.querySelector('input')?.name ?? null,
                         title: again?.elements.title.value ?? null, kind: again?.elements.kind.value ?? null, confirmed: again?.elements.confirmed.checked ?? null,
                         ticked: [...page.querySelectorAll('input[name=participants]:checked')].map(box => box.value) };
                """
            )
            let form = try JSONDecoder().decode(RefusedForm.self, from: refused)
            #expect(form.url == "/activities" && form.beside == "on", "\(String(decoding: refused, as: UTF8.self))")
            #expect(form.error?.contains("future") == true)
            #expect(form.title == "下月视察" && form.kind == "inspection" && form.confirmed == true && form.ticked == [deputies[0]])
            #expect(try await node.snapshot() == before)

            // The same refusals answered to a client: 422, the reason beside the field, nothing created.
            let editor = try await AccountTests.add("钱进", .editor, on: node)
            for (on, confirmed) in ["\(Activity.today().adding(days: 10))": "true", "2026-02-30": "false"] {
                let fields = "kind=visit&title=x&on=\(on)&halfDays=1&regionCode=420802&participants=\(deputies[0])&confirmed=\(confirmed)"
                let reply = try await Self.post(api, "/activities", fields, headers: [.authorization: "Bearer \(editor)"])
                #expect(reply.status == .unprocessableContent, "\(on): \(reply.status)")
                #expect(reply.body.contains("data-field=\"on\"") && reply.body.contains("value=\"x\""), "\(on)")
            }
            #expect(try await node.snapshot() == before)

            // A participant this node may not name (403), or one not in office (422), is refused beside the deputy.
            let resigned = try await api.create("deputies", Fixture.deputy(name: "李雷"))
            let resigning = Fixture.deputy(name: "李雷").replacingOccurrences(of: "in_office", with: "resigned")
            #expect(try await api.send(.put, "/v1/deputies/\(resigned)", json: resigning).status == .ok)
            let unchanged = try await node.snapshot()
            for (deputy, status, field) in [
                (UUID().uuidString, HTTPResponse.Status.forbidden, "participants"), (resigned, .unprocessableContent, "participants[1]"),
            ] {
                let fields = "kind=visit&title=x&on=\(day)&regionCode=420802&participants=\(deputies[0])&participants=\(deputy)"
                let reply = try await Self.post(api, "/activities", fields, headers: [.authorization: "Bearer \(editor)"])
                #expect(reply.status == status && reply.body.contains("data-field=\"\(field)\""), "\(reply.status): \(reply.body.suffix(3000))")
            }
            #expect(try await node.snapshot() == unchanged)
        }
    }

    /// The list's 确认 button, pressed in the browser, confirms the activity through the same replace as the API's, and
    /// is gone from the row; the write is audited with the record it concerns.
    @Test func confirmingAnActivityWithItsButtonInABrowser() async throws {
        try await Self.withNode { node, api, driver in
            let deputy = try await api.create("deputies", Fixture.deputy(name: "王芳"))
            let activity = try await api.create(
                "activities",
                #"{"kind": "visit", "title": "走访群众", "on": "\#(Activity.today().adding(days: -1))", "participants": ["\#(deputy)"], "regionCode": "420802101"}"#
            )
            let before = try await api.send(.get, "/v1/activities/\(activity)").json
            #expect(before["confirmed"] as? Bool == false)
            let pressed = try await driver.run(
                """
                await signIn('赵敏', 'Correct-Horse-9');
                let page = await open('/activities');
                const row = page.querySelector('tr.activity[data-id="\(activity)"]');
                const buttons = row.querySelectorAll('form.confirm button').length;
                page = await press(row.querySelector('form.confirm button'));
                const after = page.querySelector('tr.activity[data-id="\(activity)"]');
                return { before: buttons, after: after.querySelectorAll('form.confirm button').length, state: after.innerText };
                """
            )
            let rows = try JSONDecoder().decode(ConfirmedRow.self, from: pressed)
            #expect(rows.before == 1 && rows.after == 0 && rows.state.contains("已确认"), "\(String(decoding: pressed, as: UTF8.self))")
            let after = try await api.send(.get, "/v1/activities/\(activity)").json
            #expect(after["confirmed"] as? Bool == true)
            #expect(after["version"] as? Int != before["version"] as? Int)
            let audit = try await TestDatabase.texts(
                "SELECT actor || ' ' || record || ' ' || outcome FROM audit_log WHERE action = 'POST /activities/\(activity)/confirm'",
                on: node.database
            )
            #expect(audit == ["user 赵敏 /v1/activities/\(activity) 303"], "\(audit)")
        }
    }

    /// A group created with the form, each member with a role, then edited: a member taken out and the name changed.
    @Test func aGroupIsCreatedWithTheFormInABrowser() async throws {
        try await Self.withNode { node, api, driver in
            let names = ["王芳", "刘洋", "陈静", "周强"]
            var deputies: [String] = []
            for name in names { deputies.append(try await api.create("deputies", Fixture.deputy(name: name))) }
            let roles = ["leader", "deputy_leader", "liaison", "member"]
            let created = try await driver.run(
                """
                await signIn('赵敏', 'Correct-Horse-9');
                let page = await open('/groups/new');
                const form = page.getElementById('group');
                form.elements.name.value = '龙泉街道代表小组';
                form.elements.kind.value = 'geographic';
                form.elements.congressCode.value = '420802';
                form.elements.regionCode.value = '420802101';
                const roles = \(Self.jsonArray(roles));
                \(Self.jsonArray(deputies)).forEach((id, index) => { form.querySelector(`select[name="role.${id}"]`).value = roles[index]; });
                page = await press(form.querySelector('button[type=submit]'));
                return { url: page.location.pathname, rows: [...page.querySelectorAll('tr.group')].map(row => row.innerText) };
                """
            )
            let list = try JSONDecoder().decode(ListPage.self, from: created)
            #expect(list.url == "/groups" && list.rows.count == 1, "\(String(decoding: created, as: UTF8.self))")
            #expect(list.rows.first?.contains("龙泉街道代表小组") == true && list.rows.first?.contains("王芳") == true)
            let groups = try await api.send(.get, "/v1/groups").decode(GroupList.self).items
            let group = try #require(groups.first)
            #expect(group.name == "龙泉街道代表小组" && group.kind == "geographic" && group.congressCode == "420802" && group.regionCode == "420802101")
            #expect(Self.roles(group) == Dictionary(uniqueKeysWithValues: zip(deputies, roles)))

            // Edited: 周强 leaves and the group is renamed; a second leader is refused beside the member's role.
            let edited = try await driver.run(
                """
                await signIn('赵敏', 'Correct-Horse-9');
                let page = await open('/groups/\(group.id)');
                let form = page.getElementById('group');
                form.querySelector('select[name="role.\(deputies[1])"]').value = 'leader';
                page = await press(form.querySelector('button[type=submit]'));
                const refusal = page.querySelector('#members .field-error')?.textContent ?? null;
                form = page.getElementById('group');
                form.querySelector('select[name="role.\(deputies[1])"]').value = 'deputy_leader';
                form.querySelector('select[name="role.\(deputies[3])"]').value = '';
                form.elements.name.value = '龙泉代表小组';
                page = await press(form.querySelector('button[type=submit]'));
                return { url: page.location.pathname, refusal };
                """
            )
            let result = try JSONDecoder().decode(EditedGroup.self, from: edited)
            #expect(result.url == "/groups" && result.refusal?.contains("at most one leader") == true, "\(String(decoding: edited, as: UTF8.self))")
            let renamed = try #require(try await api.send(.get, "/v1/groups").decode(GroupList.self).items.first)
            #expect(renamed.name == "龙泉代表小组")
            #expect(Self.roles(renamed) == Dictionary(uniqueKeysWithValues: zip(deputies.prefix(3), roles)))
            let audit = try await TestDatabase.texts(
                "SELECT action || ' ' || record || ' ' || outcome FROM audit_log WHERE actor = 'user 赵敏' AND action LIKE 'POST /groups%' ORDER BY seq",
                on: node.database
            )
            let record = "/v1/groups/\(group.id)"
            #expect(
                audit == ["POST /groups \(record) 303", "POST /groups/\(group.id) \(record) 422", "POST /groups/\(group.id) \(record) 303"],
                "\(audit)"
            )
        }
    }

    /// The pages ask for a session (the sign-in page, 401), let only editors in (403 for a viewer), and refuse a form
    /// posted with the session cookie from another site's page (403, nothing created), while the same form from the
    /// node's own page is saved.
    @Test func theFormsAreForEditorsAndRefuseAnotherSitesPost() async throws {
        try await Self.withNode { node, api, _ in
            let deputy = try await api.create("deputies", Fixture.deputy(name: "王芳"))
            let anonymous = try await api.send(.get, "/activities/new", token: APIClient.Token.none)
            #expect(anonymous.status == .unauthorized && anonymous.body.contains("name=\"password\""))
            let viewer = try await AccountTests.add("孙丽", .viewer, on: node)
            #expect(try await api.send(.get, "/groups", token: .custom("Bearer \(viewer)")).status == .forbidden)

            let session = try #require(try await AccountTests.signIn(api, "赵敏", "Correct-Horse-9").json["token"] as? String)
            let fields = "kind=visit&title=%E8%B5%B0%E8%AE%BF&on=\(Activity.today())&regionCode=420802&participants=\(deputy)"
            let host = try #require(api.baseURL?.replacingOccurrences(of: "http://", with: ""))
            let before = try await node.snapshot()
            for origin in ["http://evil.example", "null", "http://127.0.0.1:1"] {
                let forged = try await Self.post(api, "/activities", fields, headers: [.cookie: "congress_token=\(session)", .origin: origin])
                #expect(forged.status == .forbidden, "\(origin)")
            }
            let unsigned = try await Self.post(api, "/activities", fields, headers: [.cookie: "congress_token=\(session)"])
            #expect(unsigned.status == .forbidden)
            #expect(try await node.snapshot() == before)
            let own = try await Self.post(api, "/activities", fields, headers: [.cookie: "congress_token=\(session)", .origin: "http://\(host)"])
            #expect(own.status == .seeOther && own.headers[.location] == "/activities")
            let refusals = try await TestDatabase.texts(
                "SELECT count(*)::text FROM audit_log WHERE action = 'POST /activities' AND outcome = '403'",
                on: node.database
            )
            #expect(refusals == ["4"])
        }
    }

    // MARK: Helpers

    /// A node of the city's topology on a real socket, with an editor 赵敏, and a browser to drive its pages.
    private static func withNode(_ body: @Sendable @escaping (TestNode, APIClient, PageDriver) async throws -> Void) async throws {
        let chromium = try HeadlessChromium()
        let yaml = TestTopology.city(ports: ["420802": try LoopbackPort.free()]).yaml
        let node = try await TestNode.make(node: "420802", topologyYAML: yaml)
        try await node.serve(configure: TestFederation.live) { api in
            _ = try await AccountTests.add("赵敏", .editor, password: "Correct-Horse-9", on: node)
            try await body(node, api, PageDriver(chromium: chromium, node: api.baseURL!))
        }
    }

    /// A browser's form post, with `headers` (a cookie, an `Origin`), its redirect not followed.
    static func post(_ api: APIClient, _ path: String, _ fields: String, headers: HTTPFields) async throws -> APIClient.Reply {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        var request = HTTPClientRequest(url: api.baseURL! + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        for field in headers { request.headers.add(name: field.name.rawName, value: field.value) }
        request.body = .bytes(ByteBuffer(string: fields))
        do {
            let response = try await client.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 16 << 20)
            try await client.shutdown()
            var fields = HTTPFields()
            for (name, value) in response.headers { if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) } }
            return APIClient.Reply(status: .init(code: Int(response.status.code)), body: String(buffer: body), headers: fields)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func roles(_ group: GroupList.Item) -> [String: String] {
        Dictionary(uniqueKeysWithValues: group.members.map { ($0.deputyId, $0.role) })
    }

    private static func jsonArray(_ values: [String]) -> String { "[" + values.map { "'\($0)'" }.joined(separator: ", ") + "]" }

    private struct ListPage: Decodable {
        var url: String
        var rows: [String]
    }

    private struct RefusedForm: Decodable {
        var url: String
        var error: String?
        var beside: String?
        var title: String?
        var kind: String?
        var confirmed: Bool?
        var ticked: [String]
    }

    private struct ConfirmedRow: Decodable {
        var before: Int
        var after: Int
        var state: String
    }

    private struct EditedGroup: Decodable {
        var url: String
        var refusal: String?
    }

    private struct ActivityList: Decodable {
        struct Item: Decodable {
            var id: String
            var kind: String
            var title: String
            var on: String
            var halfDays: Int
            var stationId: String?
            var regionCode: String
            var participants: [String]
            var constituentsMet: Int
            var confirmed: Bool
        }

        var items: [Item]
    }

    private struct GroupList: Decodable {
        struct Item: Decodable {
            struct Member: Decodable {
                var deputyId: String
                var role: String
            }

            var id: String
            var name: String
            var kind: String
            var congressCode: String
            var regionCode: String
            var members: [Member]
        }

        var items: [Item]
    }
}
