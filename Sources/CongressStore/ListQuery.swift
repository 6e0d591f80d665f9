import CongressCore
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A list request: region prefix, the kind's filters, a keyset cursor and a page size.
public struct ListQuery: Sendable {
    /// A filter a kind's list accepts: the query parameter and the column it compares.
    public struct Filter: Sendable {
        public let parameter: QueryParameter
        let column: String
        let columnType: String
    }

    public static let maximumLimit = 1000

    public var region: RegionCode?
    public var filters: [(Filter, String)] = []
    public var limit = 100
    var cursor: ListCursor?
    public var includeDeleted = false
    public var order = Order.region

    /// How a list is ordered: by region code then id; cases also overdue first (SPEC §13, `casesOverdueFirst`).
    public enum Order: String, Sendable, CaseIterable {
        case region, overdue
    }

    /// `order`, which cases take.
    static let orderParameter = QueryParameter.choice(
        "order",
        Order.self,
        summary:
            "region (default): by region code, then id; overdue: cases awaiting a reply past their deadline first, the longest overdue "
            + "first, then the other open cases by deadline (those without one last), then the closed ones. With overdue, includeDeleted "
            + "is refused (a deleted case has no status) and the cursor must be a nextCursor of that order (422 naming the parameter)"
    )

    /// The parameters every list takes, before its kind's filters; a list that takes `order` takes the cursors of each.
    static func common(ordered: Bool) -> [QueryParameter] {
        [
            QueryParameter("region", .region, summary: "region code prefix: only records whose regionCode starts with it"),
            QueryParameter("limit", .integer(1...maximumLimit), summary: "page size (default 100)"),
            QueryParameter("cursor", .cursor(anyOrder: ordered), summary: "nextCursor of the previous page, unchanged"),
            QueryParameter("includeDeleted", .boolean, summary: "include tombstones (default false)"),
        ]
    }

    /// Every parameter a list of `kind` takes.
    public static func parameters(for kind: RecordKind) -> [QueryParameter] {
        let ordered = kind == .caseRecord
        return common(ordered: ordered) + filters(for: kind).map(\.parameter) + (ordered ? [orderParameter] : [])
    }

    /// Builds a query from URL parameters; anything unknown or malformed is refused with the parameter named.
    public init(kind: RecordKind, parameters pairs: [(String, String)]) throws(InputError) {
        let values = try QueryValues(pairs, accepting: Self.parameters(for: kind))
        region = values.region("region")
        limit = values.integer("limit") ?? limit
        cursor = values.text("cursor").flatMap(ListCursor.init)
        includeDeleted = values.boolean("includeDeleted") ?? false
        filters = Self.filters(for: kind).compactMap { filter in values.text(filter.parameter.name).map { (filter, $0) } }
        order = values.choice("order", as: Order.self) ?? order
        if order == .overdue && includeDeleted {
            throw InputError(field: "includeDeleted", message: "a deleted case has no status to order by: list tombstones in the region order")
        }
        switch (order, cursor?.position) {
        case (.region, .due?), (.overdue, .region?):
            throw InputError(field: "cursor", message: "this cursor continues the list in another order: pass the same order as its page")
        default: break
        }
    }

    public static func filters(for kind: RecordKind) -> [Filter] {
        func choice<Value: RawRepresentable & CaseIterable>(_ parameter: String, _ column: String, _ type: Value.Type) -> Filter
        where Value.RawValue == String {
            Filter(parameter: .choice(parameter, type, summary: "only records whose \(parameter) is this"), column: column, columnType: "text")
        }
        func id(_ parameter: String, _ column: String) -> Filter {
            Filter(
                parameter: QueryParameter(parameter, .uuid, summary: "only records referring to this \(parameter)"),
                column: column,
                columnType: "uuid"
            )
        }
        switch kind {
        case .deputy:
            return [
                choice("level", "level", Level.self), choice("status", "status", Deputy.Status.self),
                Filter(
                    parameter: QueryParameter("congress", .region, summary: "only mandates of this congress (its region code)"),
                    column: "congress_code",
                    columnType: "text"
                ),
                Filter(
                    parameter: QueryParameter("personKey", .personKey, summary: "only mandates of this person"),
                    column: "person_key",
                    columnType: "text"
                ),
            ]
        case .station:
            return [choice("type", "type", Station.StationType.self), choice("status", "status", Station.Status.self)]
        case .assignment:
            return [id("deputyId", "deputy_id"), id("stationId", "station_id")]
        case .attendance:
            return [id("trainingId", "training_id"), id("venueId", "venue_id"), id("deputyId", "deputy_id")]
        case .activity:
            return [
                choice("kind", "kind", Activity.Kind.self), id("stationId", "station_id"), id("groupId", "group_id"),
                Filter(
                    parameter: QueryParameter("confirmed", .boolean, summary: "only confirmed (true) or unconfirmed (false) activities"),
                    column: "confirmed",
                    columnType: "boolean"
                ),
            ]
        case .group:
            return [
                choice("kind", "kind", DeputyGroup.Kind.self),
                Filter(
                    parameter: QueryParameter("congress", .region, summary: "only groups of this congress (its region code)"),
                    column: "congress_code",
                    columnType: "text"
                ),
            ]
        case .caseRecord:
            return [choice("kind", "kind", CaseKind.self), choice("channel", "channel", Case.Channel.self)]
        case .caseEvent:
            return [id("caseId", "case_id"), choice("action", "action", CaseAction.self)]
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
        if let cursor, case .region(let regionCode) = cursor.position {
            binds.append(regionCode.rawValue)
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
