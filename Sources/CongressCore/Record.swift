#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The kinds of record the registry keeps and replicates.
public enum RecordKind: String, CaseIterable, Codable, Sendable {
    case deputy
    case station
    case assignment
    case unit
    case training
    case attendance
    case activity
    case group
    case caseRecord = "case"
    case caseEvent = "case_event"

    /// The collection's name in URLs and the table's name in PostgreSQL.
    public var collection: String {
        switch self {
        case .deputy: "deputies"
        case .station: "stations"
        case .assignment: "assignments"
        case .unit: "units"
        case .training: "trainings"
        case .attendance: "attendance"
        case .activity: "activities"
        case .group: "groups"
        case .caseRecord: "cases"
        case .caseEvent: "case_events"
        }
    }
}

/// Fields every record carries, set by the node, never by the client.
public struct RecordMeta: Sendable, Equatable, Codable {
    /// UUID made at the origin.
    public var id: UUID
    /// The node that created the record and alone may change it.
    public var origin: RegionCode
    public var regionCode: RegionCode
    /// The origin's change sequence number of the latest write.
    public var version: Int64
    public var updatedAt: Timestamp
    /// A tombstone: kept so the deletion replicates.
    public var deleted: Bool
    /// The codes the record's region had before division changes re-attributed it (SPEC §15), oldest first.
    public var formerRegionCodes: [RegionCode]

    public init(
        id: UUID,
        origin: RegionCode,
        regionCode: RegionCode,
        version: Int64,
        updatedAt: Timestamp,
        deleted: Bool,
        formerRegionCodes: [RegionCode] = []
    ) {
        self.id = id
        self.origin = origin
        self.regionCode = regionCode
        self.version = version
        self.updatedAt = updatedAt
        self.deleted = deleted
        self.formerRegionCodes = formerRegionCodes
    }

    private enum CodingKeys: String, CodingKey {
        case id, origin, regionCode, version, updatedAt, deleted, formerRegionCodes
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(UUID.self, forKey: .id)
        origin = try container.decode(RegionCode.self, forKey: .origin)
        regionCode = try container.decode(RegionCode.self, forKey: .regionCode)
        version = try container.decode(Int64.self, forKey: .version)
        updatedAt = try container.decode(Timestamp.self, forKey: .updatedAt)
        deleted = try container.decode(Bool.self, forKey: .deleted)
        formerRegionCodes = try container.decodeIfPresent([RegionCode].self, forKey: .formerRegionCodes) ?? []
    }

    /// `formerRegionCodes` only on a record that was re-attributed: wave-1 readers never see the member.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(origin, forKey: .origin)
        try container.encode(regionCode, forKey: .regionCode)
        try container.encode(version, forKey: .version)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(deleted, forKey: .deleted)
        if !formerRegionCodes.isEmpty { try container.encode(formerRegionCodes, forKey: .formerRegionCodes) }
    }
}

/// The kind-specific part of a record.
public protocol RecordBody: Codable, Sendable, Equatable {
    static var kind: RecordKind { get }

    /// Checks the body written at `node` and brings it to its stored form.
    ///
    /// Returns the record's `regionCode` when the body determines it (`given` is what the client sent),
    /// or nil when it follows from another record (an assignment's station, an attendance's venue).
    mutating func validate(regionCode given: RegionCode?, node: RegionCode) throws(InputError) -> RegionCode?

    /// Sets the fields the node derives rather than takes from the client (a deputy's `personKey`).
    /// `previous` is the stored body on a replace.
    mutating func derive(idNumber: String?, previous: Self?, personKeys: PersonKeyDeriver) throws(InputError)
}

extension RecordBody {
    public mutating func derive(idNumber: String?, previous: Self?, personKeys: PersonKeyDeriver) throws(InputError) {}
}

/// A stored record: the common fields and the body, flattened into one JSON object on the wire.
public struct Record<Body: RecordBody>: Sendable, Equatable, Codable {
    public var meta: RecordMeta
    public var body: Body

    public init(meta: RecordMeta, body: Body) {
        self.meta = meta
        self.body = body
    }

