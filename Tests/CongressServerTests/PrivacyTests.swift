import CongressCore
import CongressStore
import Crypto
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

/// personKey through the slow derivation (SPEC §14): the keys older releases stored are re-keyed by the node that owns
/// each mandate, with new versions; other nodes' mandates are left to them.
@Suite struct PersonKeyRekeyTests {
    @Test func aNodeReKeysTheMandatesItOwnsAfterTheUpgrade() async throws {
        let yaml = TestTopology.city(ports: ["420802": try LoopbackPort.free()]).yaml
        let node = try await TestNode.make(node: "420802", topologyYAML: yaml)
        let ids = (0..<3).map { syntheticIDNumber(900 + $0) }
        let deriver = node.secrets.personKeys
        func legacy(_ id: String) -> String {
            Hex.encode(HMAC<SHA256>.authenticationCode(for: Data(id.utf8), using: SymmetricKey(data: Data(node.secrets.provinceKey.utf8))))
        }
        // As an older release left them: three mandates of this node and one of its township's, with the fast key.
        let written = try await node.serve(configure: TestFederation.live) { api in
            var written: [String: String] = [:]
            for (index, id) in ids.enumerated() {
                let deputy = try await api.create(Deputy.self, Fixture.deputy(name: "代表\(index)", extra: #", "idNumber": "\#(id)""#))
                #expect(deputy.body.personKey == deriver.personKey(forNormalizedID: id))
                written[deputy.meta.id.uuidString.lowercased()] = id
            }
            return written
        }
        for (record, id) in written {
            _ = try await TestDatabase.texts(
                "UPDATE deputies SET body = jsonb_set(body, '{personKey}', to_jsonb('\(legacy(id))'::text)) WHERE id = '\(record)' RETURNING 1",
                on: node.database
            )
        }
        let replica = UUID().uuidString.lowercased()
        _ = try await TestDatabase.texts(
            """
            INSERT INTO deputies (id, origin, region_code, version, updated_at, deleted, body)
            SELECT '\(replica)', '420802101', '420802101', 7, now(), false, body FROM deputies LIMIT 1 RETURNING 1
            """,
            on: node.database
        )
        let before = try await TestDatabase.texts("SELECT max(seq)::text FROM change_log", on: node.database)

        // The upgraded node re-keys its own three while it serves.
        try await node.serve(configure: TestFederation.live) { _ in
            let keys = try await eventually {
                try await TestDatabase.texts("SELECT id::text || ' ' || person_key FROM deputies WHERE origin = '420802'", on: node.database)
            } until: {
                $0.allSatisfy { $0.contains(" p2") }
            }
            #expect(Set(keys) == Set(written.map { "\($0.key) \(deriver.personKey(forNormalizedID: $0.value))" }))
            let logged = try await TestDatabase.texts("SELECT count(*)::text FROM change_log WHERE seq > \(before.first ?? "0")", on: node.database)
            #expect(logged == ["3"], "each re-keyed mandate is a new version that replicates")
            let other = try await TestDatabase.texts("SELECT person_key FROM deputies WHERE id = '\(replica)'", on: node.database)
            #expect(other.first.map(PersonKeyDeriver.isLegacy) == true, "another node's mandate is its own node's to re-key")
            let audited = try await eventually {
                try await TestDatabase.texts("SELECT outcome FROM audit_log WHERE action = 'personKey re-key'", on: node.database)
            } until: {
                !$0.isEmpty
            }
            #expect(audited == ["3 mandates"])
        }
    }
}
