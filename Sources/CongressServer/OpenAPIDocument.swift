import CongressCore
import CongressStore
import OpenAPIKit
import Yams

/// The API document served at `/openapi.yaml`, built in code with OpenAPIKit from the definitions that decode requests
/// (record schemas in `APISchemas`, query parameters from `QueryParameter`). It states every status each route can
/// answer. A contract test compares its operations with the router's routes both ways, and Schemathesis fuzzes a live
/// node against it.
enum OpenAPIDocument {
    /// YAML text of this node's document (its region codes are in the patterns).
    static func yaml(node: RegionCode) -> String {
        do {
            return try YAMLEncoder().encode(document(node: node))
        } catch {
            // Encoding a value built in code cannot fail on input; a failure here is a programming error.
            preconditionFailure("the API document does not encode: \(error)")
        }
    }

    /// Who may call an operation.
    enum Caller {
        case anyone
        case reader
        /// Writes records: an editor or admin account, or the admin token.
        case writer
        case admin
        /// Reads the audit log: an admin or auditor account, or the admin token.
        case auditor
        /// A person's account acting on itself.
        case account
        case child
    }

    /// One operation: what it takes and what it answers.
    struct Operation {
        var method: OpenAPI.HttpMethod
        var path: String
        var caller: Caller
        var summary: String
        var query: [QueryParameter] = []
        var body: JSONSchema?
        var success: Int = 200
        var answer: JSONSchema? = .object
        var contentTypes: [OpenAPI.ContentType] = [.json]
        /// How the body is sent: JSON, or a browser's form.
        var bodyType: OpenAPI.ContentType = .json
        /// Statuses beyond those the caller and the route's shape imply.
        var refusals: [Int: String] = [:]
        /// The body of a status in `refusals` when it is not the JSON error.
        var answers: [Int: JSONSchema] = [:]
        /// Path parameters other than `{id}` (always a UUID): their schemas.
        var pathParameters: [String: JSONSchema] = [:]
    }

    static func document(node: RegionCode) -> OpenAPI.Document {
        let schemas = APISchemas(node: node)
        var paths: OrderedDictionary<OpenAPI.Path, OpenAPI.PathItem> = [:]
        for operation in operations(schemas) {
            let path = OpenAPI.Path(rawValue: operation.path)
            var item = paths[path] ?? OpenAPI.PathItem()
            item[operation.method] = build(operation)
            paths[path] = item
        }
        return OpenAPI.Document(
            info: .init(
                title: "Congress Registry node API",
                description:
                    "One node (\(node)) of the federated registry of people's congresses (SPEC §10). Routes under /v1 take "
                    + "\"Authorization: Bearer TOKEN\": the read or admin token for GET, the admin token for writes, a child "
                    + "node's token for the sync feed. Errors are {\"error\": {\"code\", \"message\", \"field\"}}.",
                version: "1"
            ),
            servers: [],
            paths: paths.mapValues { .b($0) },
            components: OpenAPI.Components(
                schemas: ["Error": errorSchema],
                securitySchemes: ["bearer": .b(.http(scheme: "bearer"))]
            )
        )
    }

    // MARK: The operations

