/// What a checked change file does to codes and owners (SPEC §15): the new code of every region, village and record
/// region it touches, and which node owns a record afterwards.
///
/// Villages keep their last three digits and take their township's new code (a recode, a move, a merge); a split gives
/// each listed village to its part, and what it does not list (the township itself, a village the file does not name)
/// stays with the part that continues the split region (the one keeping its code, else the first).
public struct DivisionRemap: Sendable {
    /// Regions whose code changes, with the code their subtree takes: recodes, moves and the merged regions.
    private let prefixes: [(from: RegionCode, to: RegionCode)]
    /// Split regions: the part continuing each, and the part each listed village goes to.
    private let continuing: [RegionCode: RegionCode]
    private let villageParts: [RegionCode: RegionCode]
    /// The regions that run a node after the change.
    private let runningAfter: [RegionCode]

    public init(_ changes: DivisionChanges, topology: Topology) {
        var prefixes: [(RegionCode, RegionCode)] = []
        var continuing: [RegionCode: RegionCode] = [:]
        var villageParts: [RegionCode: RegionCode] = [:]
        for entry in changes.entries {
            switch entry.change {
            case .rename: break
            case .recode(let from, let to, _), .move(let from, _, let to): prefixes.append((from, to))
            case .merge(let sources, let into, _): prefixes += sources.filter { $0 != into }.map { ($0, into) }
            case .split(let from, let parts):
                continuing[from] = (parts.first { $0.code == from } ?? parts[0]).code
                for part in parts { for village in part.units { villageParts[village] = part.code } }
            }
        }
        self.prefixes = prefixes
        self.continuing = continuing
        self.villageParts = villageParts
        let remapped = Self(prefixes: prefixes, continuing: continuing, villageParts: villageParts, runningAfter: [])
        self.runningAfter = topology.runningNodes.map { remapped.code($0.code) ?? $0.code }.sorted { $0.rawValue.count > $1.rawValue.count }
    }

    private init(
        prefixes: [(from: RegionCode, to: RegionCode)],
        continuing: [RegionCode: RegionCode],
        villageParts: [RegionCode: RegionCode],
        runningAfter: [RegionCode]
    ) {
        self.prefixes = prefixes
        self.continuing = continuing
        self.villageParts = villageParts
        self.runningAfter = runningAfter
    }

    /// The code `code` takes, or nil when the change file leaves it as it is.
    public func code(_ code: RegionCode) -> RegionCode? {
        if let part = villageParts[code] {
            return Self.replacing(prefix: part.rawValue.count, of: code, with: part)
        }
        for (from, part) in continuing where from.contains(code) {
            return Self.replacing(prefix: from.rawValue.count, of: code, with: part)
        }
        for (from, to) in prefixes where from.contains(code) {
            return Self.replacing(prefix: from.rawValue.count, of: code, with: to)
        }
        return nil
    }

    /// `code` with its first `width` characters replaced by `prefix`; nil when that changes nothing.
    private static func replacing(prefix width: Int, of code: RegionCode, with prefix: RegionCode) -> RegionCode? {
        guard let new = RegionCode(prefix.rawValue + code.rawValue.dropFirst(width)), new != code else { return nil }
        return new
    }

    /// The node that owns a record after the change, given the code that decides its owner (its region, or a mandate's
    /// congress) as re-coded: its owner as re-coded if that still holds the code, else the nearest node that does.
    public func owner(of key: RegionCode, now origin: RegionCode) -> RegionCode {
        let origin = code(origin) ?? origin
        if origin.contains(key) { return origin }
        return runningAfter.first { $0.contains(key) } ?? origin
    }

    /// Whether the change file touches any code at all (a file of renames only changes names, held by the topology).
    public var changesCodes: Bool { !prefixes.isEmpty || !continuing.isEmpty }
}

/// A record body's codes as a change file re-codes them.
extension RecordBody {
    /// The body with every region code it holds re-coded by `remap`; nil when it holds none that changes. A mandate's
    /// congress, a group's congress, a village's own code, a station's villages, a training's venues and audience: the record's region is
    /// the caller's.
    public func remapped(by remap: DivisionRemap) -> Self? {
        switch self {
        case var deputy as Deputy:
            guard let congress = remap.code(deputy.congressCode) else { return nil }
            deputy.congressCode = congress
            return deputy as? Self
        case var group as DeputyGroup:
            guard let congress = remap.code(group.congressCode) else { return nil }
            group.congressCode = congress
            return group as? Self
        case var unit as Unit:
            guard let code = remap.code(unit.code) else { return nil }
            unit.code = code
            return unit as? Self
        case var station as Station:
            let units = station.coveredUnits.map { remap.code($0) ?? $0 }.sorted()
            guard units != station.coveredUnits else { return nil }
            station.coveredUnits = units
            return station as? Self
        case var training as Training:
            var changed = false
            for index in training.venues.indices {
                if let code = remap.code(training.venues[index].regionCode) {
                    training.venues[index].regionCode = code
                    changed = true
                }
            }
            if let prefix = remap.code(training.audience.regionPrefix) {
                training.audience.regionPrefix = prefix
                changed = true
            }
            return changed ? training as? Self : nil
        default:
            return nil
        }
    }

    /// The code that decides which node owns the record: a mandate belongs to its congress (SPEC §15), any other
    /// record to its region.
    public func ownerKey(region: RegionCode) -> RegionCode {
        (self as? Deputy)?.congressCode ?? region
    }
}
