import CongressCore
import Foundation
import Testing

/// SPEC §4: the national ID number is never stored, logged, returned or replicated.
@Suite struct PrivacyTests {
    /// GB 11643's published example number (valid check digit), and a second valid one.
    static let idNumber = "11010519491231002X"
    static let secondIDNumber = "440524188001010014"

    @Test func idNumberAppearsNowhere() async throws {
        let node = try await TestNode.make()
        var responses: [String] = []
        let (replies, importKey): (String, String) = try await node.run { api in
            var replies: [String] = []
            let created = try await api.send(.post, "/v1/deputies", json: Fixture.deputy(extra: #", "idNumber": "\#(Self.idNumber)""#))
            #expect(created.status == .created)
            replies.append(created.body)
            let id = try #require(created.json["id"] as? String)
            let key = try #require(created.json["personKey"] as? String)
            // Lower-case x is the same number: same person.
            let again = try await api.send(
                .post,
                "/v1/deputies",
                json: Fixture.deputy(level: "township", congress: "420802101", extra: #", "idNumber": "\#(Self.idNumber.lowercased())""#)
            )
            replies.append(again.body)
            #expect(try again.decode(Record<Deputy>.self).body.personKey == key)
            var edited = created.json
            edited["idNumber"] = Self.idNumber
            edited["name"] = "张三丰"
            let replaced = try await api.send(
                .put,
                "/v1/deputies/\(id)",
                json: String(decoding: try JSONSerialization.data(withJSONObject: edited), as: UTF8.self)
            )
            #expect(replaced.status == .ok)
            replies.append(replaced.body)
            let imported = try await api.send(
                .post,
                "/v1/deputies/import",
                json: "[\(Fixture.deputy(extra: #", "idNumber": "\#(Self.secondIDNumber)""#))]"
            )
            #expect(imported.status == .ok, "\(imported.body)")
            replies.append(imported.body)
            let bad = try await api.send(.post, "/v1/deputies", json: Fixture.deputy(extra: #", "idNumber": "110105194912310021""#))
            replies.append(bad.body)
            for path in ["/v1/deputies", "/v1/deputies/\(id)", "/v1/deputies?includeDeleted=true", "/metrics"] {
                replies.append(try await api.send(.get, path).body)
            }
            let keys = try await api.list(Deputy.self, query: "?limit=1000").items.compactMap(\.body.personKey)
            return (replies.joined(separator: "\n"), keys.first { $0 != key } ?? "")
        }
        responses.append(replies)
        #expect(!importKey.isEmpty)

        let forbidden = [Self.idNumber, Self.idNumber.lowercased(), Self.secondIDNumber, "110105194912310021", "19491231002"]
        let dump = try await TestDatabase.dump(node.database)
        #expect(dump.contains("张三丰"), "the dump should hold the data it is searched for")
        let logs = node.logs.text
        #expect(logs.contains("created record"), "the logs should hold the requests")
        for needle in forbidden {
            #expect(!dump.contains(needle), "the database holds an ID number")
            #expect(!logs.contains(needle), "a log line holds an ID number")
            #expect(!responses.joined().contains(needle), "a response holds an ID number")
        }
    }
}