    static func operations(_ schemas: APISchemas) -> [Operation] {
        var operations: [Operation] = [
            Operation(
                method: .get,
                path: "/health",
                caller: .anyone,
                summary: "whether the node and its database answer",
                refusals: [503: "the database is unreachable"]
            ),
            Operation(method: .get, path: "/metrics", caller: .anyone, summary: "Prometheus metrics", answer: .string, contentTypes: [.txt]),
            Operation(method: .get, path: "/openapi.yaml", caller: .anyone, summary: "this document", answer: .string, contentTypes: [.yaml]),
            Operation(
                method: .get,
                path: "/",
                caller: .anyone,
                summary: "the dashboard (HTML, in Chinese); ?token= signs a browser in with a cookie",
                query: DashboardController.parameters,
                answer: .string,
                contentTypes: [.html],
                refusals: [
                    303: "signed in: the token is now a cookie", 401: "a sign-in page", 403: "a region outside this node's subtree",
                    404: "a region not in the topology", 422: "a malformed parameter", 429: "too many failed tokens from this address",
                ]
            ),
            Operation(
                method: .post,
                path: "/",
                caller: .anyone,
                summary: "the dashboard's sign-in form (SPEC §14): signed in, the dashboard itself with the session as a cookie",
                body: .object(properties: [
                    "name": .string(required: false), "password": .string(required: false), "code": .string(required: false),
                ]),
                answer: .string,
                contentTypes: [.html],
                bodyType: .form,
                refusals: [
                    401: "the form again: wrong name, password or code", 403: "the form again: the account has a step to take first",
                    422: "the form again: a field too long", 429: "the form again: the account is locked",
                ]
            ),
            Operation(method: .get, path: "/v1/topology", caller: .reader, summary: "the topology in force, its hash and the last refused reload"),
            Operation(
                method: .get,
                path: "/v1/audit",
                caller: .auditor,
                summary: "the node's audit log, oldest first (SPEC §14): every write, refusal and reload, each chained to the one before",
                query: AuditController.parameters,
                answer: APISchemas.auditPage
            ),
            Operation(
                method: .get,
                path: "/v1/sync/audit",
                caller: .child,
                summary: "the child's newest audit entry as this node witnessed it from the child's batches (SPEC §14)",
                answer: .object(properties: ["seq": .integer, "hash": .string])
            ),
            Operation(
                method: .get,
                path: "/v1/points/rules",
                caller: .reader,
                summary: "the points rules in force (SPEC §12), file by file, their hash and the last refused reload or parent's folder"
            ),
            Operation(
                method: .get,
                path: "/v1/points",
                caller: .reader,
                summary: "every in-office mandate of a congress ranked by its points for a year (SPEC §12); CSV for the public posting",
                query: DutyController.rankingParameters,
                answer: APISchemas.ranking,
                contentTypes: [.json, .csv],
                refusals: [403: "the congress lies outside this node's subtree", 404: "the congress has no points rules for that year"]
            ),
            Operation(
                method: .get,
                path: "/v1/deputies/{id}/dossier",
                caller: .reader,
                summary: "one dossier per deputy (一代表一档案): the mandate, the person's other mandates held here, activities, sign-ins, points",
                query: DutyController.dossierParameters,
                answer: APISchemas.dossier,
                contentTypes: [.json, .csv]
            ),
            Operation(
                method: .get,
                path: "/deputies/{id}",
                caller: .anyone,
                summary: "the dossier as a printable page (HTML, in Chinese); asks for a sign-in itself; ?token= signs a browser in with a cookie",
                query: DutyController.pageParameters,
                answer: .string,
                contentTypes: [.html],
                refusals: [
                    303: "signed in: the token is now a cookie", 401: "a sign-in page", 403: "the account has a step to take first",
                    404: "no such deputy here", 422: "a malformed parameter", 429: "too many failed tokens from this address",
                ]
            ),
            Operation(
                method: .get,
                path: "/v1/coverage",
                caller: .reader,
                summary: "coverage figures of a region and its descendants (SPEC §8), with duty performance (SPEC §12) and cases (SPEC §13)",
                query: CoverageQuery.parameters,
                answer: APISchemas.coverageReport,
                contentTypes: [.json, .csv],
                refusals: [403: "the region lies outside this node's subtree", 404: "the region is not in the topology in force"]
            ),
            Operation(method: .get, path: "/v1/sync/status", caller: .reader, summary: "the parent edge, each child and the latest run"),
            Operation(
                method: .post,
                path: "/v1/sync/run",
                caller: .admin,
                summary: "push to the parent and pull directives now; answers within ?wait= seconds",
                query: SyncController.runParameters,
                answer: APISchemas.syncReport,
                refusals: [202: "still running: watch GET /v1/sync/run", 502: "the parent refused or could not be reached: the report says why"],
                answers: [502: APISchemas.syncReport]
            ),
            Operation(
                method: .get,
                path: "/v1/sync/run",
                caller: .reader,
                summary: "the latest run started over the API, waiting up to ?wait= seconds for it",
                query: SyncController.runParameters,
                answer: APISchemas.syncReport,
                refusals: [202: "still running", 404: "no run was started since the node started", 502: "the run failed: the report says why"],
                answers: [502: APISchemas.syncReport]
            ),
            Operation(
                method: .post,
                path: "/v1/sync/batches",
                caller: .child,
                summary: "a child's batch of changes (SPEC §7), applied all or nothing",
                body: APISchemas.batch,
                refusals: [
                    403: "a change outside the sender's subtree or of a kind its schema version lacks, or a sender that does not sync here",
                    409: "a gap (resend from `expected`), or a replication schema this node does not know (the message names the node to upgrade)",
                    426: "a different sync protocol, or a replication schema older than this node reads (upgrade the sender)",
                    503: "busy: other children's batches held every place for the admission wait; send again after Retry-After",
                ]
            ),
            Operation(
                method: .get,
                path: "/v1/sync/hello",
                caller: .child,
                summary: "the release and replication schemas this node reads, asked by a child before it pushes (SPEC §17)",
                answer: APISchemas.hello
            ),
            Operation(
                method: .get,
                path: "/v1/sync/points",
                caller: .child,
                summary: "the points rules folder this node holds, for its children to check and adopt (SPEC §12, §17)",
                answer: .object(properties: ["hash": .string, "files": .object(additionalProperties: .init(.string))])
            ),
            Operation(
                method: .get,
                path: "/v1/sync/directives",
                caller: .child,
                summary: "trainings for the child's subtree after ?since=",
                query: SyncController.directiveParameters,
                refusals: [403: "the child does not sync here"]
            ),
            Operation(
                method: .get,
                path: "/v1/sync/topology",
                caller: .child,
                summary: "the topology file this node holds, for its children to check and adopt (SPEC §17)",
                // The file's text, as written; read as YAML it is a topology document.
                answer: .object(description: "the topology file (SPEC §5)", properties: ["version": .integer, "root": .object]),
                contentTypes: [.yaml],
                refusals: [404: "the topology was not read from a file"]
            ),
        ]
        operations.append(
            Operation(
                method: .post,
                path: "/v1/divisions/apply",
                caller: .admin,
                summary: "a change file (SPEC §15) applied to this node's records in one transaction, as `congress divisions apply` sends it",
                body: APISchemas.closed([
                    "file": APISchemas.text(255),
                    "text": .string(description: "the change file's YAML text", maxLength: BodyLimit.bulk),
                ]),
                answer: APISchemas.divisionReport,
                refusals: [
                    409: "a node above this one runs a release without division changes (the message names what to upgrade)",
                    422: "the change file does not hold against the topology in force (each problem at its FILE:LINE:COL)",
                ]
            )
        )
        operations += accountOperations
        // Sign-ins are written through their training; cases are registered and moved on by their events, never replaced.
        for kind in RecordKind.allCases where ![.attendance, .caseRecord, .caseEvent].contains(kind) {
            operations += recordOperations(kind, schemas)
        }
        operations += caseOperations(schemas)
        for kind in [RecordKind.deputy, .unit] {
            operations.append(
                Operation(
                    method: .post,
                    path: "/v1/\(kind.collection)/import",
                    caller: .writer,
                    summary: "\(kind.collection) in bulk, all or nothing",
                    body: .array(minItems: 1, maxItems: RecordService.maximumImport, items: schemas.input(kind)),
                    answer: importSummary,
                    refusals: [403: "a record outside this node's subtree", 409: "a record owned by another node"]
                )
            )
        }
        operations += trainingOperations(schemas)
        operations += formOperations
        operations += contactPageOperations
        return operations
    }