    public init(from decoder: any Decoder) throws {
        self.meta = try RecordMeta(from: decoder)
        self.body = try Body(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try meta.encode(to: encoder)
        try body.encode(to: encoder)
    }
}

/// What a client sends to create or replace a record.
///
/// The read-only fields a client got from a GET may be sent back unchanged: `id` must then match the
/// record, `version`, when present, must equal the stored one (a lost update is refused with 409),
/// and `origin`, `updatedAt`, `deleted`, `personKey` and a deputy's or station's `contactCode` are ignored.
public struct RecordInput<Body: RecordBody>: Decodable, Sendable {
    public var id: UUID?
    public var version: Int64?
    public var regionCode: RegionCode?
    /// A deputy's national ID number: input only, turned into `personKey` and dropped.
    public var idNumber: String?
    public var body: Body

    private enum CodingKeys: String, CodingKey {
        case id, version, regionCode, idNumber, origin, updatedAt, deleted, formerRegionCodes, contactCode
    }

    /// The versions a client may send back: change seqs, up to the largest whole number every JSON reader keeps exact.
    public static var versions: ClosedRange<Int64> { 1...(1 << 53 - 1) }

    public init(id: UUID? = nil, version: Int64? = nil, regionCode: RegionCode? = nil, idNumber: String? = nil, body: Body) {
        self.id = id
        self.version = version
        self.regionCode = regionCode
        self.idNumber = idNumber
        self.body = body
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decodeIfPresent(UUID.self, forKey: .id)
        self.version = try container.decodeIfPresent(Int64.self, forKey: .version)
        if let version, !Self.versions.contains(version) {
            throw DecodingError.dataCorruptedError(
                forKey: .version,
                in: container,
                debugDescription: "a version is a change seq from 1 to \(Self.versions.upperBound), not \(version)"
            )
        }
        self.regionCode = try container.decodeIfPresent(RegionCode.self, forKey: .regionCode)
        if Body.kind == .deputy {
            self.idNumber = try container.decodeIfPresent(String.self, forKey: .idNumber)
        }
        for ignored in [CodingKeys.origin, .updatedAt, .deleted, .formerRegionCodes] { _ = container.contains(ignored) }
        // A deputy's or a station's public page code is shown beside the record and made by the node.
        if Body.kind == .deputy || Body.kind == .station { _ = container.contains(.contactCode) }
        self.body = try Body(from: decoder)
    }
}

/// What the command line's imports send: the body's fields with `regionCode` and a deputy's `idNumber` (and `id`,
/// `version` when set) beside them, as a client writes them.
extension RecordInput: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(id, forKey: .id)
        try container.encodeIfPresent(version, forKey: .version)
        try container.encodeIfPresent(regionCode, forKey: .regionCode)
        try container.encodeIfPresent(idNumber, forKey: .idNumber)
        try body.encode(to: encoder)
    }
}

/// Checks shared by the record kinds.
enum Check {
    static func text(_ value: String, field: String, maxLength: Int) throws(InputError) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw InputError(field: field, message: "must not be empty") }
        guard trimmed.count <= maxLength else { throw InputError(field: field, message: "must be at most \(maxLength) characters") }
        return trimmed
    }

    static func optionalText(_ value: String?, field: String, maxLength: Int) throws(InputError) -> String? {
        guard let value, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        return try text(value, field: field, maxLength: maxLength)
    }

    static func inScope(_ code: RegionCode, node: RegionCode, field: String) throws(InputError) {
        guard node.contains(code) else {
            throw InputError(.outOfScope, field: field, message: "\(code) lies outside this node's subtree (\(node))")
        }
    }

    static func required(_ code: RegionCode?, field: String) throws(InputError) -> RegionCode {
        guard let code else { throw InputError(field: field, message: "missing required field '\(field)'") }
        return code
    }

    static func derived(_ given: RegionCode?, equals expected: RegionCode, from source: String) throws(InputError) {
        if let given, given != expected {
            throw InputError(field: "regionCode", message: "is \(expected), taken from \(source); leave it out or send that value")
        }
    }

    static func order(_ start: CalendarDate?, _ end: CalendarDate?, endField: String) throws(InputError) {
        if let start, let end, end < start {
            throw InputError(field: endField, message: "\(end) is before the start \(start)")
        }
    }
}
