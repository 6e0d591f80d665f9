import CongressCore
import Foundation
import Hummingbird
import Testing

@testable import CongressServer

@Suite struct RecordLifecycleTests {
    /// How one resource is created and changed in the lifecycle test.
    struct Resource: Sendable, CustomTestStringConvertible {
        var collection: String
        /// Creates what the record refers to and returns the record's JSON.
        var setUp: @Sendable (APIClient) async throws -> String
        /// A field to change and the new value, as JSON.
        var change: (field: String, value: String)
        var testDescription: String { collection }
    }

    static let resources: [Resource] = [
        Resource(collection: "deputies", setUp: { _ in Fixture.deputy() }, change: ("status", #""resigned""#)),
        Resource(collection: "stations", setUp: { _ in Fixture.station() }, change: ("name", #""龙泉代表联络站""#)),
        Resource(collection: "units", setUp: { _ in Fixture.unit() }, change: ("name", #""龙泉村""#)),
        Resource(collection: "trainings", setUp: { _ in Fixture.training() }, change: ("title", #""代表初任培训""#)),
        Resource(
            collection: "assignments",
            setUp: { api in
                let deputy = try await api.create("deputies", Fixture.deputy())
                let station = try await api.create("stations", Fixture.station())
                return #"{"deputyId": "\#(deputy)", "stationId": "\#(station)", "role": "resident", "since": "2024-01-01"}"#
            },
            change: ("role", #""rotating""#)
        ),
    ]

    @Test(arguments: resources)
    func createReadReplaceDeleteList(resource: Resource) async throws {
        let node = try await TestNode.make()
        try await node.run { api in
            let path = "/v1/\(resource.collection)"
            let json = try await resource.setUp(api)
            let created = try await api.send(.post, path, json: json)
            #expect(created.status == .created)
            let id = try #require(created.json["id"] as? String)
            #expect(created.json["origin"] as? String == "420802")
            #expect(created.json["deleted"] as? Bool == false)
            let firstVersion = try #require(created.json["version"] as? Int)

            let read = try await api.send(.get, "\(path)/\(id)")
            #expect(read.status == .ok)
            #expect(read.body == created.body)

            let listed = try await api.send(.get, path)
            #expect((listed.json["items"] as? [[String: Any]])?.contains { $0["id"] as? String == id } == true)

            // Replace: the GET body sent back with one field changed, as a client would.
            var edited = read.json
            edited[resource.change.field] = try JSONSerialization.jsonObject(with: Data(resource.change.value.utf8), options: .fragmentsAllowed)
            let editedJSON = String(decoding: try JSONSerialization.data(withJSONObject: edited), as: UTF8.self)
            let replaced = try await api.send(.put, "\(path)/\(id)", json: editedJSON)
            #expect(replaced.status == .ok, "\(replaced.body)")
            let secondVersion = try #require(replaced.json["version"] as? Int)
            #expect(secondVersion > firstVersion)
            #expect("\(replaced.json[resource.change.field]!)" == "\(edited[resource.change.field]!)")

            // The same edit again carries the old version: a lost update, refused.
            let stale = try await api.send(.put, "\(path)/\(id)", json: editedJSON)
            #expect(stale.status == .conflict)
            #expect(stale.error?.field == "version")

            let deleted = try await api.send(.delete, "\(path)/\(id)")
            #expect(deleted.status == .ok)
            #expect(deleted.json["deleted"] as? Bool == true)
            let thirdVersion = try #require(deleted.json["version"] as? Int)
            #expect(thirdVersion > secondVersion)

            #expect(try await api.send(.get, "\(path)/\(id)").status == .notFound)
            #expect(try await api.send(.delete, "\(path)/\(id)").status == .notFound)
            let afterDelete = try await api.send(.get, path)
            #expect((afterDelete.json["items"] as? [[String: Any]])?.contains { $0["id"] as? String == id } == false)
            let tombstones = try await api.send(.get, "\(path)?includeDeleted=true")
            let tombstone = (tombstones.json["items"] as? [[String: Any]])?.first { $0["id"] as? String == id }
            #expect(tombstone?["deleted"] as? Bool == true)

            // The change log holds the three writes of this record in order, with their versions.
            let log = try await TestDatabase.texts(
                "SELECT kind || ':' || version || ':' || deleted FROM change_log WHERE record_id = '\(id)' ORDER BY seq",
                on: node.database
            )
            let kind = RecordKind.allCases.first { $0.collection == resource.collection }!.rawValue
            #expect(log == ["\(kind):\(firstVersion):false", "\(kind):\(secondVersion):false", "\(kind):\(thirdVersion):true"])
        }
    }

    @Test func changeLogSequenceIsStrictlyIncreasingAndMatchesVersions() async throws {
        let node = try await TestNode.make()
        try await node.run { api in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask { _ = try await api.create("units", Fixture.unit(code: "4208021010\(10 + index)", name: "村\(index)")) }
                }
                try await group.waitForAll()
            }
            let seqs = try await TestDatabase.texts("SELECT seq::text AS text FROM change_log ORDER BY change_log.seq", on: node.database).compactMap
            { Int($0) }
            #expect(seqs == Array(1...20))
            let mismatched = try await TestDatabase.texts(
                "SELECT u.id::text FROM units u JOIN change_log c ON c.record_id = u.id AND c.version <> u.version",
                on: node.database
            )
            #expect(mismatched.isEmpty)
        }
    }

    @Test func unitsImportIsAllOrNothingAndIdempotent() async throws {
        let node = try await TestNode.make()
        try await node.run { api in
            let items = (1...30).map { Fixture.unit(code: "420802101\(String(format: "%03d", $0))", name: "社区\($0)") }
            let body = "[" + items.joined(separator: ",") + "]"
            let first = try await api.send(.post, "/v1/units/import", json: body)
            #expect(first.status == .ok, "\(first.body)")
            #expect(first.json["created"] as? Int == 30)
            let again = try await api.send(.post, "/v1/units/import", json: body)
            #expect(again.json["unchanged"] as? Int == 30)
            #expect(again.json["created"] as? Int == 0)
            let renamed = body.replacingOccurrences(of: "社区7\"", with: "新社区7\"")
            let third = try await api.send(.post, "/v1/units/import", json: renamed)
            #expect(third.json["updated"] as? Int == 1)
            #expect(try await TestDatabase.texts("SELECT count(*)::text FROM units", on: node.database) == ["30"])
            #expect(try await TestDatabase.texts("SELECT count(*)::text FROM change_log", on: node.database) == ["31"])
        }
    }

    @Test func healthAndMetricsAnswer() async throws {
        let node = try await TestNode.make()
        try await node.run { api in
            let health = try await api.send(.get, "/health", token: Token.none)
            #expect(health.status == .ok)
            #expect(health.json["database"] as? String == "ok")
            _ = try await api.create("units", Fixture.unit())
            let metrics = try await api.send(.get, "/metrics", token: Token.none)
            #expect(metrics.status == .ok)
            #expect(metrics.body.contains("congress_records{kind=\"unit\"} 1"))
            #expect(metrics.body.contains("congress_change_log_seq 1"))
        }
    }
}

typealias Token = APIClient.Token
