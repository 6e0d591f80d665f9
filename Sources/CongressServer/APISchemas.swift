import CongressCore
import OpenAPIKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// JSON Schemas of what the API takes and answers, stated from the definitions that decode and check requests: the
/// enums' cases, the types' text limits, the widths of region codes (by level, inside this node's subtree), the
/// formats of dates and times. Rules that relate fields or records (a congress code of the deputy's level, the one main
/// venue, an existing station) are not schema: they answer 422 with the field named.
struct APISchemas {
    /// The node whose document this is: codes a record may carry lie in its subtree.
    let node: RegionCode

    // MARK: Values

    /// A required text: at least one character that is not white space, at most `maxLength`.
    static func text(_ maxLength: Int, required: Bool = true) -> JSONSchema {
        .string(required: required, minLength: 1, maxLength: maxLength, pattern: required ? #"\S"# : nil)
    }

    static func choice<Choice: RawRepresentable & CaseIterable>(_ type: Choice.Type, required: Bool = true) -> JSONSchema
    where Choice.RawValue == String {
        .string(required: required, allowedValues: Choice.allCases.map { AnyCodable($0.rawValue) })
    }

    static func uuid(required: Bool = true) -> JSONSchema { .string(format: .uuid, required: required) }

    /// `YYYY-MM-DD` between the years CalendarDate takes.
    static func date(required: Bool = true) -> JSONSchema {
        .string(format: .date, required: required, pattern: #"^(19\d\d|2[01]\d\d|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"#)
    }

    /// ISO 8601 with seconds and a zone, as Timestamp reads it.
    static func time(required: Bool = true) -> JSONSchema {
        .string(
            format: .dateTime,
            required: required,
            pattern:
                #"^(19\d\d|20\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,3})?(Z|[+-](0\d|1[0-3]):[0-5]\d)$"#
        )
    }

    /// Any region code (a list's `?region=` prefix, a coverage query's region).
    static let anyRegion: JSONSchema = .string(pattern: "^" + RegionCode.pattern + "$")

    /// A code of one of `widths` (0 for `CN`, 12 for a village) inside this node's subtree.
    func region(widths: Set<Int>, required: Bool = true, description: String? = nil) -> JSONSchema {
        // A width this node cannot hold still gets a pattern nothing matches, so the document stays truthful.
        let pattern = node.pattern(widths: widths).map { "^" + $0 + "$" } ?? "^$.^"
        return .string(required: required, description: description, pattern: pattern)
    }

    /// Codes of every width in this node's subtree (a deputy's residence, a station's host region).
    func regionInSubtree(required: Bool = true) -> JSONSchema { region(widths: [0, 2, 4, 6, 9, 12], required: required) }

    /// A village/community unit code in this node's subtree.
    func unitCode(required: Bool = true) -> JSONSchema { region(widths: [RegionCode.unitWidth], required: required) }

    /// The levels whose congresses lie in this node's subtree, each with the codes of its congresses.
    var congresses: [(level: Level, code: JSONSchema)] {
        Level.allCases.compactMap { level in
            let width = level.codeWidth ?? 0
            guard node.isNation || width >= node.rawValue.count else { return nil }
            return (level, region(widths: [width]))
        }
    }

    // MARK: Records

    /// The fields every record carries, set by the node (they may be sent back unchanged).
    static let metaProperties: OrderedDictionary<String, JSONSchema> = [
        "id": uuid(),
        "origin": .string(),
        "regionCode": .string(),
        "version": .integer(minimum: (0, exclusive: false)),
        "updatedAt": .string(format: .dateTime),
        "deleted": .boolean,
        "formerRegionCodes": .array(required: false, description: "the codes of a re-attributed record's region before (SPEC §15)", items: .string()),
    ]

    /// What a client sends to create or replace a record of `kind`.
    func input(_ kind: RecordKind) -> JSONSchema {
        // What a GET returned may be sent back: `id` must match, `version` guards against a lost update, the rest is
        // ignored.
        let ignored = JSONSchema.fragment(required: false, description: "read-only: ignored on input")
        let echoed: OrderedDictionary<String, JSONSchema> = [
            "id": Self.uuid(required: false),
            "version": .integer(
                required: false,
                maximum: (Int(RecordInput<Unit>.versions.upperBound), exclusive: false),
                minimum: (Int(RecordInput<Unit>.versions.lowerBound), exclusive: false)
            ),
            "origin": ignored,
            "updatedAt": ignored,
            "deleted": ignored,
            "formerRegionCodes": ignored,
        ]
        switch kind {
        case .deputy:
            var properties = echoed + deputyProperties(output: false)
            properties["regionCode"] = regionInSubtree()
            properties["contactCode"] = ignored
            properties["idNumber"] = .string(
                required: false,
                description: "national ID number (GB 11643, check digit verified): input only, turned into personKey",
                pattern: #"^\d{6}(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dXx]$"#
            )
            // The congress code's width follows the level: one alternative per level this node holds.
            let byLevel = congresses.map { congress in
                JSONSchema.object(
                    properties: [
                        "level": .string(allowedValues: [AnyCodable(congress.level.rawValue)]),
                        "congressCode": congress.code,
                    ]
                )
            }
            return .all(of: [Self.closed(properties), .one(of: byLevel)])
        case .station:
            var properties = echoed + stationProperties(output: false)
            properties["regionCode"] = regionInSubtree()
            properties["contactCode"] = ignored
            return Self.closed(properties)
        case .assignment:
            return Self.closed(echoed + Self.assignmentProperties)
        case .unit:
            var properties = echoed + unitProperties
            properties["regionCode"] = unitCode(required: false)
            return Self.closed(properties)
        case .training:
            var properties = echoed + trainingProperties(output: false)
            properties["regionCode"] = region(
                widths: [node.isNation ? 0 : node.rawValue.count],
                required: false,
                description: "the organizing node's own code"
            )
            return Self.closed(properties)
        case .attendance:
            return Self.closed(signInProperties)
        case .activity:
            var properties = echoed + Self.activityProperties(output: false)
            properties["regionCode"] = regionInSubtree()
            return Self.closed(properties)
        case .group:
            var properties = echoed + Self.groupProperties
            properties["regionCode"] = regionInSubtree()
            properties["congressCode"] = region(widths: Set(congresses.map { $0.level.codeWidth ?? 0 }))
            return Self.closed(properties)
        case .caseRecord:
            var properties = echoed + Self.caseProperties(output: false)
            properties["regionCode"] = regionInSubtree()
            properties["constituent"] = Self.closed(
                [
                    "name": .string(required: false, maxLength: ConstituentContact.nameLimit),
                    "phone": .string(required: false, description: "empty: none", pattern: #"^(\+?[0-9][0-9 -]{5,20}[0-9])?$"#),
                ],
                required: false
            ).with(description: "input only: stored encrypted at this node, never replicated, shown only to its editors")
            return Self.closed(properties)
        case .caseEvent:
            return Self.closed(Self.caseEventInput)
        }
    }

    /// Beside a deputy or a station: the code of its public contact page, where the node serves one.
    static let contactCodeProperty: OrderedDictionary<String, JSONSchema> = [
        "contactCode": .string(
            required: false,
            description: "the code of its public contact page (/c/CODE, 码上约代表), made by the node on first need; never replicated",
            pattern: ContactPage.codePattern
        )
    ]

    /// A stored record of `kind` as the API returns it.
    func output(_ kind: RecordKind) -> JSONSchema {
        let body: OrderedDictionary<String, JSONSchema> =
            switch kind {
            case .deputy: deputyProperties(output: true) + Self.contactCodeProperty
            case .station: stationProperties(output: true) + Self.contactCodeProperty
            case .assignment: Self.assignmentProperties
            case .unit: unitProperties
            case .training: trainingProperties(output: true)
            case .attendance:
                signInProperties + ["walkIn": .boolean(required: false), "signedInAt": Self.time()]
            case .activity: Self.activityProperties(output: true)
            case .group: Self.groupProperties
            case .caseRecord:
                Self.caseProperties(output: true) + Self.caseStatusProperties
                    + ["constituent": .object(required: false, description: "for editors of the receiving node only; each reading is audited")]
            case .caseEvent: Self.caseEventProperties(output: true)
            }
        return .object(properties: Self.metaProperties + body)
    }

    private func deputyProperties(output: Bool) -> OrderedDictionary<String, JSONSchema> {
        typealias Limit = Deputy.Limit
        var properties: OrderedDictionary<String, JSONSchema> = [
            "name": Self.text(Limit.name),
            "gender": Self.choice(Deputy.Gender.self),
            "ethnicity": .string(required: false, maxLength: Limit.ethnicity),
            "birthMonth": .string(required: false, pattern: #"^(19\d\d|20\d\d|2100)-(0[1-9]|1[0-2])$"#),
            "party": .string(required: false, maxLength: Limit.party),
            "occupation": .string(required: false, maxLength: Limit.occupation),
            "level": Self.choice(Level.self),
            "congressCode": Self.anyRegion,
            "term": .integer(maximum: (Limit.terms.upperBound, exclusive: false), minimum: (Limit.terms.lowerBound, exclusive: false)),
            "constituency": .string(required: false, maxLength: Limit.constituency),
            "delegation": .string(required: false, maxLength: Limit.delegation),
            "status": Self.choice(Deputy.Status.self),
            // 7 to 15 digits, spaces and dashes allowed; returned masked (138****5678), which may be sent back.
            "phone": .string(required: false, pattern: #"^[0-9]{3}[0-9*]{0,8}[0-9]{4}$"#),
        ]
        properties["personKey"] =
            output
            ? .string(
                required: false,
                description: "HMAC-SHA256 of the ID number under the province key; shown to editors, admins and the admin token only"
            )
            : .string(required: false, description: "read-only: derived from idNumber, ignored on input")
        return properties
    }

    private func stationProperties(output: Bool) -> OrderedDictionary<String, JSONSchema> {
        typealias Limit = Station.Limit
        var standards: OrderedDictionary<String, JSONSchema> = [:]
        for standard in ["site", "staff", "rules", "activities", "funds", "equipment"] { standards[standard] = .boolean(required: output) }
        return [
            "name": Self.text(Limit.name),
            "type": Self.choice(Station.StationType.self),
            "address": .string(required: false, maxLength: Limit.address),
            "coveredUnits": .array(required: output, uniqueItems: true, items: unitCode()),
            "staff": .array(
                required: output,
                items: Self.closed(["role": Self.choice(Station.StaffMember.Role.self), "name": Self.text(Limit.staffName)])
            ),
            "standards": Self.closed(standards, required: output),
            "status": Self.choice(Station.Status.self, required: output),
            "openedOn": Self.date(required: false),
            "closedOn": Self.date(required: false),
        ]
    }

    private static let assignmentProperties: OrderedDictionary<String, JSONSchema> = [
        "deputyId": uuid(),
        "stationId": uuid(),
        "role": choice(Assignment.Role.self),
        "since": date(required: false),
        "until": date(required: false),
    ]

    private static func activityProperties(output: Bool) -> OrderedDictionary<String, JSONSchema> {
        typealias Limit = Activity.Limit
        func count(_ range: ClosedRange<Int>, _ description: String) -> JSONSchema {
            .integer(
                required: output,
                description: description,
                maximum: (range.upperBound, exclusive: false),
                minimum: (range.lowerBound, exclusive: false)
            )
        }
        return [
            "kind": choice(Activity.Kind.self),
            "title": text(Limit.title),
            "on": date(),
            "halfDays": count(Limit.halfDays, "duration in half-days (default 1)"),
            "stationId": uuid(required: false),
            "groupId": uuid(required: false),
            "participants": .array(
                description: "in-office mandates this node can see: of its subtree, or assigned to one of its stations; each once",
                minItems: Limit.participants.lowerBound,
                maxItems: Limit.participants.upperBound,
                uniqueItems: true,
                items: uuid()
            ),
            "constituentsMet": count(Limit.constituentsMet, "people received (default 0)"),
            "summary": .string(required: false, maxLength: Limit.summary),
            "confirmed": .boolean(
                required: output,
                description: "set by an editor of the recording node; only confirmed activities count, and they cannot lie in the future"
            ),
        ]
    }

    private static func caseProperties(output: Bool) -> OrderedDictionary<String, JSONSchema> {
        typealias Limit = Case.Limit
        return [
            "kind": choice(CaseKind.self),
            "channel": choice(Case.Channel.self),
            // Left behind on the way up: an upper node holds a case without them.
            "subject": output ? .string(required: false) : text(Limit.subject),
            "content": output ? .string(required: false) : text(Limit.content),
            "category": .string(required: false, maxLength: Limit.category),
            "deputyIds": .array(
                required: output,
                description: "an opinion's receiving deputy (at most one); a suggestion's lead deputy first, then the co-signers",
                maxItems: Limit.deputies.upperBound,
                uniqueItems: true,
                items: uuid()
            ),
            "stationId": uuid(required: false),
            "wantsMeeting": .boolean(required: false),
            "complex": .boolean(required: false, description: "a suggestion 涉及面广、处理难度大: six months instead of three"),
            "registeredOn": date(required: output),
        ]
    }

    /// A case's status, derived from its events (SPEC Appendix B's output fields).
    private static let caseStatusProperties: OrderedDictionary<String, JSONSchema> = [
        "state": choice(CaseState.self),
        "closedAs": choice(CaseClosing.self, required: false),
        "grade": choice(SuggestionGrade.self, required: false),
        "supervised": .boolean,
        "consultedOn": date(required: false),
        "handler": .string(description: "the node handling the case"),
        "units": .array(description: "handling units, the lead unit first", items: .string),
        "dueOn": date(required: false),
        "overdue": .boolean,
        "transferredTo": .string(required: false),
        "satisfaction": choice(Satisfaction.self, required: false),
        "repliedOn": date(required: false),
        "closedOn": date(required: false),
    ]

    /// What `POST /v1/cases/{id}/events` takes.
    static var caseEventInput: OrderedDictionary<String, JSONSchema> { caseEventProperties(output: false) }

    private static func caseEventProperties(output: Bool) -> OrderedDictionary<String, JSONSchema> {
        typealias Limit = CaseEvent.Limit
        var properties: OrderedDictionary<String, JSONSchema> = [
            "action": choice(CaseAction.self),
            "units": .array(
                required: false,
                description: "for assign: the handling units, the lead unit (主办) first",
                minItems: Limit.units.lowerBound,
                maxItems: Limit.units.upperBound,
                items: text(Limit.unit)
            ),
            "to": .string(required: false, description: "for transfer: the node above this one", pattern: "^" + RegionCode.pattern + "$"),
            "text": .string(required: false, maxLength: Limit.text),
            "grade": choice(SuggestionGrade.self, required: false),
            "satisfaction": choice(Satisfaction.self, required: false),
            "on": date(required: false),
        ]
        if output {
            properties["caseId"] = uuid()
            properties["subject"] = .string(required: false)
            properties["at"] = time()
        }
        return properties
    }

    private static let groupProperties: OrderedDictionary<String, JSONSchema> = [
        "name": text(DeputyGroup.Limit.name),
        "kind": choice(DeputyGroup.Kind.self),
        "congressCode": anyRegion,
        "members": .array(
            description: "in-office mandates of the group's congress, each once; at most one leader",
            minItems: DeputyGroup.Limit.members.lowerBound,
            maxItems: DeputyGroup.Limit.members.upperBound,
            items: closed(["deputyId": uuid(), "role": choice(DeputyGroup.Member.Role.self)])
        ),
    ]

    private var unitProperties: OrderedDictionary<String, JSONSchema> {
        [
            "code": unitCode(),
            "name": Self.text(Unit.Limit.name),
            "urbanRuralClass": .string(required: false, allowedValues: Unit.urbanRuralClasses.sorted().map { AnyCodable($0) }),
        ]
    }

    private func trainingProperties(output: Bool) -> OrderedDictionary<String, JSONSchema> {
        typealias Limit = Training.Limit
        let venue = Self.closed([
            "id": Self.uuid(required: output),
            "kind": Self.choice(Training.Venue.Kind.self),
            "regionCode": regionInSubtree(),
            "name": Self.text(Limit.venueName),
            "capacity": .integer(maximum: (Int(Int32.max), exclusive: false), minimum: (1, exclusive: false)),
        ])
        return [
            "title": Self.text(Limit.title),
            "organizer": output
                ? .string(description: "the organizing node")
                : Self.anyRegion.optionalSchemaObject().with(description: "set by the node: ignored on input"),
            "startsOn": Self.date(),
            "endsOn": Self.date(),
            "mode": Self.choice(Training.Mode.self),
            "audience": Self.closed([
                // A level named twice counts once: the node keeps each level once, in order.
                "levels": .array(minItems: 1, items: Self.choice(Level.self)),
                "regionPrefix": regionInSubtree(),
            ]),
            "venues": .array(minItems: 1, items: venue),
            "walkIns": .boolean(required: false),
        ]
    }

    /// One sign-in as a branch node sends it (`POST /v1/trainings/{id}/attendance`).
    var signInProperties: OrderedDictionary<String, JSONSchema> {
        [
            "deputyId": Self.uuid(),
            "venueId": Self.uuid(),
            "mode": Self.choice(Attendance.Mode.self),
            "signedInAt": Self.time(required: false),
        ]
    }

    /// An object that refuses members it does not list (the API answers 400 naming an unknown field). A member that may
    /// be left out may also be null: the decoder takes null as absent.
    static func closed(_ properties: OrderedDictionary<String, JSONSchema>, required: Bool = true) -> JSONSchema {
        var members: OrderedDictionary<String, JSONSchema> = [:]
        for (name, schema) in properties {
            // A member of any type (ignored on input) takes null as it is.
            guard !schema.required, schema.jsonType != nil else {
                members[name] = schema
                continue
            }
            // An enum lists every value it takes: null has to be one of them, or a validator refuses it all the same.
            let nullable = schema.nullableSchemaObject()
            members[name] = schema.allowedValues.map { nullable.with(allowedValues: $0 + [nil]) } ?? nullable
        }
        return .object(required: required, properties: members, additionalProperties: .a(false))
    }

    // MARK: Replication

    /// A child's batch (SPEC §7): the header the parent checks first, then the changes.
    static var batch: JSONSchema {
        let sequence = JSONSchema.integer(maximum: (Int(Int64.max), exclusive: false), minimum: (0, exclusive: false))
        let change = JSONSchema.object(
            properties: [
                "kind": choice(RecordKind.self),
                "id": uuid(),
                "origin": anyRegion,
                "regionCode": anyRegion,
                "version": sequence,
                "updatedAt": time(),
                "deleted": .boolean,
                "body": .object(required: false, nullable: true),
                "epoch": .integer(
                    required: false,
                    nullable: true,
                    description: "the record's ownership epoch (SPEC §15)",
                    minimum: (0, exclusive: false)
                ),
                "formerRegionCodes": .array(required: false, nullable: true, items: anyRegion),
                "handedOverBy": .string(required: false, nullable: true, pattern: "^" + RegionCode.pattern + "$"),
            ]
        )
        // A child's refusal of its parent's topology file or points folder.
        let refusal = JSONSchema.object(
            required: false,
            nullable: true,
            properties: ["hash": .string(), "at": time(), "errors": .array(items: .string())]
        )
        return .object(
            properties: [
                "protocol": .integer(
                    description: "the sync protocol this node speaks; another is refused with 426",
                    allowedValues: [AnyCodable(SyncProtocol.version)]
                ),
                "schemaHash": .string(),
                "schemaVersion": .integer(
                    required: false,
                    nullable: true,
                    description: "the replication schema version the batch is written in (wave-1 senders name none: their hash names version 1)",
                    minimum: (1, exclusive: false)
                ),
                "release": .string(required: false, nullable: true),
                "topologyHash": .string(),
                "sender": anyRegion,
                "fromSeq": sequence,
                "toSeq": sequence,
                "edges": .array(required: false, nullable: true, items: .object(properties: ["node": anyRegion, "lastBatchAt": time()])),
                "topologyRefused": refusal,
                "pointsHash": .string(required: false, nullable: true),
                "pointsRefused": refusal,
                "changes": .array(items: change),
            ]
        )
    }

    /// `GET /v1/sync/hello`.
    static let hello = JSONSchema.object(
        properties: [
            "node": .string, "release": .string, "protocol": .integer, "schemaVersion": .integer, "schemaHash": .string,
            "oldestSchemaVersion": .integer, "topologyHash": .string, "pointsHash": .string,
            "pathSchemaVersion": .integer(required: false, nullable: true),
        ]
    )

    /// `GET /v1/points`: a congress's ranking (SPEC Appendix B).
    static let ranking = JSONSchema.object(
        properties: [
            "congress": .string, "year": .integer,
            "items": .array(
                items: .object(properties: [
                    "deputyId": uuid(), "name": .string, "points": .integer,
                    "rank": .integer(minimum: (1, exclusive: false)),
                    "quartile": .integer(maximum: (4, exclusive: false), minimum: (1, exclusive: false)),
                ])
            ),
        ]
    )

    /// One year's score with its lines (SPEC §12: every point explainable by its rule line and records).
    private static let score = JSONSchema.object(
        properties: [
            "year": .integer, "total": .integer,
            "lines": .array(
                items: .object(properties: [
                    "rule": .string(description: "base, or what the rule counts"),
                    "per": .string(required: false, allowedValues: PointsRules.Per.allCases.map { AnyCodable($0.rawValue) }),
                    "source": .string(required: false, description: "the rule's file and line: CODE/YEAR.yaml:LINE"),
                    "count": .integer, "points": .integer, "capped": .boolean, "records": .array(items: uuid()),
                ])
            ),
        ]
    )

    /// `GET /v1/deputies/{id}/dossier` (SPEC Appendix B); each other mandate has the same parts but `otherMandates`.
    static let dossier: JSONSchema = {
        let parts: OrderedDictionary<String, JSONSchema> = [
            "deputy": .object, "activities": .array(items: .object), "attendance": .array(items: .object),
            "cases": .array(items: .object), "points": .array(items: score),
        ]
        return .object(properties: parts + ["otherMandates": .array(items: .object(properties: parts))])
    }()

    /// `GET /v1/audit`: a page of audit entries.
    static let auditPage = JSONSchema.object(
        properties: [
            "items": .array(
                items: .object(
                    properties: [
                        "seq": .integer, "at": .string(format: .dateTime), "actor": .string,
                        "address": .string(required: false), "action": .string, "record": .string(required: false),
                        "outcome": .string, "previousHash": .string, "hash": .string,
                    ]
                )
            ),
            "next": .integer(required: false, nullable: true),
        ]
    )

    /// `POST /v1/divisions/apply`: what applying a change file did.
    static let divisionReport = JSONSchema.object(
        properties: [
            "file": .string, "hash": .string, "alreadyApplied": .boolean,
            "reAttributed": .object(additionalProperties: .init(.integer)),
            "handedOver": .object(additionalProperties: .init(.integer)),
        ]
    )

    /// `GET /v1/coverage` (SPEC §8 and §12, Appendix A and B): the region's item and its descendants', in tree order.
    static var coverageReport: JSONSchema {
        let count = JSONSchema.integer(minimum: (0, exclusive: false))
        func counted(_ description: String) -> JSONSchema { .integer(description: description, minimum: (0, exclusive: false)) }
        func share(_ description: String) -> JSONSchema {
            .number(
                nullable: true,
                description: description + "; null where the denominator is 0",
                maximum: (1, exclusive: false),
                minimum: (0, exclusive: false)
            )
        }
        func byName(_ names: [String], _ description: String) -> JSONSchema {
            var properties: OrderedDictionary<String, JSONSchema> = [:]
            for name in names { properties[name] = count }
            return .object(description: description, properties: properties)
        }
        let activities = JSONSchema.object(
            description:
                "duty performance (履职, SPEC §12) in `year`: only activities that are confirmed, not deleted and dated in the "
                + "current year in China (Asia/Shanghai) count",
            properties: [
                "year": .integer(description: "the year counted"),
                "byKind": byName(
                    Activity.Kind.allCases.map(\.rawValue),
                    "activities whose region lies in the region, per kind (every kind, 0 included)"
                ),
                "mandatesActive": counted(
                    "in-office mandates of the region (by the mandate's region, as deputies.seats) taking part in at least one of the year's "
                        + "activities this node holds, wherever it took place"
                ),
                "ratio": share("mandatesActive over the region's in-office mandates (履职率)"),
                "groups": counted("deputy groups, not deleted, whose region lies in the region"),
                "groupActivities": counted("the year's activities of any kind naming one of those groups, wherever they took place"),
                "groupsMeetingRule": counted(
                    "those groups named by at least \(DeputyGroup.activitiesExpectedPerYear) of the year's activities (晋城: a group meets 4 times a year)"
                ),
                "constituentsMet": counted("people received (constituentsMet), summed over the activities whose region lies in the region"),
            ]
        )
        let cases = JSONSchema.object(
            description:
                "cases (SPEC §13) registered this year in China (Asia/Shanghai) whose regionCode lies in the region, each in the state "
                + "its events held here lead to, as of today in China",
            properties: [
                "byKind": byName(CaseKind.allCases.map(\.rawValue), "cases per kind (both kinds, 0 included)"),
                "byState": byName(CaseState.allCases.map(\.rawValue), "cases per state (every state, 0 included)"),
                "due": counted(
                    "cases awaiting a reply (registered, assigned or transferred) that have a deadline: an opinion opinionReplyDays after "
                        + "its registration, a suggestion 3 (complex: 6) months after its assignment"
                ),
                "closed": counted("cases closed (handled, answered on the spot or explained)"),
                "closedRatio": share("closed over the cases registered (办结率)"),
                "overdue": counted("of due, those whose deadline is before today"),
                "satisfiedRatio": share("satisfied and basically_satisfied over the cases whose latest reply has a feedback (满意率)"),
                "consultedRatio": share("suggestions with a consultation (面商, consultedOn) over suggestions (面商率)"),
                "transferredUp": counted("opinions transferred to a node above the one that registered them (转交)"),
            ]
        )
        let item = JSONSchema.object(
            properties: [
                "code": anyRegion, "name": .string, "level": choice(Level.self), "depth": count,
                "stations": .object(
                    properties: [
                        "total": count, "active": count, "byType": byName(Station.StationType.allCases.map(\.rawValue), "stations per type"),
                    ]
                ),
                "units": .object(properties: ["total": count, "covered": count, "ratio": share("covered over total")]),
                "townships": .object(properties: ["total": count, "withStation": count, "ratio": share("withStation over total")]),
                "deputies": .object(
                    properties: [
                        "seats": byName(Level.allCases.map(\.rawValue), "in-office mandates per level"), "persons": count, "assigned": count,
                        "assignedRatio": share("assigned over in-office mandates (进站率)"),
                    ]
                ),
                "standards": .object(properties: ["met": count, "ratio": share("met over active stations (六有达标率)")]),
                "training": .object(properties: ["trained": count, "persons": count, "ratio": share("trained over persons")]),
                "activities": activities,
                "cases": cases,
                "freshness": .object(
                    properties: [
                        "nodes": count, "stale": .array(items: anyRegion), "oldestSync": .string(format: .dateTime, nullable: true),
                        "partial": .boolean,
                    ]
                ),
            ]
        )
        return .object(properties: ["region": anyRegion, "generatedAt": .string(format: .dateTime), "items": .array(items: item)])
    }

    /// What a run of this node's sync reports.
    static let syncReport = JSONSchema.object(
        properties: [
            "parent": .string(required: false, nullable: true),
            "batches": .integer, "changes": .integer, "applied": .integer, "ackedSeq": .integer, "rewinds": .integer,
            "directives": .integer, "directivesSeq": .integer,
            "topologyAdopted": .string(required: false, nullable: true),
            "topologyDivergence": .string(required: false, nullable: true),
            "pointsAdopted": .string(required: false, nullable: true),
            "schemaVersion": .integer(required: false, nullable: true), "released": .integer,
            "compacted": .integer, "tombstonesDropped": .integer,
            "error": .string(required: false, nullable: true),
        ]
    )
}

extension OrderedDictionary where Key == String, Value == JSONSchema {
    /// These properties, then `more` (a property of both takes `more`'s schema).
    fileprivate static func + (properties: Self, more: Self) -> Self {
        var merged = properties
        for (name, schema) in more { merged[name] = schema }
        return merged
    }
}
