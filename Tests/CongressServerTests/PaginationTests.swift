import CongressCore
import Foundation
import Hummingbird
import Testing

@Suite struct PaginationTests {
    @Test func cursorWalksEveryRecordOnceInRegionOrder() async throws {
        let node = try await TestNode.make()
        try await node.run { api in
            let codes = (1...25).map { "42080200\($0 % 2 + 1)\(String(format: "%03d", $0))" }
            let body = "[" + codes.map { Fixture.unit(code: $0, name: "村\($0)") }.joined(separator: ",") + "]"
            #expect(try await api.send(.post, "/v1/units/import", json: body).status == .ok)

            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let uri = "/v1/units?limit=10" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await api.send(.get, uri)
                #expect(page.status == .ok)
                let listed = try page.decode(APIClient.Page<CongressCore.Unit>.self)
                seen += listed.items.map(\.body.code.rawValue)
                cursor = listed.nextCursor
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == codes.sorted())

            let filtered = try await api.send(.get, "/v1/units?region=420802102&limit=1000")
            let filteredCodes = try filtered.decode(APIClient.Page<CongressCore.Unit>.self).items.map(\.body.code.rawValue)
            #expect(filteredCodes == codes.filter { $0.hasPrefix("420802102") }.sorted())
            #expect(filtered.body.contains("\"nextCursor\":null"))
        }
    }

    @Test func listFiltersByKindSpecificFields() async throws {
        let node = try await TestNode.make()
        try await node.run { api in
            _ = try await api.create("deputies", Fixture.deputy(name: "甲"))
            _ = try await api.create("deputies", Fixture.deputy(name: "乙", region: "420802102", level: "township", congress: "420802102"))
            let township = try await api.list(Deputy.self, query: "?level=township")
            #expect(township.items.map(\.body.name) == ["乙"])
            let badLevel = try await api.send(.get, "/v1/deputies?level=village")
            #expect(badLevel.status == .unprocessableContent)
            #expect(badLevel.error?.field == "level")
        }
    }
}
