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
security: [{bearer: []}]
paths:
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
