import CongressCore
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A list request: region prefix, the kind's filters, a keyset cursor and a page size.
public struct ListQuery: Sendable {
    /// A filter a kind's list accepts: the query parameter, its column, and the values it takes.
    public struct Filter: Sendable {
        public let parameter: String
        let column: String
        let columnType: String
        /// Accepted values, or nil for any value that `accepts` allows.
        let values: [String]?
        let accepts: @Sendable (String) -> Bool
    }

    /// The position after the last item of a page: opaque to clients.
    struct Cursor {
        var regionCode: String
        var id: UUID

        var encoded: String {
            Data("\(regionCode)|\(id.uuidString)".utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        }

        init(regionCode: String, id: UUID) {
            self.regionCode = regionCode
            self.id = id
        }

        init?(encoded: String) {
            let base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { return nil }
            let parts = text.split(separator: "|")
            guard parts.count == 2, RegionCode(String(parts[0])) != nil, let id = UUID(uuidString: String(parts[1])) else { return nil }
            self.init(regionCode: String(parts[0]), id: id)
        }
    }

    public static let maximumLimit = 1000

    public var region: RegionCode?
    public var filters: [(Filter, String)] = []
    public var limit = 100
    var cursor: Cursor?
    public var includeDeleted = false

    /// Builds a query from URL parameters; anything unknown or malformed is refused with the parameter named.
    public init(kind: RecordKind, parameters: [(String, String)]) throws(InputError) {
        let known = Self.filters(for: kind)
        for (name, value) in parameters {
            switch name {
            case "region":
                region = try RegionCode.parameter(value, field: "region")
            case "limit":
                guard let limit = Int(value), (1...Self.maximumLimit).contains(limit) else {
                    throw InputError(field: "limit", message: "must be a whole number from 1 to \(Self.maximumLimit)")
                }
                self.limit = limit
            case "cursor":
                guard let cursor = Cursor(encoded: value) else {
                    throw InputError(field: "cursor", message: "not a cursor from this API: pass nextCursor unchanged")
                }
                self.cursor = cursor
            case "includeDeleted":
                guard let flag = Bool(value) else { throw InputError(field: "includeDeleted", message: "must be true or false") }
                includeDeleted = flag
            default:
                guard let filter = known.first(where: { $0.parameter == name }) else {
                    throw InputError.unknownParameter(name, known: ["region", "limit", "cursor", "includeDeleted"] + known.map(\.parameter))
                }
                guard filter.accepts(value) else {
                    let hint = filter.values.map { "one of " + $0.joined(separator: ", ") } ?? "a valid value"
                    throw InputError(field: name, message: "'\(value)' is not \(hint)")
                }
                filters.append((filter, value))
            }
        }
    }

    public static func filters(for kind: RecordKind) -> [Filter] {
        func choice<Value: RawRepresentable & CaseIterable>(_ parameter: String, _ column: String, _ type: Value.Type) -> Filter
        where Value.RawValue == String {
            let values = Value.allCases.map(\.rawValue)
            return Filter(parameter: parameter, column: column, columnType: "text", values: values, accepts: { values.contains($0) })
        }
        func id(_ parameter: String, _ column: String) -> Filter {
            Filter(parameter: parameter, column: column, columnType: "uuid", values: nil, accepts: { UUID(uuidString: $0) != nil })
        }
        switch kind {
        case .deputy:
            return [
                choice("level", "level", Level.self), choice("status", "status", Deputy.Status.self),
                Filter(parameter: "congress", column: "congress_code", columnType: "text", values: nil, accepts: { RegionCode($0) != nil }),
                Filter(parameter: "personKey", column: "person_key", columnType: "text", values: nil, accepts: { $0.count == 64 }),
            ]
        case .station:
            return [choice("type", "type", Station.StationType.self), choice("status", "status", Station.Status.self)]
        case .assignment:
            return [id("deputyId", "deputy_id"), id("stationId", "station_id")]
        case .attendance:
            return [id("trainingId", "training_id"), id("venueId", "venue_id"), id("deputyId", "deputy_id")]
        case .unit, .training:
            return []
        }
    }

    func sql(for kind: RecordKind) -> PostgresQuery {
        var binds = PostgresBindings()
        var conditions: [String] = []
        if let region, !region.isNation {
            binds.append(region.rawValue + "%")
            conditions.append("region_code LIKE $\(binds.count)")
        }
        if !includeDeleted { conditions.append("NOT deleted") }
        for (filter, value) in filters {
            binds.append(value)
            conditions.append("\(filter.column) = $\(binds.count)::\(filter.columnType)")
        }
        if let cursor {
            binds.append(cursor.regionCode)
            binds.append(cursor.id)
            conditions.append("(region_code, id) > ($\(binds.count - 1), $\(binds.count))")
        }
        binds.append(limit + 1)
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return PostgresQuery(
            unsafeSQL: "SELECT \(RecordStore.columns) FROM \(kind.collection) \(whereClause) ORDER BY region_code, id LIMIT $\(binds.count)",
            binds: binds
        )
    }
}