    /// Create, list, read, replace and delete of one record kind.
    private static func recordOperations(_ kind: RecordKind, _ schemas: APISchemas) -> [Operation] {
        let collection = "/v1/\(kind.collection)"
        let record = schemas.output(kind)
        let list = JSONSchema.object(properties: ["items": .array(items: record), "nextCursor": .string(nullable: true)])
        let writeRefusals = [
            403: "a region outside this node's subtree",
            409: "the record belongs to another node, or changed since `version`",
        ]
        return [
            Operation(
                method: .post,
                path: collection,
                caller: .writer,
                summary: "create a \(kind.rawValue)",
                body: schemas.input(kind),
                success: 201,
                answer: record,
                refusals: writeRefusals
            ),
            Operation(
                method: .get,
                path: collection,
                caller: .reader,
                summary: "list \(kind.collection)",
                query: ListQuery.parameters(for: kind),
                answer: list
            ),
            Operation(method: .get, path: collection + "/{id}", caller: .reader, summary: "one \(kind.rawValue)", answer: record),
            Operation(
                method: .put,
                path: collection + "/{id}",
                caller: .writer,
                summary: "replace a \(kind.rawValue)",
                body: schemas.input(kind),
                answer: record,
                refusals: writeRefusals
            ),
            Operation(
                method: .delete,
                path: collection + "/{id}",
                caller: .writer,
                summary: "delete a \(kind.rawValue) (a tombstone that replicates)",
                answer: record,
                refusals: [409: "the record belongs to another node"]
            ),
        ]
    }

