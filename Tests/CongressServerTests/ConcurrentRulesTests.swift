import CongressCore
import CongressStore
import CongressSync
import Foundation
import Hummingbird
import Testing

@testable import CongressServer

/// Rules that read before they write hold under concurrent requests, and requests that wait on the network answer
/// within their bound.
@Suite struct ConcurrentRulesTests {
    /// Five persons, each a deputy of the county and of the township congress (one ID number, two mandates): all ten
    /// mandates sign in at once, and each person is signed in exactly once.
    @Test func concurrentSignInsOfOnePersonUnderTwoMandatesLandOnce() async throws {
        let node = try await TestNode.make()
        try await node.run { api in
            let training = try await api.create(Training.self, Fixture.training())
            let venue = try #require(training.body.venues.first { $0.kind == .branch }?.id)
            var mandates: [(person: Int, deputy: UUID)] = []
            for person in 0..<5 {
                let id = #", "idNumber": "\#(syntheticIDNumber(700 + person))""#
                let county = try await api.create(Deputy.self, Fixture.deputy(name: "代表\(person)", extra: id))
                let township = try await api.create(
                    Deputy.self,
                    Fixture.deputy(name: "代表\(person)", level: "township", congress: "420802101", extra: id)
                )
                #expect(county.body.personKey == township.body.personKey)
                mandates += [(person, county.meta.id), (person, township.meta.id)]
            }
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for mandate in mandates {
                    group.addTask {
                        try await api.send(
                            .post,
                            "/v1/trainings/\(training.meta.id)/attendance",
                            json: #"{"deputyId": "\#(mandate.deputy)", "venueId": "\#(venue)", "mode": "onsite"}"#
                        ).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // One sign-in made per person (201), the other mandate's request answered with the sign-in held (200).
            #expect(statuses.count { $0 == .created } == 5, "\(statuses)")
            #expect(statuses.count { $0 == .ok } == 5, "\(statuses)")
            let rows = try await TestDatabase.texts(
                "SELECT d.person_key FROM attendance a JOIN deputies d ON d.id = a.deputy_id WHERE NOT a.deleted",
                on: node.database
            )
            #expect(rows.count == 5)
            #expect(Set(rows).count == 5)
        }
    }

    /// A run against a parent that cannot be reached goes on retrying for minutes: the request that started it is answered
    /// within its wait (202, the run still going), the run can be watched, and a second request joins the same run.
    @Test func aSyncRunAgainstAnUnreachableParentAnswersWithinItsBound() async throws {
        let port = try LoopbackPort.free()
        var layout = TestTopology.standard
        layout.ports["4208"] = port  // nothing listens there
        let node = try await TestNode.make(topologyYAML: layout.yaml)
        let configure: (inout AppConfiguration) -> Void = {
            $0.schedulesPushes = false
            $0.syncRetry = RetryPolicy(attempts: 20, firstDelay: .seconds(1), maxDelay: .seconds(5), requestTimeout: .seconds(2))
        }
        try await node.run(.live, configure: configure) { api in
            let started = ContinuousClock.now
            let first = try await api.send(.post, "/v1/sync/run?wait=1")
            let answeredIn = ContinuousClock.now - started
            #expect(first.status == .accepted, "\(first.body)")
            // The run itself retries for minutes (20 attempts, up to 5 s apart): an answer well before that is the bound
            // at work, however slowly a loaded machine serves the request.
            #expect(answeredIn < .seconds(30), "answered after \(answeredIn)")
            #expect(first.headers[.location] == "/v1/sync/run")
            #expect(first.json["state"] as? String == "running")

            let watched = try await api.send(.get, "/v1/sync/run?wait=0")
            #expect(watched.status == .accepted)
            #expect(watched.json["startedAt"] as? String == first.json["startedAt"] as? String)
            let joined = try await api.send(.post, "/v1/sync/run?wait=0")
            #expect(joined.json["startedAt"] as? String == first.json["startedAt"] as? String, "a second request starts no second run")
            let status = try await api.send(.get, "/v1/sync/status").json
            #expect((status["run"] as? [String: Any])?["state"] as? String == "running")
        }
    }
}
