#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The position after the last item of a list page (`nextCursor`): lists are ordered by region code, then id.
public struct ListCursor: Sendable, Equatable {
    public var regionCode: RegionCode
    public var id: UUID

    public init(regionCode: RegionCode, id: UUID) {
        self.regionCode = regionCode
        self.id = id
    }

    /// `CODE~UUID`, as `text` writes it.
    public init?(_ text: String) {
        let parts = text.split(separator: "~", omittingEmptySubsequences: false)
        guard parts.count == 2, let region = RegionCode(String(parts[0])), let id = UUID(uuidString: String(parts[1])) else { return nil }
        self.init(regionCode: region, id: id)
    }

    public var text: String { "\(regionCode)~\(id.uuidString.lowercased())" }

    /// A regular expression matching exactly the texts `init?(_:)` accepts.
    public static let pattern = "^" + RegionCode.pattern + "~[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
}