    private static func caseOperations(_ schemas: APISchemas) -> [Operation] {
        let shown = schemas.output(.caseRecord)
        let event = schemas.output(.caseEvent)
        return [
            Operation(
                method: .post,
                path: "/v1/cases",
                caller: .writer,
                summary: "register an opinion met at a reception or a deputy's suggestion (SPEC §13)",
                body: schemas.input(.caseRecord),
                success: 201,
                answer: shown,
                refusals: [403: "a region, deputy or station outside this node's subtree", 409: "a case with this id exists"]
            ),
            Operation(
                method: .get,
                path: "/v1/cases",
                caller: .reader,
                summary: "cases held here, each with the status its events lead to; ?order=overdue lists the overdue ones first",
                query: ListQuery.parameters(for: .caseRecord),
                answer: .object(properties: ["items": .array(items: shown), "nextCursor": .string(nullable: true)])
            ),
            Operation(method: .get, path: "/v1/cases/{id}", caller: .reader, summary: "one case and its status", answer: shown),
            Operation(
                method: .delete,
                path: "/v1/cases/{id}/contact",
                caller: .writer,
                summary: "erase the constituent's contact at their request (PIPL art. 47): whether there was one",
                answer: .object(properties: ["erased": .boolean]),
                refusals: [409: "the contact stays at the node that received the case"]
            ),
            Operation(
                method: .get,
                path: "/v1/cases/{id}/events",
                caller: .reader,
                summary: "the case's events in the order they were recorded",
                answer: .object(properties: ["items": .array(items: event)])
            ),
            Operation(
                method: .post,
                path: "/v1/cases/{id}/events",
                caller: .writer,
                summary:
                    "one more event: assign, transfer (to the node above), reply, answer_on_spot, explain, supervise, consult, feedback, reopen, close",
                body: APISchemas.closed(APISchemas.caseEventInput),
                success: 201,
                answer: event,
                refusals: [
                    403: "not this node's to record (the handler's, the origin's), or a transfer not to the node above",
                    409: "the event cannot follow the case's state (reply before assign, feedback twice, a closed case)",
                ]
            ),
        ]
    }

    private static func trainingOperations(_ schemas: APISchemas) -> [Operation] {
        let signIn = APISchemas.closed(schemas.signInProperties)
        let signIns = JSONSchema.object(properties: ["items": .array(items: schemas.output(.attendance)), "nextCursor": .string(nullable: true)])
        return [
            Operation(
                method: .post,
                path: "/v1/trainings/{id}/attendance",
                caller: .writer,
                summary: "sign deputies in: one object (201, or 200 when the person is signed in already) or an array (200 with counts)",
                body: .one(of: [signIn, .array(minItems: 1, items: signIn)]),
                answer: .object,
                refusals: [201: "signed in"]
            ),
            Operation(
                method: .get,
                path: "/v1/trainings/{id}/attendance",
                caller: .reader,
                summary: "the training's sign-ins held here",
                answer: signIns
            ),
            Operation(
                method: .get,
                path: "/v1/trainings/{id}/roster",
                caller: .reader,
                summary: "who is expected at which venue",
                query: [ExportFormat.parameter],
                contentTypes: [.json, .csv]
            ),
            Operation(method: .get, path: "/v1/trainings/{id}/progress", caller: .reader, summary: "expected and signed in per venue"),
            Operation(
                method: .get,
                path: "/v1/trainings/{id}/progress/absentees",
                caller: .reader,
                summary: "the audience not signed in, for make-up sessions",
                query: [ExportFormat.parameter],
                contentTypes: [.json, .csv]
            ),
        ]
    }

