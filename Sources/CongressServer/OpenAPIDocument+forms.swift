import CongressCore
import OpenAPIKit

/// The staff's pages for activities and groups (SPEC §12): HTML for editors (the session cookie or a bearer token),
/// forms posted as a browser does, a 303 to the list once saved, and a refused form shown again with the same status
/// the API would answer.
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
        let writeRefusals = [
            403:
                "the form again, or a refusal: a deputy, station or group outside this node's subtree, a region outside the account's, or a form posted with the cookie from another site's page",
            422: "the form again with the values entered and the reason beside the field",
        ]
        func page(
            _ method: OpenAPI.HttpMethod,
            _ path: String,
            _ summary: String,
            query: [QueryParameter] = [],
            body: JSONSchema? = nil,
            refusals: [Int: String] = [:]
        ) -> Operation {
            Operation(
                method: method,
                path: path,
                caller: .writer,
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
        ]
    }
}
