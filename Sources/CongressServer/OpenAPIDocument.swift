/// The API document served at /openapi.yaml; a contract test checks it against the routes in both directions.
enum OpenAPIDocument {
    static let text = #"""
        openapi: 3.1.0
        info:
          title: Congress Registry node API
          version: "1"
          description: 'One node of the federated registry of people''s congresses (SPEC §10). Every /v1 route needs "Authorization: Bearer TOKEN": the read token for GET, the admin token for writes.'
        components:
          securitySchemes:
            bearer: {type: http, scheme: bearer}
          parameters:
            id: {name: id, in: path, required: true, schema: {type: string, format: uuid}}
            region: {name: region, in: query, description: region code prefix, schema: {type: string}}
            limit: {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000, default: 100}}
            cursor: {name: cursor, in: query, description: nextCursor of the previous page, schema: {type: string}}
            includeDeleted: {name: includeDeleted, in: query, schema: {type: boolean, default: false}}
          responses:
            BadRequest:
              description: malformed JSON, unknown field or wrong type
              content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
            Unauthorized:
              description: missing or invalid token
              content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
            Forbidden:
              description: read token used for a write, or a region outside this node's subtree
              content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
            NotFound:
              description: no such record
              content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
            Conflict:
              description: the record exists, belongs to another node, or changed meanwhile
              content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
            TooLarge:
              description: the body exceeds the limit
              content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
            Invalid:
              description: a rule of the record is broken
              content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
          schemas:
            Error:
              type: object
              required: [error]
              properties:
                error:
                  type: object
                  required: [code, message]
                  properties:
                    code: {type: string}
                    message: {type: string}
                    field: {type: [string, "null"]}
            Diagnostic:
              type: object
              properties:
                file: {type: string}
                line: {type: integer}
                column: {type: integer}
                severity: {enum: [error, warning]}
                message: {type: string}
            TopologyNode:
              type: object
              properties:
                code: {type: string}
                name: {type: string}
                level: {enum: [national, province, city, county, township]}
                url: {type: string}
                direct: {type: boolean}
                schedule: {type: string, description: "the sync schedule of the edge to the parent, e.g. 02:00 Asia/Shanghai"}
                children: {type: array, items: {$ref: "#/components/schemas/TopologyNode"}}
            TopologyInForce:
              type: object
              required: [node, hash, loadedAt, warnings, lastRejected, root]
              properties:
                node: {type: string}
                hash: {type: string, description: SHA-256 of the file in force}
                file: {type: [string, "null"], description: "the file reloaded on SIGHUP and on change"}
                loadedAt: {type: string, format: date-time}
                warnings: {type: array, items: {$ref: "#/components/schemas/Diagnostic"}}
                lastRejected:
                  type: [object, "null"]
                  properties:
                    at: {type: string, format: date-time}
                    hash: {type: string}
                    trigger: {enum: [SIGHUP, file change]}
                    errors: {type: array, items: {$ref: "#/components/schemas/Diagnostic"}}
                root: {$ref: "#/components/schemas/TopologyNode"}
            Meta:
              type: object
              properties:
                id: {type: string, format: uuid}
                origin: {type: string, readOnly: true}
                regionCode: {type: string}
                version: {type: integer, readOnly: true}
                updatedAt: {type: string, format: date-time, readOnly: true}
                deleted: {type: boolean, readOnly: true}
            Deputy:
              allOf:
                - {$ref: "#/components/schemas/Meta"}
                - type: object
                  required: [name, gender, level, congressCode, term, status, regionCode]
                  properties:
                    name: {type: string}
                    gender: {enum: [male, female]}
                    ethnicity: {type: string}
                    birthMonth: {type: string, pattern: "^[0-9]{4}-[0-9]{2}$"}
                    party: {type: string}
                    occupation: {type: string}
                    level: {enum: [national, province, city, county, township]}
                    congressCode: {type: string}
                    term: {type: integer, minimum: 1}
                    constituency: {type: string}
                    delegation: {type: string}
                    status: {enum: [in_office, resigned, recalled, terminated, suspended]}
                    phone: {type: string, description: "input in full; stored and returned masked"}
                    idNumber: {type: string, writeOnly: true, description: "checked (GB 11643), turned into personKey, never stored"}
                    personKey: {type: [string, "null"], readOnly: true}
            Station:
              allOf:
                - {$ref: "#/components/schemas/Meta"}
                - type: object
                  required: [name, type, regionCode]
                  properties:
                    name: {type: string}
                    type: {enum: [home, station, contact_point, online, industry, centre]}
                    address: {type: string}
                    coveredUnits: {type: array, items: {type: string, pattern: "^[0-9]{12}$"}}
                    staff:
                      type: array
                      items:
                        type: object
                        required: [role, name]
                        properties:
                          role: {enum: [head, deputy_head, liaison]}
                          name: {type: string}
                    standards:
                      type: object
                      properties:
                        site: {type: boolean}
                        staff: {type: boolean}
                        rules: {type: boolean}
                        activities: {type: boolean}
                        funds: {type: boolean}
                        equipment: {type: boolean}
                    status: {enum: [active, suspended, closed]}
                    openedOn: {type: string, format: date}
                    closedOn: {type: string, format: date}
            Assignment:
              allOf:
                - {$ref: "#/components/schemas/Meta"}
                - type: object
                  required: [deputyId, stationId, role]
                  properties:
                    deputyId: {type: string, format: uuid}
                    stationId: {type: string, format: uuid}
                    role: {enum: [resident, rotating]}
                    since: {type: string, format: date}
                    until: {type: string, format: date}
            Unit:
              allOf:
                - {$ref: "#/components/schemas/Meta"}
                - type: object
                  required: [code, name]
                  properties:
                    code: {type: string, pattern: "^[0-9]{12}$"}
                    name: {type: string}
                    urbanRuralClass: {enum: ["111", "112", "121", "122", "123", "210", "220"]}
            Training:
              allOf:
                - {$ref: "#/components/schemas/Meta"}
                - type: object
                  required: [title, startsOn, endsOn, mode, audience, venues]
                  properties:
                    title: {type: string}
                    organizer: {type: string, readOnly: true}
                    startsOn: {type: string, format: date}
                    endsOn: {type: string, format: date}
                    mode: {enum: [offline, online, hybrid]}
                    audience:
                      type: object
                      required: [levels, regionPrefix]
                      properties:
                        levels: {type: array, items: {enum: [national, province, city, county, township]}}
                        regionPrefix: {type: string}
                    venues:
                      type: array
                      items:
                        type: object
                        required: [kind, regionCode, name, capacity]
                        properties:
                          id: {type: string, format: uuid}
                          kind: {enum: [main, branch]}
                          regionCode: {type: string}
                          name: {type: string}
                          capacity: {type: integer, minimum: 1}
                    walkIns: {type: boolean, description: branch nodes may sign in deputies outside the audience (counted as walk-ins)}
            ImportSummary:
              type: object
              properties:
                created: {type: integer}
                updated: {type: integer}
                unchanged: {type: integer}
            DeputyList:
              type: object
              required: [items, nextCursor]
              properties:
                items: {type: array, items: {$ref: "#/components/schemas/Deputy"}}
                nextCursor: {type: [string, "null"]}
            StationList:
              type: object
              required: [items, nextCursor]
              properties:
                items: {type: array, items: {$ref: "#/components/schemas/Station"}}
                nextCursor: {type: [string, "null"]}
            AssignmentList:
              type: object
              required: [items, nextCursor]
              properties:
                items: {type: array, items: {$ref: "#/components/schemas/Assignment"}}
                nextCursor: {type: [string, "null"]}
            UnitList:
              type: object
              required: [items, nextCursor]
              properties:
                items: {type: array, items: {$ref: "#/components/schemas/Unit"}}
                nextCursor: {type: [string, "null"]}
            TrainingList:
              type: object
              required: [items, nextCursor]
              properties:
                items: {type: array, items: {$ref: "#/components/schemas/Training"}}
                nextCursor: {type: [string, "null"]}
            Change:
              type: object
              description: one record in its current state as it travels between nodes (tombstones too)
              required: [kind, id, origin, regionCode, version, updatedAt, deleted, body]
              properties:
                kind: {enum: [deputy, station, assignment, unit, training, attendance]}
                id: {type: string, format: uuid}
                origin: {type: string}
                regionCode: {type: string}
                version: {type: integer}
                updatedAt: {type: string, format: date-time}
                deleted: {type: boolean}
                body: {type: object, description: "the kind's fields, as stored (never an ID number)"}
            SyncBatch:
              type: object
              required: [protocol, schemaHash, topologyHash, sender, fromSeq, toSeq, changes]
              properties:
                protocol: {type: integer, description: the sync protocol version; parent and child must agree}
                schemaHash: {type: string, description: the database schema of the sender's release}
                topologyHash: {type: string, description: SHA-256 of the sender's topology file}
                sender: {type: string}
                fromSeq: {type: integer, description: first change-log seq covered (the acknowledged seq + 1)}
                toSeq: {type: integer, description: last change-log seq covered; an empty batch with toSeq = the acknowledged seq is a heartbeat}
                changes: {type: array, items: {$ref: "#/components/schemas/Change"}}
            SyncAck:
              type: object
              required: [acked, applied]
              properties:
                acked: {type: integer, description: the sender's checkpoint here; resume after it}
                applied: {type: integer, description: changes that altered something (older versions and replays do not)}
            SyncGap:
              allOf:
                - {$ref: "#/components/schemas/Error"}
                - type: object
                  properties:
                    expected: {type: integer, description: "the seq to resend from (error code gap)"}
            DirectivePage:
              type: object
              required: [since, toSeq, count, changes]
              properties:
                since: {type: integer}
                toSeq: {type: integer, description: "pass as since next time; equal to since when nothing is newer"}
                count: {type: integer}
                changes: {type: array, items: {$ref: "#/components/schemas/Change"}, description: trainings organised here or above that touch the child's subtree}
            SyncReport:
              type: object
              properties:
                parent: {type: [string, "null"]}
                batches: {type: integer}
                changes: {type: integer}
                applied: {type: integer}
                ackedSeq: {type: integer}
                rewinds: {type: integer}
                directives: {type: integer}
                directivesSeq: {type: integer}
                error: {type: [string, "null"]}
            SyncStatus:
              type: object
              required: [node, lastSeq, children]
              properties:
                node: {type: string}
                lastSeq: {type: integer, description: the last seq of this node's change log}
                parent:
                  type: [object, "null"]
                  properties:
                    code: {type: string}
                    url: {type: string}
                    schedule: {type: string}
                    nextRunAt: {type: string, format: date-time}
                    ackedSeq: {type: integer}
                    pending: {type: integer, description: change-log entries of this subtree not yet acknowledged}
                    lastAttemptAt: {type: string, format: date-time}
                    lastSuccessAt: {type: string, format: date-time}
                    lastError: {type: string}
                children:
                  type: array
                  items:
                    type: object
                    properties:
                      code: {type: string}
                      name: {type: string}
                      schedule: {type: string}
                      checkpoint: {type: integer}
                      lastBatchAt: {type: string, format: date-time}
                      batches: {type: integer}
                      changes: {type: integer}
                      stale: {type: boolean, description: no batch within the schedule's period plus a quarter of it (at most an hour)}
            SignIn:
              type: object
              required: [deputyId, venueId, mode]
              additionalProperties: false
              properties:
                deputyId: {type: string, format: uuid}
                venueId: {type: string, format: uuid}
                mode: {type: string, enum: [onsite, online]}
                signedInAt: {type: string, format: date-time, description: the time of the request when left out}
            Coverage:
              type: object
              required: [region, generatedAt, items]
              properties:
                region: {type: string}
                generatedAt: {type: string, format: date-time, description: when the counts were taken from the database}
                items:
                  type: array
                  description: the region, then its descendants in tree order down to the requested depth
                  items:
                    type: object
                    required: [code, name, level, depth, stations, units, townships, deputies, standards, training, freshness]
                    properties:
                      code: {type: string}
                      name: {type: string}
                      level: {type: string}
                      depth: {type: integer, description: levels below the requested region}
                      stations:
                        type: object
                        properties:
                          total: {type: integer, description: stations not deleted, any status}
                          active: {type: integer}
                          byType: {type: object, additionalProperties: {type: integer}}
                      units:
                        type: object
                        properties:
                          total: {type: integer}
                          covered: {type: integer, description: villages named by at least one active station}
                          ratio: {type: [number, "null"]}
                      townships:
                        type: object
                        properties:
                          total: {type: integer, description: township-level regions of the topology}
                          withStation: {type: integer, description: those with at least one active station}
                          ratio: {type: [number, "null"]}
                      deputies:
                        type: object
                        properties:
                          seats: {type: object, additionalProperties: {type: integer}, description: in-office mandates per level}
                          persons: {type: integer, description: distinct in-office persons by personKey}
                          assigned: {type: integer, description: in-office mandates with a current assignment to a station that is not closed}
                          assignedRatio: {type: [number, "null"]}
                      standards:
                        type: object
                        properties:
                          met: {type: integer, description: active stations meeting all six standards}
                          ratio: {type: [number, "null"]}
                      training:
                        type: object
                        properties:
                          trained: {type: integer, description: persons who attended a training through an in-office mandate}
                          persons: {type: integer}
                          ratio: {type: [number, "null"]}
                      freshness:
                        type: object
                        properties:
                          nodes: {type: integer, description: nodes other than this one whose records the figures include}
                          stale: {type: array, items: {type: string}, description: those late on any edge between them and this node}
                          oldestSync: {type: [string, "null"], format: date-time, description: the oldest time up to which their records are here}
                          partial: {type: boolean, description: a stale node's records are part of the figures}
        security: [{bearer: []}]
        paths:
          /:
            get:
              summary: The HTML dashboard (coverage tree with ratio bars, stale nodes, sync health, trainings under way), in Chinese
              description: >-
                Signs a browser in with ?token= (the read or admin token), answered by a redirect that sets an HttpOnly cookie;
                a Bearer header works too. Without a valid token it answers a sign-in page.
              security: []
              parameters:
                - {name: region, in: query, schema: {type: string}}
                - {name: depth, in: query, schema: {type: integer, minimum: 0, maximum: 4, default: 2}}
                - {name: token, in: query, schema: {type: string}}
              responses:
                "200": {description: the dashboard, content: {text/html: {schema: {type: string}}}}
                "303": {description: signed in; the cookie is set and the token left out of the address}
                "401": {description: the sign-in page, content: {text/html: {schema: {type: string}}}}
          /health:
            get:
              summary: Liveness and database reachability
              security: []
              responses:
                "200": {description: healthy}
                "503": {description: the database is unreachable}
          /metrics:
            get:
              summary: Prometheus metrics
              security: []
              responses:
                "200": {description: Prometheus text format, content: {text/plain: {}}}
          /openapi.yaml:
            get:
              summary: This document
              security: []
              responses:
                "200": {description: OpenAPI 3.1, content: {application/yaml: {}}}
          /v1/sync/batches:
            post:
              summary: A child pushes a batch of its change log (bearer = the child's parent token); applied all or nothing
              requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/SyncBatch"}}}}
              responses:
                "200": {description: "applied, or acknowledged without effect (a replay or heartbeat)", content: {application/json: {schema: {$ref: "#/components/schemas/SyncAck"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {description: "a change outside the sender's subtree, or a sender that is not this node's child; nothing applied", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
                "409": {description: "gap (resend from expected), schema_mismatch or topology_mismatch; nothing applied", content: {application/json: {schema: {$ref: "#/components/schemas/SyncGap"}}}}
                "413": {$ref: "#/components/responses/TooLarge"}
                "426": {description: "protocol_mismatch: the message says which node to upgrade", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
          /v1/sync/directives:
            get:
              summary: A child pulls the trainings that concern its subtree (bearer = the child's parent token)
              parameters:
                - {name: since, in: query, description: "this node's change-log seq the child has received up to (toSeq of its last page)", schema: {type: integer, minimum: 0, default: 0}}
              responses:
                "200": {description: a page of directives, content: {application/json: {schema: {$ref: "#/components/schemas/DirectivePage"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {description: the token's node does not sync with this node, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
          /v1/sync/status:
            get:
              summary: The parent edge (acknowledged seq, pending changes, last success and error) and each child (checkpoint, staleness)
              responses:
                "200": {description: sync health, content: {application/json: {schema: {$ref: "#/components/schemas/SyncStatus"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
          /v1/sync/run:
            post:
              summary: Sync with the parent now (admin); waits for a run already under way
              responses:
                "200": {description: the run's report, content: {application/json: {schema: {$ref: "#/components/schemas/SyncReport"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "502": {description: the parent refused or could not be reached; the report's error says why, content: {application/json: {schema: {$ref: "#/components/schemas/SyncReport"}}}}
          /v1/coverage:
            get:
              summary: Coverage statistics of a region and its descendants (SPEC §8), from the replicated records and the topology in force
              parameters:
                - {name: region, in: query, schema: {type: string}, description: "a region in this node's subtree (default: the node's own)"}
                - {name: depth, in: query, schema: {type: integer, minimum: 0, maximum: 4, default: 1}, description: levels below the region}
                - {name: format, in: query, schema: {type: string, enum: [json, csv], default: json}}
              responses:
                "200":
                  description: one item per region; as CSV, one row per item with the nested figures as columns
                  content:
                    application/json: {schema: {$ref: "#/components/schemas/Coverage"}}
                    text/csv: {schema: {type: string}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "404": {$ref: "#/components/responses/NotFound"}
                "422": {$ref: "#/components/responses/Invalid"}
          /v1/topology:
            get:
              summary: The topology in force, its hash, and the last reload that was refused
              responses:
                "200": {description: the topology tree, content: {application/json: {schema: {$ref: "#/components/schemas/TopologyInForce"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
          /v1/deputies:
            get:
              summary: List deputies (one record per mandate), ordered by region and id
              parameters:
                - {$ref: "#/components/parameters/region"}
                - {$ref: "#/components/parameters/limit"}
                - {$ref: "#/components/parameters/cursor"}
                - {$ref: "#/components/parameters/includeDeleted"}
                - {name: level, in: query, schema: {type: string}}
                - {name: status, in: query, schema: {type: string}}
                - {name: congress, in: query, schema: {type: string}}
                - {name: personKey, in: query, schema: {type: string}}
              responses:
                "200": {description: a page, content: {application/json: {schema: {$ref: "#/components/schemas/DeputyList"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
            post:
              summary: Create a deputy
              requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/Deputy"}}}}
              responses:
                "201": {description: created, content: {application/json: {schema: {$ref: "#/components/schemas/Deputy"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "409": {$ref: "#/components/responses/Conflict"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "422": {$ref: "#/components/responses/Invalid"}
          /v1/deputies/{id}:
            parameters: [{$ref: "#/components/parameters/id"}]
            get:
              summary: Read one
              responses:
                "200": {description: the record, content: {application/json: {schema: {$ref: "#/components/schemas/Deputy"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
            put:
              summary: Replace (send version to refuse lost updates)
              requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/Deputy"}}}}
              responses:
                "200": {description: the record, content: {application/json: {schema: {$ref: "#/components/schemas/Deputy"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "409": {$ref: "#/components/responses/Conflict"}
                "400": {$ref: "#/components/responses/BadRequest"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "422": {$ref: "#/components/responses/Invalid"}
            delete:
              summary: Delete (leaves a tombstone that replicates)
              responses:
                "200": {description: the record, content: {application/json: {schema: {$ref: "#/components/schemas/Deputy"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "409": {$ref: "#/components/responses/Conflict"}
          /v1/stations:
            get:
              summary: List liaison stations and homes, ordered by region and id
              parameters:
                - {$ref: "#/components/parameters/region"}
                - {$ref: "#/components/parameters/limit"}
                - {$ref: "#/components/parameters/cursor"}
                - {$ref: "#/components/parameters/includeDeleted"}
                - {name: type, in: query, schema: {type: string}}
                - {name: status, in: query, schema: {type: string}}
              responses:
                "200": {description: a page, content: {application/json: {schema: {$ref: "#/components/schemas/StationList"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
            post:
              summary: Create a station
              requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/Station"}}}}
              responses:
                "201": {description: created, content: {application/json: {schema: {$ref: "#/components/schemas/Station"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "409": {$ref: "#/components/responses/Conflict"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "422": {$ref: "#/components/responses/Invalid"}
          /v1/stations/{id}:
            parameters: [{$ref: "#/components/parameters/id"}]
            get:
              summary: Read one
              responses:
                "200": {description: the record, content: {application/json: {schema: {$ref: "#/components/schemas/Station"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
            put:
              summary: Replace (send version to refuse lost updates)
              requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/Station"}}}}
              responses:
                "200": {description: the record, content: {application/json: {schema: {$ref: "#/components/schemas/Station"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "409": {$ref: "#/components/responses/Conflict"}
                "400": {$ref: "#/components/responses/BadRequest"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "422": {$ref: "#/components/responses/Invalid"}
            delete:
              summary: Delete (leaves a tombstone that replicates)
              responses:
                "200": {description: the record, content: {application/json: {schema: {$ref: "#/components/schemas/Station"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "409": {$ref: "#/components/responses/Conflict"}
          /v1/assignments:
            get:
              summary: List deputies entering stations, ordered by region and id
              parameters:
                - {$ref: "#/components/parameters/region"}
                - {$ref: "#/components/parameters/limit"}
                - {$ref: "#/components/parameters/cursor"}
                - {$ref: "#/components/parameters/includeDeleted"}
                - {name: deputyId, in: query, schema: {type: string}}
                - {name: stationId, in: query, schema: {type: string}}
              responses:
                "200": {description: a page, content: {application/json: {schema: {$ref: "#/components/schemas/AssignmentList"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
            post:
              summary: Create a assignment
              requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/Assignment"}}}}
              responses:
                "201": {description: created, content: {application/json: {schema: {$ref: "#/components/schemas/Assignment"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "409": {$ref: "#/components/responses/Conflict"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "422": {$ref: "#/components/responses/Invalid"}
          /v1/assignments/{id}:
            parameters: [{$ref: "#/components/parameters/id"}]
            get:
              summary: Read one
              responses:
                "200": {description: the record, content: {application/json: {schema: {$ref: "#/components/schemas/Assignment"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
            put:
              summary: Replace (send version to refuse lost updates)
              requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/Assignment"}}}}
              responses:
                "200": {description: the record, content: {application/json: {schema: {$ref: "#/components/schemas/Assignment"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "409": {$ref: "#/components/responses/Conflict"}
                "400": {$ref: "#/components/responses/BadRequest"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "422": {$ref: "#/components/responses/Invalid"}
            delete:
              summary: Delete (leaves a tombstone that replicates)
              responses:
                "200": {description: the record, content: {application/json: {schema: {$ref: "#/components/schemas/Assignment"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "409": {$ref: "#/components/responses/Conflict"}
          /v1/units:
            get:
              summary: List villages and communities, ordered by region and id
              parameters:
                - {$ref: "#/components/parameters/region"}
                - {$ref: "#/components/parameters/limit"}
                - {$ref: "#/components/parameters/cursor"}
                - {$ref: "#/components/parameters/includeDeleted"}
              responses:
                "200": {description: a page, content: {application/json: {schema: {$ref: "#/components/schemas/UnitList"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
            post:
              summary: Create a unit
              requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/Unit"}}}}
              responses:
                "201": {description: created, content: {application/json: {schema: {$ref: "#/components/schemas/Unit"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "409": {$ref: "#/components/responses/Conflict"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "422": {$ref: "#/components/responses/Invalid"}
          /v1/units/{id}:
            parameters: [{$ref: "#/components/parameters/id"}]
            get:
              summary: Read one
              responses:
                "200": {description: the record, content: {application/json: {schema: {$ref: "#/components/schemas/Unit"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
            put:
              summary: Replace (send version to refuse lost updates)
              requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/Unit"}}}}
              responses:
                "200": {description: the record, content: {application/json: {schema: {$ref: "#/components/schemas/Unit"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "409": {$ref: "#/components/responses/Conflict"}
                "400": {$ref: "#/components/responses/BadRequest"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "422": {$ref: "#/components/responses/Invalid"}
            delete:
              summary: Delete (leaves a tombstone that replicates)
              responses:
                "200": {description: the record, content: {application/json: {schema: {$ref: "#/components/schemas/Unit"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "409": {$ref: "#/components/responses/Conflict"}
          /v1/trainings:
            get:
              summary: List training events, ordered by region and id
              parameters:
                - {$ref: "#/components/parameters/region"}
                - {$ref: "#/components/parameters/limit"}
                - {$ref: "#/components/parameters/cursor"}
                - {$ref: "#/components/parameters/includeDeleted"}
              responses:
                "200": {description: a page, content: {application/json: {schema: {$ref: "#/components/schemas/TrainingList"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
            post:
              summary: Create a training
              requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/Training"}}}}
              responses:
                "201": {description: created, content: {application/json: {schema: {$ref: "#/components/schemas/Training"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "409": {$ref: "#/components/responses/Conflict"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "422": {$ref: "#/components/responses/Invalid"}
          /v1/trainings/{id}/attendance:
            parameters: [{$ref: "#/components/parameters/id"}]
            post:
              summary: Sign deputies in (admin); one object, or an array for a bulk sign-in (all or nothing). Idempotent per person
              description: >-
                A person already signed in for the training (by any of their mandates) is left as is. A deputy outside the
                audience is refused unless the training allows walk-ins (walkIns true); the mode must fit the training's.
              requestBody:
                content:
                  application/json:
                    schema:
                      oneOf:
                        - {$ref: "#/components/schemas/SignIn"}
                        - {type: array, items: {$ref: "#/components/schemas/SignIn"}}
              responses:
                "201": {description: signed in; the attendance record}
                "200": {description: "already signed in (the record held), or for an array: {created, unchanged}"}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "404": {$ref: "#/components/responses/NotFound"}
                "422": {$ref: "#/components/responses/Invalid"}
            get:
              summary: The training's sign-ins held at this node
              responses:
                "200": {description: "{items, nextCursor: null}"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
          /v1/trainings/{id}/roster:
            parameters: [{$ref: "#/components/parameters/id"}, {name: format, in: query, schema: {type: string, enum: [json, csv]}}]
            get:
              summary: Who is expected where, from the deputies held here; overflow reported; CSV lists every person
              responses:
                "200": {description: "{trainingId, audience, venues: [{venueId, kind, name, regionCode, capacity, expected, online, overflowIn}], overflow: [{from, to, persons}], unplaced}"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
          /v1/trainings/{id}/progress:
            parameters: [{$ref: "#/components/parameters/id"}]
            get:
              summary: Per venue expected / signed in / online; persons covered of the audience; absentees; walk-ins
              responses:
                "200": {description: "{trainingId, audience, covered, venues: [{venueId, name, regionCode, expected, signedIn, online}], absentees, walkIns}"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
          /v1/trainings/{id}/progress/absentees:
            parameters: [{$ref: "#/components/parameters/id"}, {name: format, in: query, schema: {type: string, enum: [json, csv]}}]
            get:
              summary: The persons of the audience not signed in, with their expected venue, for make-up sessions (补训)
              responses:
                "200": {description: "{items: [{deputyId, name, regionCode, venueId, venue}]}, or CSV"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
          /v1/trainings/{id}:
            parameters: [{$ref: "#/components/parameters/id"}]
            get:
              summary: Read one
              responses:
                "200": {description: the record, content: {application/json: {schema: {$ref: "#/components/schemas/Training"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
            put:
              summary: Replace (send version to refuse lost updates)
              requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/Training"}}}}
              responses:
                "200": {description: the record, content: {application/json: {schema: {$ref: "#/components/schemas/Training"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "409": {$ref: "#/components/responses/Conflict"}
                "400": {$ref: "#/components/responses/BadRequest"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "422": {$ref: "#/components/responses/Invalid"}
            delete:
              summary: Delete (leaves a tombstone that replicates)
              responses:
                "200": {description: the record, content: {application/json: {schema: {$ref: "#/components/schemas/Training"}}}}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "409": {$ref: "#/components/responses/Conflict"}
          /v1/deputies/import:
            post:
              summary: Bulk import, all or nothing; items with a known id replace what is stored
              requestBody: {required: true, content: {application/json: {schema: {type: array, items: {$ref: "#/components/schemas/Deputy"}}}}}
              responses:
                "200": {description: what the import did, content: {application/json: {schema: {$ref: "#/components/schemas/ImportSummary"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "409": {$ref: "#/components/responses/Conflict"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "422": {$ref: "#/components/responses/Invalid"}
          /v1/units/import:
            post:
              summary: Bulk import, all or nothing; items with a known id or code replace what is stored
              requestBody: {required: true, content: {application/json: {schema: {type: array, items: {$ref: "#/components/schemas/Unit"}}}}}
              responses:
                "200": {description: what the import did, content: {application/json: {schema: {$ref: "#/components/schemas/ImportSummary"}}}}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "409": {$ref: "#/components/responses/Conflict"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "422": {$ref: "#/components/responses/Invalid"}
        """#
}