    // MARK: Building

    private static let errorSchema = JSONSchema.object(
        properties: [
            "error": .object(properties: ["code": .string, "message": .string, "field": .string(required: false, nullable: true)]),
            "expected": .integer(required: false),
        ]
    )

    /// Signing in and out, and an account's own password and second factor (SPEC §14).
    private static let accountOperations = [
        Operation(
            method: .post,
            path: "/v1/session",
            caller: .anyone,
            summary: "sign in with name, password and (once enrolled) a TOTP code; the session token is also set as a cookie",
            body: APISchemas.closed([
                "name": .string(minLength: AccountRules.nameLength.lowerBound, maxLength: AccountRules.nameLength.upperBound),
                "password": .string(maxLength: AccountRules.passwordLength.upperBound),
                "code": .string(required: false, pattern: "^[0-9]{6}$"),
            ]),
            success: 201,
            answer: .object(properties: [
                "token": .string, "account": .string, "role": APISchemas.choice(AccountRole.self), "expiresAt": .string(format: .dateTime),
                "pending": .array(items: .string),
            ]),
            refusals: [401: "wrong name, password or code (or a code is needed)", 429: "the account is locked after 5 failures (Retry-After)"]
        ),
        Operation(
            method: .delete,
            path: "/v1/session",
            caller: .anyone,
            summary: "sign out: the session token presented (Authorization: Bearer) ends",
            success: 204,
            answer: nil,
            contentTypes: [],
            refusals: [401: "no bearer token"]
        ),
        Operation(
            method: .post,
            path: "/v1/account/password",
            caller: .account,
            summary: "choose your own password (the one-time password you were given works once)",
            body: APISchemas.closed([
                "current": .string(maxLength: AccountRules.passwordLength.upperBound),
                "new": .string(minLength: AccountRules.passwordLength.lowerBound, maxLength: AccountRules.passwordLength.upperBound),
            ]),
            success: 204,
            answer: nil,
            contentTypes: []
        ),
        Operation(
            method: .post,
            path: "/v1/account/totp",
            caller: .account,
            summary: "a new TOTP secret (and the URL an authenticator scans), in force once a code from it is confirmed",
            success: 201,
            answer: .object(properties: ["secret": .string, "url": .string]),
            refusals: [409: "TOTP is already enabled"]
        ),
        Operation(
            method: .post,
            path: "/v1/account/totp/confirm",
            caller: .account,
            summary: "confirm the TOTP secret with a code from the authenticator: from then on sign-in asks for a code",
            body: APISchemas.closed(["code": .string(pattern: "^[0-9]{6}$")]),
            success: 204,
            answer: nil,
            contentTypes: [],
            refusals: [409: "no secret to confirm, or TOTP already enabled"]
        ),
    ]

    private static let importSummary = JSONSchema.object(properties: ["created": .integer, "updated": .integer, "unchanged": .integer])

