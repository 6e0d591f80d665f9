/// A person with in-office mandates in more than one cell (see `MaintainedCoverage`), and whether they attended a
/// training through one of them.
public struct CoveragePerson: Sendable, Equatable {
    public var cells: [String]
    public var trained: Bool

    public init(cells: [String], trained: Bool) {
        self.cells = cells
        self.trained = trained
    }
}

/// Coverage counts per region prefix kept as the sum of their cells' (issue 20): replacing one cell's counts or one
/// person's cells costs a few additions per prefix width, whatever the size of the node's subtree.
///
/// A cell is a region code cut to the deepest prefix width, so each record lies in exactly one cell and a prefix's
/// counts are its cells' summed, except distinct persons: a person in k cells under a prefix is counted k times by the
/// sum and once by the figure, so each such person takes k - 1 off (and off the trained, if trained).
public struct MaintainedCoverage: Sendable {
    /// The prefix widths counted, as `CoverageSnapshot.prefixWidths` gives them (0 for the nation).
    public let widths: [Int]
    private var cells: [String: CoverageCounts] = [:]
    private var persons: [String: CoveragePerson] = [:]
    public private(set) var countsByPrefix: [String: CoverageCounts] = [:]

    public init(widths: [Int]) {
        self.widths = widths
    }

    /// The cell width: the deepest prefix width.
    public var cellWidth: Int { widths.max() ?? 0 }

    /// Replaces a cell's counts (all zeros for a cell that emptied).
    public mutating func setCell(_ cell: String, _ counts: CoverageCounts) {
        let old = cells[cell]
        guard old != counts else { return }
        cells[cell] = counts
        for prefix in prefixes(of: cell) {
            var sum = countsByPrefix[prefix] ?? CoverageCounts()
            if let old { sum.add(old, times: -1) }
            sum.add(counts, times: 1)
            countsByPrefix[prefix] = sum
        }
    }

    /// Replaces what is known of a person's cells: nil, or fewer than two cells, for a person counted right by the sums.
    public mutating func setPerson(_ person: String, _ entry: CoveragePerson?) {
        let entry = entry.flatMap { $0.cells.count > 1 ? $0 : nil }
        let old = persons[person]
        guard old != entry else { return }
        if let old { correct(for: old, times: -1) }
        if let entry { correct(for: entry, times: 1) }
        persons[person] = entry
    }

    /// Takes a person's surplus off every prefix two or more of their cells share (`times` -1 puts it back).
    private mutating func correct(for person: CoveragePerson, times sign: Int) {
        var shared: [String: Int] = [:]
        for cell in Set(person.cells) {
            for prefix in prefixes(of: cell) { shared[prefix, default: 0] += 1 }
        }
        for (prefix, cells) in shared where cells > 1 {
            var sum = countsByPrefix[prefix] ?? CoverageCounts()
            sum.persons -= sign * (cells - 1)
            if person.trained { sum.trainedPersons -= sign * (cells - 1) }
            countsByPrefix[prefix] = sum
        }
    }

    /// The prefixes a cell counts under: `left(code, w)` for every width its code is long enough for.
    public func prefixes(of cell: String) -> [String] {
        widths.compactMap { width in cell.utf8.count >= width ? String(cell.utf8.prefix(width))! : nil }
    }
}

extension CoverageCounts {
    /// Adds `other`'s counts `times` times (-1 subtracts), dropping the keys that reach zero so that equal counts
    /// compare equal however they were reached.
    public mutating func add(_ other: CoverageCounts, times sign: Int) {
        func merge<Key>(_ mine: inout [Key: Int], _ theirs: [Key: Int]) {
            for (key, value) in theirs {
                let sum = (mine[key] ?? 0) + sign * value
                mine[key] = sum == 0 ? nil : sum
            }
        }
        merge(&stationsByType, other.stationsByType)
        activeStations += sign * other.activeStations
        activeStationsMeetingStandards += sign * other.activeStationsMeetingStandards
        units += sign * other.units
        coveredUnits += sign * other.coveredUnits
        merge(&seats, other.seats)
        assignedSeats += sign * other.assignedSeats
        persons += sign * other.persons
        trainedPersons += sign * other.trainedPersons
        merge(&activitiesByKind, other.activitiesByKind)
        constituentsMet += sign * other.constituentsMet
        activeSeats += sign * other.activeSeats
        groups += sign * other.groups
        groupActivities += sign * other.groupActivities
        groupsMeetingRule += sign * other.groupsMeetingRule
        merge(&casesByKind, other.casesByKind)
        merge(&casesByState, other.casesByState)
        casesDue += sign * other.casesDue
        casesOverdue += sign * other.casesOverdue
        casesWithFeedback += sign * other.casesWithFeedback
        casesSatisfied += sign * other.casesSatisfied
        suggestionsConsulted += sign * other.suggestionsConsulted
        casesTransferredUp += sign * other.casesTransferredUp
    }
}

extension CoverageCounts {
    /// Each count that differs from `other`'s, as "name: mine ≠ theirs".
    public func differences(from other: CoverageCounts) -> [String] {
        // Counts per kind print in key order, so that equal dictionaries print alike.
        func text(_ value: Any) -> String {
            guard let counts = value as? [AnyHashable: Int] else { return "\(value)" }
            return "[" + counts.map { "\($0.key.base): \($0.value)" }.sorted().joined(separator: ", ") + "]"
        }
        return zip(Mirror(reflecting: self).children, Mirror(reflecting: other).children).compactMap { mine, theirs in
            let (left, right) = (text(mine.value), text(theirs.value))
            guard left != right else { return nil }
            return "\(mine.label ?? "?"): \(left) ≠ \(right)"
        }
    }
}
