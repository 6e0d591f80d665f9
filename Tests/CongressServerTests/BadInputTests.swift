import Foundation
import Hummingbird
import Testing

/// Every refused request answers SPEC §10's JSON error with the right status, and changes nothing.
@Suite struct BadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var method: HTTPRequest.Method = .post
        var path: String
        var body: String?
        var token: Token?
        var status: HTTPResponse.Status
        var code: String
        var field: String?
        var testDescription: String { name }
    }

    static let validDeputy = Fixture.deputy()

    static let cases: [Case] = [
        Case(name: "malformed JSON", path: "/v1/deputies", body: #"{"name": "张三",,}"#, status: .badRequest, code: "bad_request"),
        Case(name: "empty body", path: "/v1/deputies", body: "", status: .badRequest, code: "bad_request"),
        Case(
            name: "unknown field",
            path: "/v1/deputies",
            body: Fixture.deputy(extra: #", "colour": "red""#),
            status: .badRequest,
            code: "bad_request",
            field: "colour"
        ),
        Case(
            name: "misspelt nested field",
            path: "/v1/stations",
            body: Fixture.station().replacingOccurrences(of: #""role": "head""#, with: #""role": "head", "rank": 1"#),
            status: .badRequest,
            code: "bad_request",
            field: "staff[0].rank"
        ),
        Case(
            name: "misspelt required field",
            path: "/v1/stations",
            body: Fixture.station().replacingOccurrences(of: #""role": "head""#, with: #""rol": "head""#),
            status: .badRequest,
            code: "bad_request",
            field: "staff[0].role"
        ),
        Case(
            name: "wrong type",
            path: "/v1/deputies",
            body: validDeputy.replacingOccurrences(of: #""term": 15"#, with: #""term": "15""#),
            status: .badRequest,
            code: "bad_request",
            field: "term"
        ),
        Case(
            name: "unknown enum value",
            path: "/v1/deputies",
            body: validDeputy.replacingOccurrences(of: #""female""#, with: #""f""#),
            status: .badRequest,
            code: "bad_request",
            field: "gender"
        ),
        Case(
            name: "region code of a wrong width",
            path: "/v1/deputies",
            body: Fixture.deputy(region: "4208021"),
            status: .badRequest,
            code: "bad_request",
            field: "regionCode"
        ),
        Case(
            name: "region outside the node's subtree",
            path: "/v1/deputies",
            body: Fixture.deputy(region: "420804101"),
            status: .forbidden,
            code: "out_of_scope",
            field: "regionCode"
        ),
        Case(
            name: "congress code not matching the level",
            path: "/v1/deputies",
            body: Fixture.deputy(level: "county", congress: "4208"),
            status: .unprocessableContent,
            code: "invalid",
            field: "congressCode"
        ),
        Case(
            name: "ID number with a bad check digit",
            path: "/v1/deputies",
            body: Fixture.deputy(extra: #", "idNumber": "110105194912310021""#),
            status: .unprocessableContent,
            code: "invalid",
            field: "idNumber"
        ),
        Case(
            name: "ID number of a wrong length",
            path: "/v1/deputies",
            body: Fixture.deputy(extra: #", "idNumber": "1101051949123100""#),
            status: .unprocessableContent,
            code: "invalid",
            field: "idNumber"
        ),
        Case(
            name: "covered unit that is not a village code",
            path: "/v1/stations",
            body: Fixture.station(units: ["420802101"]),
            status: .unprocessableContent,
            code: "invalid",
            field: "coveredUnits[0]"
        ),
        Case(
            name: "two main venues",
            path: "/v1/trainings",
            body: Fixture.training().replacingOccurrences(of: #""kind": "branch""#, with: #""kind": "main""#),
            status: .unprocessableContent,
            code: "invalid",
            field: "venues"
        ),
        Case(
            name: "venue capacity zero",
            path: "/v1/trainings",
            body: Fixture.training().replacingOccurrences(of: #""capacity": 80"#, with: #""capacity": 0"#),
            status: .unprocessableContent,
            code: "invalid",
            field: "venues[1].capacity"
        ),
        Case(
            name: "branch venue outside the subtree",
            path: "/v1/trainings",
            body: Fixture.training(branchRegion: "420804101"),
            status: .forbidden,
            code: "out_of_scope",
            field: "venues[1].regionCode"
        ),
        Case(
            name: "assignment to an unknown deputy",
            path: "/v1/assignments",
            body: #"{"deputyId": "\#(UUID())", "stationId": "\#(UUID())", "role": "resident"}"#,
            status: .unprocessableContent,
            code: "invalid",
            field: "deputyId"
        ),
        Case(
            name: "oversized body",
            path: "/v1/deputies",
            body: Fixture.deputy(extra: #", "occupation": "\#(String(repeating: "x", count: 300 * 1024))""#),
            status: .contentTooLarge,
            code: "too_large"
        ),
        Case(name: "missing token", path: "/v1/deputies", body: validDeputy, token: Token.none, status: .unauthorized, code: "unauthorized"),
        Case(
            name: "wrong token",
            path: "/v1/deputies",
            body: validDeputy,
            token: .custom("Bearer " + String(repeating: "0", count: 64)),
            status: .unauthorized,
            code: "unauthorized"
        ),
        Case(
            name: "not a bearer token",
            path: "/v1/deputies",
            body: validDeputy,
            token: .custom("Basic abc"),
            status: .unauthorized,
            code: "unauthorized"
        ),
        Case(name: "read token writing", path: "/v1/deputies", body: validDeputy, token: .read, status: .forbidden, code: "forbidden"),
        Case(name: "no token reading", method: .get, path: "/v1/deputies", token: Token.none, status: .unauthorized, code: "unauthorized"),
        Case(
            name: "replace of an unknown record",
            method: .put,
            path: "/v1/deputies/\(UUID())",
            body: validDeputy,
            status: .notFound,
            code: "not_found"
        ),
        Case(name: "id that is not a UUID", method: .get, path: "/v1/deputies/42", status: .badRequest, code: "bad_request", field: "id"),
        Case(
            name: "unknown query parameter",
            method: .get,
            path: "/v1/deputies?levle=county",
            status: .badRequest,
            code: "bad_request",
            field: "levle"
        ),
        Case(
            name: "limit out of range",
            method: .get,
            path: "/v1/deputies?limit=5000",
            status: .unprocessableContent,
            code: "invalid",
            field: "limit"
        ),
        Case(name: "forged cursor", method: .get, path: "/v1/deputies?cursor=abc", status: .unprocessableContent, code: "invalid", field: "cursor"),
        Case(name: "no such endpoint", method: .get, path: "/v1/villages", status: .notFound, code: "no_route"),
        Case(
            name: "import with one bad item",
            path: "/v1/units/import",
            body: "[\(Fixture.unit(code: "420802101101")), \(Fixture.unit(code: "420804101101"))]",
            status: .forbidden,
            code: "out_of_scope",
            field: "[1].code"
        ),
        Case(
            name: "import repeating an id",
            path: "/v1/deputies/import",
            body:
                #"[\#(Fixture.deputy(extra: #", "id": "6f1c1a57-0f6e-4d39-9a51-5d2f3f7f0a11""#)), \#(Fixture.deputy(extra: #", "id": "6f1c1a57-0f6e-4d39-9a51-5d2f3f7f0a11""#))]"#,
            status: .unprocessableContent,
            code: "invalid",
            field: "[1].id"
        ),
    ]

    @Test(arguments: cases)
    func refusedWithJSONErrorAndNothingChanged(_ badCase: Case) async throws {
        let node = try await TestNode.make()
        try await node.run { api in
            // Some data first, so "nothing changed" is checked against a non-empty database.
            _ = try await api.create("units", Fixture.unit(code: "420802101099"))
            let before = try await node.snapshot()
            let reply = try await api.send(badCase.method, badCase.path, json: badCase.body, token: badCase.token)
            #expect(reply.status == badCase.status, "\(reply.body)\n\(reply.status == .internalServerError ? node.logs.text : "")")
            let error = try #require(reply.error, "not the JSON error shape: \(reply.body)")
            #expect(error.code == badCase.code)
            #expect(!error.message.isEmpty)
            if let field = badCase.field { #expect(error.field == field, "\(error.message)") }
            #expect(try await node.snapshot() == before)
        }
    }

    @Test func writingAnotherNodesRecordIsRefused() async throws {
        let node = try await TestNode.make()
        try await node.run { api in
            let id = try await api.create("units", Fixture.unit())
            // A replica received from a child node: same table, another origin.
            _ = try await TestDatabase.texts("UPDATE units SET origin = '420802101' WHERE id = '\(id)' RETURNING 'x'", on: node.database)
            let before = try await node.snapshot()
            let reply = try await api.send(.put, "/v1/units/\(id)", json: Fixture.unit(name: "改名"))
            #expect(reply.status == .conflict)
            #expect(reply.error?.message.contains("420802101") == true)
            #expect(try await api.send(.delete, "/v1/units/\(id)").status == .conflict)
            #expect(try await node.snapshot() == before)
        }
    }
}