    private static func build(_ operation: Operation) -> OpenAPI.Operation {
        let error = JSONSchema.reference(.component(named: "Error"))
        // The dashboard answers its failures as pages, the API as SPEC's JSON error.
        let page = operation.contentTypes == [.html]
        func failure(_ description: String) -> Either<OpenAPI.Reference<OpenAPI.Response>, OpenAPI.Response> {
            .response(description: description, content: page ? [.html: body(.string)] : [.json: body(error)])
        }
        var responses: OrderedDictionary<OpenAPI.Response.StatusCode, Either<OpenAPI.Reference<OpenAPI.Response>, OpenAPI.Response>> = [:]
        var content: OpenAPI.Content.Map = [:]
        // JSON and YAML answers have the schema of what they hold once parsed (a YAML text is an object to a client).
        for type in operation.contentTypes { content[type] = body([.json, .yaml].contains(type) ? operation.answer : .string) }
        // A form's answer once saved is a redirect, with nothing in it.
        responses[.status(code: operation.success)] =
            operation.success == 303 ? .response(description: "done: see Location") : .response(description: "done", content: content)

        var parameters: OpenAPI.Parameter.Array = operation.query.map { parameter in
            .parameter(
                name: parameter.name,
                context: .query(required: parameter.required, schema: schema(of: parameter)),
                description: parameter.summary
            )
        }
        for (name, schema) in operation.pathParameters.sorted(by: { $0.key < $1.key }) {
            parameters.append(.parameter(name: name, context: .path(schema: schema)))
        }
        if operation.path.contains("{id}") {
            parameters.append(.parameter(name: "id", context: .path(schema: .string(format: .uuid)), description: "the record's id"))
            responses[400] = failure("the id is not a UUID, or the request is malformed")
            responses[404] = failure("no such record")
        }
        if !operation.query.isEmpty || operation.body != nil {
            responses[400] = failure("malformed JSON, an unknown field or parameter, or a wrong type")
            responses[422] = failure("a value or rule of the record is broken (rules that relate fields or records included); `field` names it")
        }
        if operation.body != nil { responses[413] = failure("the body is larger than the route takes") }
        switch operation.caller {
        case .anyone: break
        case .child: responses[401] = failure("missing or invalid token")
        case .reader, .writer, .admin, .auditor, .account:
            responses[401] = failure("missing or invalid token")
            responses[403] = failure("the token's account or role may not do this, or the account has a step to take first")
        }
        if operation.caller != .anyone {
            responses[429] = failure("too many failed tokens or sign-ins from this address: wait for Retry-After")
        }
        for (status, description) in operation.refusals.sorted(by: { $0.key < $1.key }) {
            if let answer = operation.answers[status] {
                responses[.status(code: status)] = .response(description: description, content: [.json: body(answer)])
            } else if status < 300 {
                responses[.status(code: status)] = .response(description: description, content: [.json: body(.object)])
            } else if status == 303 {
                responses[303] = .response(description: description)
            } else {
                responses[.status(code: status)] = failure(description)
            }
        }
        let security: [OpenAPI.SecurityRequirement] = operation.caller == .anyone ? [] : [[.component(named: "bearer"): []]]
        return OpenAPI.Operation(
            summary: operation.summary,
            parameters: parameters,
            requestBody: operation.body.map { OpenAPI.Request(content: [operation.bodyType: body($0)], required: operation.bodyType == .json) },
            responses: responses,
            security: security
        )
    }

    private static func body(_ schema: JSONSchema?) -> Either<OpenAPI.Reference<OpenAPI.Content>, OpenAPI.Content> {
        .b(OpenAPI.Content(schema: schema))
    }

    /// A query parameter's values as JSON Schema.
    private static func schema(of parameter: QueryParameter) -> JSONSchema {
        switch parameter.value {
        case .region: APISchemas.anyRegion.optionalSchemaObject()
        case .integer(let range):
            .integer(required: false, maximum: (range.upperBound, exclusive: false), minimum: (range.lowerBound, exclusive: false))
        case .choice(let values): .string(required: false, allowedValues: values.map { AnyCodable($0) })
        case .uuid: .string(format: .uuid, required: false)
        case .boolean: .boolean(required: false)
        case .cursor(let anyOrder): .string(required: false, pattern: ListCursor.pattern(anyOrder: anyOrder))
        case .token(let maxLength): .string(required: false, minLength: 1, maxLength: maxLength, pattern: "^[!-~]+$")
        case .date: APISchemas.date(required: false)
        case .personKey: .string(required: false, pattern: "^(p2)?[0-9a-f]{64}$")
        case .text(let maxLength): .string(required: false, minLength: 1, maxLength: maxLength)
        }
    }
}
