import CongressCore
import OpenAPIKit

/// The staff's pages for activities and groups (SPEC §12) and cases (SPEC §13): HTML for editors (the session cookie or
/// a bearer token; a case is read by readers too), forms posted as a browser does, a 303 once saved, and a refused form
/// shown again with the same status the API would answer.
extension OpenAPIDocument {
    static var formOperations: [Operation] {
        let q = ActivityFormController.parameters
        let activity = JSONSchema.object(properties: [
            "kind": APISchemas.choice(Activity.Kind.self, required: false), "title": .string(required: false),
            "on": .string(required: false, description: "YYYY-MM-DD"), "halfDays": .string(required: false),
            "regionCode": .string(required: false), "stationId": .string(required: false), "groupId": .string(required: false),
            "participants": .array(required: false, items: .string(format: .uuid)), "constituentsMet": .string(required: false),
            "summary": .string(required: false), "confirmed": .string(required: false, description: "`true` when ticked"),
        ])
        let group = JSONSchema.object(
            properties: [
                "name": .string(required: false), "kind": APISchemas.choice(DeputyGroup.Kind.self, required: false),
                "congressCode": .string(required: false), "regionCode": .string(required: false),
                "version": .string(required: false, description: "the version the form was filled from"),
            ],
            additionalProperties: .init(.string(description: "`role.DEPUTY-ID`: leader, deputy_leader, liaison or member; empty for none"))
        )
        let registration = JSONSchema.object(properties: [
            "kind": APISchemas.choice(CaseKind.self, required: false),
            "channel": .string(required: false, allowedValues: CaseFormController.channels.map { AnyCodable($0.rawValue) }),
            "subject": .string(required: false), "content": .string(required: false), "category": .string(required: false),
            "regionCode": .string(required: false), "registeredOn": .string(required: false, description: "YYYY-MM-DD; today when empty"),
            "stationId": .string(required: false),
            "leadDeputy": .string(required: false, description: "the receiving deputy (opinion) or the lead deputy (suggestion)"),
            "coSigners": .array(required: false, items: .string(format: .uuid)),
            "wantsMeeting": .string(required: false, description: "`true` when ticked"),
            "complex": .string(required: false, description: "`true` when ticked"),
            "constituent.name": .string(required: false), "constituent.phone": .string(required: false),
        ])
        let step = JSONSchema.object(properties: [
            "action": APISchemas.choice(CaseAction.self, required: false),
            "leadUnit": .string(required: false, description: "assign: the lead unit (主办)"),
            "coUnits": .string(required: false, description: "assign: the co-units (会办), one a line or separated by commas"),
            "to": .string(required: false, description: "transfer: the node above"), "text": .string(required: false),
            "grade": APISchemas.choice(SuggestionGrade.self, required: false), "satisfaction": APISchemas.choice(Satisfaction.self, required: false),
            "on": .string(required: false, description: "YYYY-MM-DD; today when empty"),
        ])
        let writeRefusals = [
            403:
                "the form again, or a refusal: a deputy, station or group outside this node's subtree, a region outside the account's, or a form posted with the cookie from another site's page",
            422: "the form again with the values entered and the reason beside the field",
        ]
        func page(
            _ method: OpenAPI.HttpMethod,
            _ path: String,
            _ summary: String,
            caller: Caller = .writer,
            query: [QueryParameter] = [],
            body: JSONSchema? = nil,
            refusals: [Int: String] = [:]
        ) -> Operation {
            Operation(
                method: method,
                path: path,
                caller: caller,
                summary: summary,
                query: query,
                body: body,
                success: method == .post ? 303 : 200,
                answer: .string,
                contentTypes: [.html],
                bodyType: .form,
                refusals: refusals
            )
        }
        return [
            page(.get, "/activities", "the activities this node recorded lately, each unconfirmed one with its 确认 button (HTML)"),
            page(.get, "/activities/new", "the form that records an activity (HTML)", query: q),
            page(.post, "/activities", "records an activity from the form; saved, a 303 to /activities", body: activity, refusals: writeRefusals),
            page(
                .post,
                "/activities/{id}/confirm",
                "confirms an activity recorded here; done, a 303 to /activities",
                refusals: [409: "an activity recorded by another node, or changed meanwhile", 422: "an activity dated in the future"]
            ),
            page(.get, "/groups", "the deputy groups of this node's subtree (HTML)"),
            page(.get, "/groups/new", "the form that creates a deputy group (HTML)", query: q),
            page(.post, "/groups", "creates a deputy group from the form; saved, a 303 to /groups", body: group, refusals: writeRefusals),
            page(.get, "/groups/{id}", "the form that edits a deputy group (HTML)", query: q),
            page(
                .post,
                "/groups/{id}",
                "replaces a deputy group from the form; saved, a 303 to /groups",
                body: group,
                refusals: writeRefusals.merging([409: "the form again: a group of another node, or changed since the form was filled"]) { $1 }
            ),
            page(
                .get,
                "/cases",
                "the cases held here, the latest registered first, 50 a page (HTML)",
                caller: .reader,
                query: CaseFormController.listParameters
            ),
            page(.get, "/cases/new", "the form that registers an opinion or a suggestion (HTML)", query: q),
            page(.post, "/cases", "registers a case from the form; saved, a 303 to its page", body: registration, refusals: writeRefusals),
            page(
                .get,
                "/cases/{id}",
                "a case: its status, its events and, for editors, the constituent's contact and a form per step allowed now (HTML)",
                caller: .reader
            ),
            page(
                .post,
                "/cases/{id}/events",
                "records one step of the case from its form; done, a 303 to the case's page",
                body: step,
                refusals: [
                    403: "the page again: not this node's step to record, or a transfer not to the node above",
                    409: "the page again: the step cannot follow the case's state (reply before assign, feedback twice, a closed case)",
                    422: "the page again with the reason: a step malformed for this case (no units, an ungraded reply to a suggestion)",
                ]
            ),
        ]
    }
}
