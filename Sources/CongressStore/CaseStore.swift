import CongressCore
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Cases' events as the workflow reads them (SPEC §13).
extension RecordStore {
    /// The live events of each case among `caseIds`.
    public func caseEvents(of caseIds: [UUID]) async throws -> [UUID: [Record<CaseEvent>]] {
        try await DatabaseError.translating("reading the events of \(caseIds.count) cases") {
            let rows = try await client.query(
                "SELECT \(unescaped: Self.columns) FROM case_events WHERE case_id = ANY(\(caseIds)) AND NOT deleted",
                logger: logger
            )
            return Dictionary(grouping: try await Self.records(CaseEvent.self, from: rows)) { $0.body.caseId }
        }
    }
}
