#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A deputy entering a station (进站), resident or rotating.
public struct Assignment: RecordBody {
    public static let kind = RecordKind.assignment

    public enum Role: String, Codable, Sendable, CaseIterable { case resident, rotating }

    public var deputyId: UUID
    public var stationId: UUID
    public var role: Role
    public var since: CalendarDate?
    public var until: CalendarDate?

    public init(deputyId: UUID, stationId: UUID, role: Role, since: CalendarDate? = nil, until: CalendarDate? = nil) {
        self.deputyId = deputyId
        self.stationId = stationId
        self.role = role
        self.since = since
        self.until = until
    }

    /// The region is the station's: the caller resolves it.
    public mutating func validate(regionCode given: RegionCode?, node: RegionCode) throws(InputError) -> RegionCode? {
        try Check.order(since, until, endField: "until")
        return nil
    }
}
