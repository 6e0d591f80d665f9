#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An in-office mandate in a training's audience, as the roster needs it.
public struct RosterCandidate: Sendable, Equatable {
    public var deputyId: UUID
    /// `personKey`, or the deputy's id for a deputy entered without an ID number.
    public var person: String
    public var regionCode: RegionCode
    public var name: String

    public init(deputyId: UUID, person: String, regionCode: RegionCode, name: String) {
        self.deputyId = deputyId
        self.person = person
        self.regionCode = regionCode
        self.name = name
    }
}

/// Who attends a training where (SPEC §9): every distinct person of the audience once, at the branch venue whose
/// region is the most specific prefix of theirs (else the main venue), within capacity; the overflow goes to the
/// nearest ancestor venue with room, then online (hybrid training) or unplaced (offline), and is reported.
public struct Roster: Sendable {
    public struct Entry: Sendable, Equatable {
        /// The mandate the person is listed under: their most specific region's.
        public var candidate: RosterCandidate
        /// Nil when no venue had room in an offline training.
        public var venueId: UUID?
        public var online: Bool
        /// Placed elsewhere than the venue their region points to.
        public var overflowed: Bool
    }

    public struct VenueLoad: Sendable, Encodable, Equatable {
        public var venueId: UUID
        public var kind: String
        public var name: String
        public var regionCode: String
        public var capacity: Int
        /// Persons expected here, online ones included.
        public var expected: Int
        public var online: Int
        /// Of those expected, persons whose own venue was full.
        public var overflowIn: Int
    }

    public struct Overflow: Sendable, Encodable, Equatable {
        public var from: UUID
        /// Nil: online (hybrid training) or without a seat (offline).
        public var to: UUID?
        public var persons: Int
    }

    public var entries: [Entry]
    public var venues: [VenueLoad]
    public var overflow: [Overflow]
    /// Persons without a seat anywhere in an offline training.
    public var unplaced: Int

    public var audience: Int { entries.count }

    public var venueNames: [UUID: String] { Dictionary(uniqueKeysWithValues: venues.map { ($0.venueId, $0.name) }) }

    public static func compute(for training: Training, candidates: [RosterCandidate]) -> Roster {
        // One entry per person, under their most specific region (ties: the smaller deputy id, for a stable roster).
        var representative: [String: RosterCandidate] = [:]
        for candidate in candidates {
            if let held = representative[candidate.person] {
                let deeper = candidate.regionCode.rawValue.utf8.count > held.regionCode.rawValue.utf8.count
                let same = candidate.regionCode.rawValue.utf8.count == held.regionCode.rawValue.utf8.count
                guard deeper || (same && candidate.deputyId.uuidString < held.deputyId.uuidString) else { continue }
            }
            representative[candidate.person] = candidate
        }
        let persons = representative.values.sorted { ($0.regionCode.rawValue, $0.person) < ($1.regionCode.rawValue, $1.person) }

        let venues = training.venues.filter { $0.id != nil }
        guard let main = venues.firstIndex(where: { $0.kind == .main }) else {
            return Roster(
                entries: persons.map { Entry(candidate: $0, venueId: nil, online: false, overflowed: false) },
                venues: [],
                overflow: [],
                unplaced: persons.count
            )
        }
        var branchesByRegion: [RegionCode: [Int]] = [:]
        for (index, venue) in venues.enumerated() where venue.kind == .branch { branchesByRegion[venue.regionCode, default: []].append(index) }
        var seated = Array(repeating: 0, count: venues.count)
        var online = Array(repeating: 0, count: venues.count)
        var overflowIn = Array(repeating: 0, count: venues.count)
        var overflow: [String: Overflow] = [:]
        let capacityBinds = training.mode != .online

        /// Branch venues at `region` and above, nearest first, then the main venue.
        func venuesUpFrom(_ region: RegionCode) -> [Int] {
            var found: [Int] = []
            var current: RegionCode? = region
            while let code = current {
                found += branchesByRegion[code] ?? []
                current = code.parent
            }
            return found + [main]
        }

        var entries: [Entry] = []
        entries.reserveCapacity(persons.count)
        for person in persons {
            let candidatesUp = venuesUpFrom(person.regionCode)
            let preferred = candidatesUp[0]
            guard capacityBinds else {
                online[preferred] += 1
                entries.append(Entry(candidate: person, venueId: venues[preferred].id, online: true, overflowed: false))
                continue
            }
            if let venue = candidatesUp.first(where: { seated[$0] < venues[$0].capacity }) {
                seated[venue] += 1
                if venue != preferred {
                    overflowIn[venue] += 1
                    overflow["\(preferred) \(venue)", default: Overflow(from: venues[preferred].id!, to: venues[venue].id, persons: 0)].persons += 1
                }
                entries.append(Entry(candidate: person, venueId: venues[venue].id, online: false, overflowed: venue != preferred))
            } else {
                overflow["\(preferred) -", default: Overflow(from: venues[preferred].id!, to: nil, persons: 0)].persons += 1
                if training.mode == .hybrid {
                    // No seat left anywhere: a hybrid training takes them online, counted at their own venue.
                    online[preferred] += 1
                    entries.append(Entry(candidate: person, venueId: venues[preferred].id, online: true, overflowed: true))
                } else {
                    entries.append(Entry(candidate: person, venueId: nil, online: false, overflowed: true))
                }
            }
        }
        let loads = venues.enumerated().map { index, venue in
            VenueLoad(
                venueId: venue.id!,
                kind: venue.kind.rawValue,
                name: venue.name,
                regionCode: venue.regionCode.rawValue,
                capacity: venue.capacity,
                expected: seated[index] + online[index],
                online: online[index],
                overflowIn: overflowIn[index]
            )
        }
        return Roster(
            entries: entries,
            venues: loads,
            overflow: overflow.values.sorted { ($0.from.uuidString, $0.to?.uuidString ?? "") < ($1.from.uuidString, $1.to?.uuidString ?? "") },
            unplaced: entries.count { $0.venueId == nil }
        )
    }
}

extension Training {
    /// Whether a deputy belongs to the audience: in office, of one of its levels, inside its region.
    public func admits(_ deputy: Deputy, regionCode: RegionCode) -> Bool {
        deputy.status == .inOffice && audience.levels.contains(deputy.level) && audience.regionPrefix.contains(regionCode)
    }

    /// Whether a sign-in in `mode` fits how the training is held.
    public func allows(_ mode: Attendance.Mode) -> Bool {
        switch (self.mode, mode) {
        case (.hybrid, _), (.offline, .onsite), (.online, .online): true
        default: false
        }
    }
}
